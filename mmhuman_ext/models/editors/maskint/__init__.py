from .structure import (CannyEdgeDetector, DepthDetector,  # noqa: F401
                        HEDEdgeDetector)
