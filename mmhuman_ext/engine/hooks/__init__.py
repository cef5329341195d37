from .average_log_vars_hook import AverageLogVarsHook

__all__ = ['AverageLogVarsHook']
from .keep_ratio_schedule_hook import KeepRatioScheduleHook  # noqa: E402
__all__ += ['KeepRatioScheduleHook']
from .fuse_conv_bn_hook import FuseConvBNHook  # noqa: E402
__all__ += ['FuseConvBNHook']
from .safe_checkpoint_hook import (NonFiniteLossHook,  # noqa: E402
                                   SafeCheckpointHook)
__all__ += ['NonFiniteLossHook', 'SafeCheckpointHook']
