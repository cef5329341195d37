"""Flow supervision of MotionNet by the DensePose correspondence (a demo
stand-in for the paper's VGG-19 perceptual-correctness loss; off in the
paper configs, see ``docs/motion_transfer.md``)."""
from typing import List

import torch.nn.functional as F
from torch import Tensor, nn

from mmhuman_ext.models.layers.flow_warp import normalized_flow_to_pixels
from mmhuman_ext.registry import MODELS


@MODELS.register_module()
class DensePoseFlowSupervisionLoss(nn.Module):
    """Masked L1 between each predicted flow level and the correspondence
    flow of the two DensePose maps, in pixels of that level, averaged over
    levels.

    The target ``(B, 2, H, W)`` (normalised units) and its validity ``(B, 1,
    H, W)`` come from the pipeline step ``DensePoseCorrespondenceFlow``; at
    each level they are area-averaged to the flow's size (the target
    weighted by validity) and a pixel counts with its valid fraction.

    Args:
        loss_weight (float): weight of the term (0 turns it off).
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, flows: List[Tensor], target: Tensor,
                valid: Tensor) -> Tensor:
        """``flows``: ``(B, 2, h_l, w_l)`` coarse to fine (normalised);
        ``target (B, 2, H, W)``, ``valid (B, 1, H, W)``."""
        total = 0.
        for flow in flows:
            size = flow.shape[-2:]
            weight = F.adaptive_avg_pool2d(valid, size)
            tgt = F.adaptive_avg_pool2d(target * valid, size) / \
                weight.clamp(min=1e-6)
            err = normalized_flow_to_pixels(flow - tgt).abs().sum(1, True)
            total = total + (err * weight).sum() / weight.sum().clamp(
                min=1.)
        return self.loss_weight * total / len(flows)
