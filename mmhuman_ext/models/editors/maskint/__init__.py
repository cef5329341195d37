from .structure import (CannyEdgeDetector, DepthDetector,  # noqa: F401
                        HEDEdgeDetector)
from .extended_attention import ExtendedSelfAttnProcessor  # noqa: F401
from .keyframe_editor import JointKeyframeEditor  # noqa: F401
from .data_preprocessor import MaskINTDataPreprocessor  # noqa: F401
from .maskint import MaskINT  # noqa: F401
from .video_window_attention import VideoWindowAttentionLayer  # noqa: F401
from .transformer import MaskINTTransformer  # noqa: F401
from .vq_tokenizer import PatchVQTokenizer, VQGANTokenizer  # noqa: F401
from .edit_pipeline import MaskINTEditPipeline  # noqa: F401

__all__ = [
    'CannyEdgeDetector', 'DepthDetector', 'ExtendedSelfAttnProcessor',
    'HEDEdgeDetector', 'JointKeyframeEditor', 'MaskINT',
    'MaskINTDataPreprocessor', 'MaskINTEditPipeline', 'MaskINTTransformer',
    'PatchVQTokenizer', 'VQGANTokenizer', 'VideoWindowAttentionLayer'
]
