from .head_avatar_inferencer import HeadAvatarInferencer  # noqa: F401
from .multiview_pose_inferencer import MultiViewPoseInferencer  # noqa: F401

__all__ = [
    'HeadAvatarInferencer', 'MultiViewPoseInferencer'
]
