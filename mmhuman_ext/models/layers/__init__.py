from .positional_encoding import sine_position_table_2d  # noqa: F401
from .token_pruning import (HumanTokenIdentification,  # noqa: F401
                            PPTTransformer, num_kept_tokens)
from .transformer_layers import PreNormTransformerLayer  # noqa: F401
from .transformer_layers import PostNormTransformerLayer  # noqa: F401
from .camera_ray_encoding import CameraRayEncoding  # noqa: F401
from .patch_embedding import embed_patches  # noqa: F401
from .vgg19 import VGG19FeatureExtractor  # noqa: F401

__all__ = [
    'CameraRayEncoding', 'HumanTokenIdentification', 'PPTTransformer',
    'PostNormTransformerLayer', 'PreNormTransformerLayer',
    'VGG19FeatureExtractor', 'embed_patches', 'num_kept_tokens',
    'sine_position_table_2d'
]
