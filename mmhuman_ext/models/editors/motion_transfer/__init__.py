from .blender import BlenderNet  # noqa: F401
from .motion_net import DensePoseFlowNet  # noqa: F401
from .orfnt import ORFNTGenerator, ORFNTMotionTransfer  # noqa: F401
from .texture_branch import (DifferentiableTextureMapper,  # noqa: F401
                             NeuralTextureBranch)
from .warping_generator import MultiScaleWarpingGenerator  # noqa: F401

__all__ = [
    'BlenderNet', 'DensePoseFlowNet', 'DifferentiableTextureMapper',
    'MultiScaleWarpingGenerator', 'NeuralTextureBranch', 'ORFNTGenerator',
    'ORFNTMotionTransfer'
]
