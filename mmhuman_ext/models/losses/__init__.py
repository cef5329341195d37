from .epipolar_field_loss import EpipolarFieldLoss  # noqa: F401
from .cvthead_losses import (CVTDiceLoss, DiscFeatureMatchingLoss,  # noqa: F401
                             FaceIdentityLoss, VGG19PerceptualLoss)
