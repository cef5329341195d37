from .truncated_hrnet import TruncatedHRNet  # noqa: F401
from .stmo import STMO, STMOEncoder, StridedTransformerEncoder  # noqa: F401
from .rome_encoder import ROMEBottleneckEncoder  # noqa: F401
from .deca_encoder import DECAEncoder  # noqa: F401
from .patch_discriminator import FeaturePatchDiscriminator  # noqa: F401
from .resnet_patch_discriminator import ResNetPatchDiscriminator  # noqa: F401

__all__ = [
    'DECAEncoder', 'FeaturePatchDiscriminator', 'ROMEBottleneckEncoder',
    'ResNetPatchDiscriminator', 'STMO', 'STMOEncoder',
    'StridedTransformerEncoder', 'TruncatedHRNet'
]
