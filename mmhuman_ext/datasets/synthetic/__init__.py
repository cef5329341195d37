from .coco_figures import ensure_coco_figures  # noqa: F401
