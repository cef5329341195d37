"""Motion-transfer data on the built-in puppets (TED / TaiChi layout)."""
from typing import Optional

from mmhuman_ext.registry import DATASETS
from ..densepose_video_pair_dataset import DensePoseVideoPairDataset
from .puppets import ensure_puppets


@DATASETS.register_module()
class SyntheticPuppetDataset(DensePoseVideoPairDataset):
    """:class:`DensePoseVideoPairDataset` on the folder written by
    :func:`~mmhuman_ext.datasets.synthetic.puppets.ensure_puppets`
    (generated on first use; concurrent ranks share one copy).

    Args:
        data_root (str, optional): the folder; None = the generator's cache.
        generator_cfg (dict, optional): generator arguments (``num_train``,
            ``num_test``, ``num_frames``, ``size``, ``seed``, ``num_pairs``).
        **kwargs: as :class:`DensePoseVideoPairDataset`.
    """

    def __init__(self, data_root: Optional[str] = None,
                 generator_cfg: Optional[dict] = None, **kwargs):
        data_root = ensure_puppets(data_root, **(generator_cfg or {}))
        super().__init__(data_root=data_root, **kwargs)
