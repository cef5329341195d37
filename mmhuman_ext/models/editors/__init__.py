from . import cvthead  # noqa: F401
from . import maskint  # noqa: F401
from . import motion_transfer  # noqa: F401
