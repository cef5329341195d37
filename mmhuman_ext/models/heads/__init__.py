from .ppt_head import PPTHead  # noqa: F401
from .mpm_decoder import MPMDecoder  # noqa: F401
from .stmo_head import STMOHead  # noqa: F401
from .stmo_head import STMORefineHead  # noqa: F401
from .multiview_ppt_head import MultiViewPPTHead  # noqa: F401
from .multiview_ppt_head import MultiViewHead  # noqa: F401

__all__ = [
    'MPMDecoder', 'MultiViewHead', 'MultiViewPPTHead', 'PPTHead',
    'STMOHead', 'STMORefineHead'
]
