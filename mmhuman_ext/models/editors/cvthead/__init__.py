from .flame import FLAMELayer  # noqa: F401
from .hair_deformer import LinearHairDeformer  # noqa: F401
from .mesh_hierarchy import MeshHierarchy  # noqa: F401
from .point_rasterizer import PointZBufferRasterizer  # noqa: F401
from .rome_encoder import ROMEBottleneckEncoder  # noqa: F401
from .deca_encoder import DECAEncoder  # noqa: F401
from .vertex_feature_transformer import VertexFeatureTransformer  # noqa: F401
from .spiral_upsampler import SpiralMeshUpsampler  # noqa: F401
from .point_render_unet import PointRenderUNet  # noqa: F401
from .generator import CVTHeadGenerator  # noqa: F401
from .discriminator import FeaturePatchDiscriminator  # noqa: F401
from .losses import (CVTDiceLoss, DiscFeatureMatchingLoss,  # noqa: F401
                     FaceIdentityLoss, VGG19PerceptualLoss)
from .cvthead import CVTHead  # noqa: F401

__all__ = [
    'CVTDiceLoss', 'CVTHead', 'CVTHeadGenerator', 'DECAEncoder',
    'DiscFeatureMatchingLoss', 'FLAMELayer', 'FaceIdentityLoss',
    'FeaturePatchDiscriminator', 'LinearHairDeformer', 'MeshHierarchy',
    'PointRenderUNet', 'PointZBufferRasterizer', 'ROMEBottleneckEncoder',
    'SpiralMeshUpsampler', 'VGG19PerceptualLoss', 'VertexFeatureTransformer'
]
