"""VoxCeleb-format reenactment data on the built-in synthetic heads."""
from typing import Optional

from mmhuman_ext.registry import DATASETS
from ..layout import register_generator
from ..voxceleb_reenact import VoxCelebReenactDataset
from .heads import ensure_synthetic_heads


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


# tools/train.py and tools/test.py write the data before building the model,
# whose FLAME layer, mesh hierarchy and hair deformer read its head files
register_generator(
    ['SyntheticHeadDataset'],
    lambda ds: ensure_synthetic_heads(ds.get('data_root'),
                                      **(ds.get('generator_cfg') or {})))
