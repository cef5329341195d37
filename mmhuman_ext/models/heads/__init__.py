from .ppt_head import PPTHead  # noqa: F401
from .mpm_decoder import MPMDecoder  # noqa: F401
from .stmo_head import STMOHead  # noqa: F401
