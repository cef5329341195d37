"""Gaussian heatmaps decoded by the plain argmax (TransFusion's test)."""
from typing import Tuple

import numpy as np
from mmpose.codecs import MSRAHeatmap
from mmpose.codecs.utils import get_heatmap_maximum

from mmhuman_ext.registry import KEYPOINT_CODECS


@KEYPOINT_CODECS.register_module()
class ArgmaxHeatmap(MSRAHeatmap):
    """``MSRAHeatmap`` targets; ``decode`` returns the heatmap argmax itself.

    mmpose's ``MSRAHeatmap`` moves the argmax a quarter pixel towards the
    higher neighbour. The official TransFusion experiments do not
    (``TEST.POST_PROCESS: false``; the multi-view PPT one does), so
    converted TransFusion models are scored as their authors scored them
    with this codec. Arguments are ``MSRAHeatmap``'s (``unbiased`` must
    stay False).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.unbiased:
            raise ValueError('ArgmaxHeatmap decodes the plain argmax; use '
                             'MSRAHeatmap for unbiased (DARK) decoding')

    def decode(self, encoded: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """``(K, H, W)`` heatmaps -> keypoints ``(1, K, 2)`` in input-image
        pixels and scores ``(1, K)``."""
        keypoints, scores = get_heatmap_maximum(encoded)
        return keypoints[None] * self.scale_factor, scores[None]
