from .truncated_hrnet import TruncatedHRNet  # noqa: F401
from .stmo import STMO, STMOEncoder, StridedTransformerEncoder  # noqa: F401

__all__ = [
    'STMO', 'STMOEncoder', 'StridedTransformerEncoder', 'TruncatedHRNet'
]
