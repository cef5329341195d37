from . import backbones, heads, layers  # noqa: F401
from . import pose_estimators  # noqa: F401
