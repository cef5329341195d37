from .masked_pose_modeling import MaskedPoseModeling  # noqa: F401
from .multiview_topdown import MultiViewTopdownPoseEstimator  # noqa: F401

__all__ = [
    'MaskedPoseModeling', 'MultiViewTopdownPoseEstimator'
]
