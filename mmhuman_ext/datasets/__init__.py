from .synthetic_coco_dataset import SyntheticCocoDataset  # noqa: F401
from .h36m_videopose3d import H36MVideoPose3DDataset  # noqa: F401
from .mpi_inf_3dhp_seq import MPIInf3DHPSeqDataset  # noqa: F401
from .synthetic_h36m_dataset import SyntheticH36MDataset  # noqa: F401
from . import transforms  # noqa: F401
from .multiview_h36m import (MultiViewH36MDataset,  # noqa: F401
                             MultiViewSkiPoseDataset)
from .voxceleb_reenact import VoxCelebReenactDataset  # noqa: F401
from .synthetic_head_dataset import SyntheticHeadDataset  # noqa: F401
from .synthetic_multiview_dataset import SyntheticMultiViewH36MDataset  # noqa: F401
from .video_clip_dataset import VideoFramesClipDataset, VideoTokenClipDataset  # noqa: F401,E501
from .densepose_video_pair_dataset import DensePoseVideoPairDataset  # noqa: F401,E501
from .synthetic_puppet_dataset import SyntheticPuppetDataset  # noqa: F401
from .video_edit_benchmark import VideoEditBenchmarkDataset  # noqa: F401

__all__ = [
    'DensePoseVideoPairDataset', 'H36MVideoPose3DDataset',
    'MPIInf3DHPSeqDataset', 'MultiViewH36MDataset',
    'MultiViewSkiPoseDataset', 'SyntheticCocoDataset',
    'SyntheticH36MDataset', 'SyntheticHeadDataset',
    'SyntheticMultiViewH36MDataset', 'SyntheticPuppetDataset',
    'VideoEditBenchmarkDataset', 'VideoFramesClipDataset',
    'VideoTokenClipDataset', 'VoxCelebReenactDataset'
]
