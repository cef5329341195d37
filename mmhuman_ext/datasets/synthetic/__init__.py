from .coco_dataset import SyntheticCocoDataset  # noqa: F401
from .coco_figures import ensure_coco_figures  # noqa: F401
from .h36m_dataset import SyntheticH36MDataset  # noqa: F401
from .head_dataset import SyntheticHeadDataset  # noqa: F401
from .heads import ensure_synthetic_heads  # noqa: F401
from .motion3d import ensure_synthetic_h36m  # noqa: F401
from .multiview_dataset import SyntheticMultiViewH36MDataset  # noqa: F401
from .multiview_figures import ensure_multiview_figures  # noqa: F401
from .puppet_dataset import SyntheticPuppetDataset  # noqa: F401
from .puppets import ensure_puppets  # noqa: F401

__all__ = [
    'SyntheticCocoDataset', 'SyntheticH36MDataset', 'SyntheticHeadDataset',
    'SyntheticMultiViewH36MDataset', 'SyntheticPuppetDataset',
    'ensure_coco_figures', 'ensure_multiview_figures', 'ensure_puppets',
    'ensure_synthetic_h36m', 'ensure_synthetic_heads'
]
