from .multiview_data_preprocessor import MultiViewPoseDataPreprocessor  # noqa: F401
from .motion_transfer_data_preprocessor import \
    MotionTransferDataPreprocessor  # noqa: F401

__all__ = [
    'MotionTransferDataPreprocessor', 'MultiViewPoseDataPreprocessor'
]
