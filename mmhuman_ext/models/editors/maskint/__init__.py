from .structure import (CannyEdgeDetector, DepthDetector,  # noqa: F401
                        HEDEdgeDetector)
from .keyframe_editor import JointKeyframeEditor  # noqa: F401
