"""Human3.6M lifting windows on the built-in synthetic motion."""
from typing import Optional

from mmhuman_ext.registry import DATASETS
from ..h36m_videopose3d import H36MVideoPose3DDataset
from .motion3d import ensure_synthetic_h36m


@DATASETS.register_module()
class SyntheticH36MDataset(H36MVideoPose3DDataset):
    """:class:`H36MVideoPose3DDataset` on generated VideoPose3D files.

    Before loading, the files are written by
    :func:`~mmhuman_ext.datasets.synthetic.motion3d.ensure_synthetic_h36m`
    (once; later runs re-use them); then the Human3.6M loader reads them
    like the real benchmark files.

    Args:
        generator_cfg (dict, optional): Arguments of
            ``ensure_synthetic_h36m`` (``subjects``, ``actions``,
            ``num_frames``, ``seed``, ``det_sigma``).
        data_root (str, optional): Folder of the files; ``None`` uses the
            generator's cache folder.
        **kwargs: Other arguments of :class:`H36MVideoPose3DDataset`.
    """

    def __init__(self,
                 generator_cfg: Optional[dict] = None,
                 data_root: Optional[str] = None,
                 **kwargs):
        data_root = ensure_synthetic_h36m(data_root, **(generator_cfg or {}))
        super().__init__(data_root=data_root, **kwargs)
