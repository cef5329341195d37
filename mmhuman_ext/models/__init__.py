from . import backbones, heads, layers  # noqa: F401
from . import pose_estimators  # noqa: F401
from . import losses, necks  # noqa: F401
from . import data_preprocessors  # noqa: F401
from . import editors, losses, necks  # noqa: F401
