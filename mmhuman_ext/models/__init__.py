from . import (backbones, data_preprocessors, editors, heads, layers,  # noqa
               losses, necks, pose_estimators)
