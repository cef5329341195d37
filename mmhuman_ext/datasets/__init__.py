from .h36m_videopose3d import H36MVideoPose3DDataset  # noqa: F401
from .mpi_inf_3dhp_seq import MPIInf3DHPSeqDataset  # noqa: F401
from . import transforms  # noqa: F401
from .multiview_h36m import (MultiViewH36MDataset,  # noqa: F401
                             MultiViewSkiPoseDataset)
from .voxceleb_reenact import VoxCelebReenactDataset  # noqa: F401
from .video_clip_dataset import VideoFramesClipDataset, VideoTokenClipDataset  # noqa: F401,E501
from .densepose_video_pair_dataset import DensePoseVideoPairDataset  # noqa: F401,E501
from .video_edit_benchmark import VideoEditBenchmarkDataset  # noqa: F401
from .synthetic import (SyntheticCocoDataset,  # noqa: F401
                        SyntheticH36MDataset, SyntheticHeadDataset,
                        SyntheticMultiViewH36MDataset, SyntheticPuppetDataset)

__all__ = [
    'DensePoseVideoPairDataset', 'H36MVideoPose3DDataset',
    'MPIInf3DHPSeqDataset', 'MultiViewH36MDataset',
    'MultiViewSkiPoseDataset', 'SyntheticCocoDataset',
    'SyntheticH36MDataset', 'SyntheticHeadDataset',
    'SyntheticMultiViewH36MDataset', 'SyntheticPuppetDataset',
    'VideoEditBenchmarkDataset', 'VideoFramesClipDataset',
    'VideoTokenClipDataset', 'VoxCelebReenactDataset'
]
