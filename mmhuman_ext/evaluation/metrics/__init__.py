from .h36m_protocol_metric import H36MProtocolMPJPE  # noqa: F401
from .mpi_3dhp_metric import MPI3DHPMetric  # noqa: F401
from .mpm_metric import MPMReconstructionError  # noqa: F401
from .multiview_metrics import JointDetectionRate, TriangulationMPJPE  # noqa: F401
from .reenact_metrics import (CrossReenactMetric,  # noqa: F401
                              CVTHeadMotionMetric, SelfReenactMetric)
from .video_edit_metrics import (CLIPVideoConsistency,  # noqa: F401
                                 EditRuntime, FlowWarpingError)
from .frame_interpolation_metric import FrameInterpolationMetric  # noqa: F401
from .motion_transfer_metrics import (FrameL1Metric,  # noqa: F401
                                      KeypointAKDMKRMetric,
                                      PairedFIDMetric, ReIDAEDMetric)

__all__ = [
    'CLIPVideoConsistency', 'CVTHeadMotionMetric', 'CrossReenactMetric',
    'EditRuntime', 'FlowWarpingError', 'FrameInterpolationMetric',
    'FrameL1Metric', 'H36MProtocolMPJPE', 'JointDetectionRate',
    'KeypointAKDMKRMetric', 'MPI3DHPMetric', 'MPMReconstructionError',
    'PairedFIDMetric', 'ReIDAEDMetric', 'SelfReenactMetric',
    'TriangulationMPJPE'
]
