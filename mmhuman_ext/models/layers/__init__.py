from .positional_encoding import sine_position_table_2d  # noqa: F401
from .token_pruning import (HumanTokenIdentification,  # noqa: F401
                            PPTTransformer, num_kept_tokens)
from .transformer_layers import PreNormTransformerLayer  # noqa: F401
from .transformer_layers import PostNormTransformerLayer  # noqa: F401
from .flame import FLAMELayer  # noqa: F401
from .hair_deformer import LinearHairDeformer  # noqa: F401
from .mesh_hierarchy import MeshHierarchy  # noqa: F401
from .point_rasterizer import PointZBufferRasterizer  # noqa: F401
from .camera_ray_encoding import CameraRayEncoding  # noqa: F401
from .patch_embedding import embed_patches  # noqa: F401
from .extended_attention import ExtendedSelfAttnProcessor  # noqa: F401
from .vgg19 import VGG19FeatureExtractor  # noqa: F401
from .video_window_attention import VideoWindowAttentionLayer  # noqa: F401

__all__ = [
    'CameraRayEncoding', 'ExtendedSelfAttnProcessor', 'FLAMELayer',
    'HumanTokenIdentification', 'LinearHairDeformer', 'MeshHierarchy',
    'PPTTransformer', 'PointZBufferRasterizer', 'PostNormTransformerLayer',
    'PreNormTransformerLayer', 'VGG19FeatureExtractor',
    'VideoWindowAttentionLayer', 'embed_patches', 'num_kept_tokens',
    'sine_position_table_2d'
]
