from .pose_sequence_transforms import FlipPoseSequence  # noqa: F401
