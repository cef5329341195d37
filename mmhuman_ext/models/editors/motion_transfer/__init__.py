from .blender import BlenderNet  # noqa: F401
from .flow_supervision_loss import DensePoseFlowSupervisionLoss  # noqa: F401
from .motion_net import DensePoseFlowNet  # noqa: F401
from .orfnt import ORFNTGenerator, ORFNTMotionTransfer  # noqa: F401
from .texture_branch import (DifferentiableTextureMapper,  # noqa: F401
                             NeuralTextureBranch)
from .warping_generator import MultiScaleWarpingGenerator  # noqa: F401

__all__ = [
    'BlenderNet', 'DensePoseFlowNet', 'DensePoseFlowSupervisionLoss',
    'DifferentiableTextureMapper',
    'MultiScaleWarpingGenerator', 'NeuralTextureBranch', 'ORFNTGenerator',
    'ORFNTMotionTransfer'
]
