"""Multi-view Human3.6M loader on the built-in synthetic figures."""
from typing import Optional

from mmhuman_ext.registry import DATASETS
from ..multiview_h36m import MultiViewH36MDataset
from .multiview_figures import ensure_multiview_figures


@DATASETS.register_module()
class SyntheticMultiViewH36MDataset(MultiViewH36MDataset):
    """:class:`MultiViewH36MDataset` on generated files.

    Before loading, :func:`~mmhuman_ext.datasets.synthetic.
    multiview_figures.ensure_multiview_figures` writes the H36M-Toolbox
    layout once (later runs re-use it); the real loader then reads it.

    Args:
        generator_cfg (dict, optional): Arguments of the generator.
        data_root (str, optional): Folder; ``None`` = the cache folder.
        **kwargs: Other arguments of :class:`MultiViewH36MDataset`.
    """

    def __init__(self,
                 generator_cfg: Optional[dict] = None,
                 data_root: Optional[str] = None,
                 **kwargs):
        data_root = ensure_multiview_figures(data_root,
                                             **(generator_cfg or {}))
        super().__init__(data_root=data_root, **kwargs)
