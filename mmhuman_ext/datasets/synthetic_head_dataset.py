"""VoxCeleb-format reenactment data on the built-in synthetic heads."""
from typing import Optional

from mmhuman_ext.registry import DATASETS
from .synthetic.heads import ensure_synthetic_heads
from .voxceleb_reenact import VoxCelebReenactDataset


@DATASETS.register_module()
class SyntheticHeadDataset(VoxCelebReenactDataset):
    """:class:`VoxCelebReenactDataset` on the folder written by
    :func:`~mmhuman_ext.datasets.synthetic.heads.ensure_synthetic_heads`
    (generated on first use).

    Args:
        data_root (str, optional): the folder; None = the generator's cache.
        generator_cfg (dict, optional): other generator arguments.
        **kwargs: as :class:`VoxCelebReenactDataset`.
    """

    def __init__(self, data_root: Optional[str] = None,
                 generator_cfg: Optional[dict] = None, **kwargs):
        data_root = ensure_synthetic_heads(data_root, **(generator_cfg or {}))
        super().__init__(data_root=data_root, **kwargs)
