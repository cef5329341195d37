from .epipolar_field_loss import EpipolarFieldLoss  # noqa: F401
from .cvthead_losses import (CVTDiceLoss, DiscFeatureMatchingLoss,  # noqa: F401
                             FaceIdentityLoss, VGG19PerceptualLoss)
from .flow_losses import (AffineRegularizationLoss, FlowTVLoss,  # noqa: F401
                          MultiScaleFlowConsistencyLoss,
                          PerceptualCorrectnessLoss)
from .motion_transfer_losses import (DensePoseSegLoss,  # noqa: F401
                                     DensePoseUVLoss, MaskBCELoss,
                                     MaskedL1Loss, PyramidPerceptualLoss)

__all__ = [
    'AffineRegularizationLoss', 'CVTDiceLoss', 'DensePoseSegLoss',
    'DensePoseUVLoss', 'DiscFeatureMatchingLoss', 'EpipolarFieldLoss',
    'FaceIdentityLoss', 'FlowTVLoss', 'MaskBCELoss', 'MaskedL1Loss',
    'MultiScaleFlowConsistencyLoss', 'PerceptualCorrectnessLoss',
    'PyramidPerceptualLoss', 'VGG19PerceptualLoss'
]
