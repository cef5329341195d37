from .blender import BlenderNet  # noqa: F401
from .data_preprocessor import MotionTransferDataPreprocessor  # noqa: F401
from .discriminator import ResNetPatchDiscriminator  # noqa: F401
from .flow_losses import (AffineRegularizationLoss, FlowTVLoss,  # noqa: F401
                          MultiScaleFlowConsistencyLoss,
                          PerceptualCorrectnessLoss)
from .losses import (DensePoseSegLoss, DensePoseUVLoss,  # noqa: F401
                     MaskBCELoss, MaskedL1Loss, PyramidPerceptualLoss)
from .motion_net import DensePoseFlowNet  # noqa: F401
from .orfnt import ORFNTGenerator, ORFNTMotionTransfer  # noqa: F401
from .texture_branch import (DifferentiableTextureMapper,  # noqa: F401
                             NeuralTextureBranch)
from .warping_generator import MultiScaleWarpingGenerator  # noqa: F401

__all__ = [
    'AffineRegularizationLoss', 'BlenderNet', 'DensePoseFlowNet',
    'DensePoseSegLoss', 'DensePoseUVLoss', 'DifferentiableTextureMapper',
    'FlowTVLoss', 'MaskBCELoss', 'MaskedL1Loss',
    'MotionTransferDataPreprocessor', 'MultiScaleFlowConsistencyLoss',
    'MultiScaleWarpingGenerator', 'NeuralTextureBranch', 'ORFNTGenerator',
    'ORFNTMotionTransfer', 'PerceptualCorrectnessLoss',
    'PyramidPerceptualLoss', 'ResNetPatchDiscriminator'
]
