from .cvthead_generator import CVTHeadGenerator  # noqa: F401
from .cvthead import CVTHead  # noqa: F401
from . import maskint  # noqa: F401
from . import motion_transfer  # noqa: F401

__all__ = [
    'CVTHead', 'CVTHeadGenerator'
]
