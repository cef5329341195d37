from .face_metric_nets import ArcFaceEmbedder, HyperIQA  # noqa: F401
from .fid import InceptionPool3, frechet_distance  # noqa: F401
from .lpips import LPIPSAlex  # noqa: F401
from .motion_transfer_nets import (MarkerKeypointDetector,  # noqa: F401
                                   OpenPose18Detector, OpenPoseBodyNet,
                                   ReIDResNet50)

__all__ = [
    'ArcFaceEmbedder', 'HyperIQA', 'InceptionPool3', 'LPIPSAlex',
    'MarkerKeypointDetector', 'OpenPose18Detector', 'OpenPoseBodyNet',
    'ReIDResNet50', 'frechet_distance'
]
