from .pose_sequence_transforms import FlipPoseSequence  # noqa: F401
from .multiview_transforms import (ApplyToViews, ComputeCameraRays,  # noqa: F401
                                   CropImageRows, PackMultiViewPoseInputs)
from .reenact_transforms import LoadReenactPair, PackReenactInputs  # noqa: F401
from .bbox_transforms import ClippedNormalBBoxTransform  # noqa: F401
from .motion_transfer_transforms import (  # noqa: F401
    DensePoseCorrespondenceFlow, LoadDensePoseIUV, LoadFramePair,
    LoadHumanMask, PackMotionTransferInputs, PairedColorJitter, PairedResize,
    RandomSwapSourceDriving)
from .video_clip_transforms import (LoadTokenClip, LoadVideoFrames,  # noqa: F401
                                    PackMaskINTInputs, ResizeVideo,
                                    SampleClipIndices)

__all__ = [
    'ApplyToViews', 'ClippedNormalBBoxTransform', 'ComputeCameraRays',
    'CropImageRows', 'DensePoseCorrespondenceFlow', 'FlipPoseSequence',
    'LoadDensePoseIUV', 'LoadFramePair', 'LoadHumanMask', 'LoadReenactPair',
    'LoadTokenClip',
    'LoadVideoFrames', 'PackMaskINTInputs', 'PackMotionTransferInputs',
    'PackMultiViewPoseInputs', 'PackReenactInputs', 'PairedColorJitter',
    'PairedResize', 'RandomSwapSourceDriving', 'ResizeVideo',
    'SampleClipIndices'
]
