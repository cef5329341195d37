from .seq_pose_lifting import SeqPoseLifting  # noqa: F401
from .argmax_heatmap import ArgmaxHeatmap  # noqa: F401

__all__ = [
    'ArgmaxHeatmap', 'SeqPoseLifting'
]
