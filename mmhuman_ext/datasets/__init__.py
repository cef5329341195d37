from .synthetic_coco_dataset import SyntheticCocoDataset  # noqa: F401
