from .vertex_feature_transformer import VertexFeatureTransformer  # noqa: F401
from .spiral_upsampler import SpiralMeshUpsampler  # noqa: F401
from .cross_view_transformer_neck import CrossViewTransformerNeck  # noqa: F401

__all__ = [
    'CrossViewTransformerNeck', 'SpiralMeshUpsampler',
    'VertexFeatureTransformer'
]
