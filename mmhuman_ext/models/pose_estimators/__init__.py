from .masked_pose_modeling import MaskedPoseModeling  # noqa: F401
