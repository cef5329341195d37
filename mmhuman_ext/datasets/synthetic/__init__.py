from .coco_figures import ensure_coco_figures  # noqa: F401
from .motion3d import ensure_synthetic_h36m  # noqa: F401
from .heads import ensure_synthetic_heads  # noqa: F401
from .multiview_figures import ensure_multiview_figures  # noqa: F401
from .puppets import ensure_puppets  # noqa: F401

__all__ = [
    'ensure_coco_figures', 'ensure_multiview_figures', 'ensure_puppets',
    'ensure_synthetic_h36m', 'ensure_synthetic_heads'
]
