from .seq_pose_lifting import SeqPoseLifting  # noqa: F401
