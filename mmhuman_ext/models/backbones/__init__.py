from .truncated_hrnet import TruncatedHRNet  # noqa: F401
