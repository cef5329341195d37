from .pose_inference import (draw_poses, estimate_poses,  # noqa: F401
                             init_pose_model)
from .head_animation import HeadAnimator  # noqa: F401
from .motion_transfer import MotionTransferer, motion_transfer_video  # noqa: F401,E501
from .video_editing import VideoEditor, save_edit  # noqa: F401

__all__ = [
    'HeadAnimator', 'MotionTransferer', 'VideoEditor', 'draw_poses',
    'estimate_poses', 'init_pose_model', 'motion_transfer_video',
    'save_edit'
]
