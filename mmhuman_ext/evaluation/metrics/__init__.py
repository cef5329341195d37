from .h36m_protocol_metric import H36MProtocolMPJPE  # noqa: F401
from .mpi_3dhp_metric import MPI3DHPMetric  # noqa: F401
from .mpm_metric import MPMReconstructionError  # noqa: F401
from .multiview_metrics import JointDetectionRate, TriangulationMPJPE  # noqa: F401
from .reenact_metrics import (CrossReenactMetric,  # noqa: F401
                              MotionTransferMetric, SelfReenactMetric)
from .face_metric_nets import ArcFaceEmbedder, HyperIQA  # noqa: F401
from .video_edit_metrics import (CLIPVideoConsistency,  # noqa: F401
                                 EditRuntime, FlowWarpingError)
from .frame_interpolation_metric import FrameInterpolationMetric  # noqa: F401
from .motion_transfer_branch_metric import (  # noqa: F401
    MotionTransferBranchMetric)
from .motion_transfer_metrics import (FrameL1Metric,  # noqa: F401
                                      KeypointAKDMKRMetric,
                                      PairedFIDMetric, ReIDAEDMetric)
from .motion_transfer_nets import (MarkerKeypointDetector,  # noqa: F401
                                   OpenPose18Detector, OpenPoseBodyNet,
                                   ReIDResNet50)

__all__ = [
    'ArcFaceEmbedder', 'CLIPVideoConsistency', 'CrossReenactMetric',
    'EditRuntime', 'FlowWarpingError', 'FrameInterpolationMetric',
    'FrameL1Metric', 'H36MProtocolMPJPE', 'HyperIQA', 'JointDetectionRate',
    'KeypointAKDMKRMetric', 'MPI3DHPMetric', 'MPMReconstructionError',
    'MarkerKeypointDetector', 'MotionTransferBranchMetric',
    'MotionTransferMetric', 'OpenPose18Detector',
    'OpenPoseBodyNet', 'PairedFIDMetric', 'ReIDAEDMetric', 'ReIDResNet50',
    'SelfReenactMetric', 'TriangulationMPJPE'
]
