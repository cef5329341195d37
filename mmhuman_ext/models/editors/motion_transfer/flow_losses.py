"""Losses on multi-scale backward flows (ORFNT Eq. 10).

Flows are ``(B, 2, H_l, W_l)`` in normalised grid units
(``mmhuman_ext.models.layers.flow_warp``), listed coarse to fine. The
perceptual-correctness and affine-regularisation terms follow GFLA (Ren et
al., CVPR 2020, public code ``model/networks/external_function.py``); the
TV and multi-scale consistency terms follow the ORFNT paper's text.
"""
import math
from typing import Dict, List, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmhuman_ext.models.layers.flow_warp import (sampling_grid_pixels,
                                                 warp_by_flow)
from mmhuman_ext.registry import MODELS


@MODELS.register_module()
class PerceptualCorrectnessLoss(nn.Module):
    """GFLA perceptual correctness, summed over flow levels.

    For level ``l`` with VGG features ``phi_s`` (source) and ``phi_d``
    (driving) of layer ``layers[l]`` (side ``r``, average-pooled to at most
    ``max_res``)::

        c(p)     = cos(Warp(phi_s, w_l)(p), phi_d(p))
        c_max(p) = max_q cos(phi_s(q), phi_d(p))
        L        = mean_p exp(-c(p) / (c_max(p) + eps)) - exp(-1)

    so ``L = 0`` when the warped source matches the target as well as any
    source position can. The ``N x N`` similarity (``N = r^2``) is computed
    in chunks of ``chunk`` target positions.

    Args:
        loss_weight (float): 5.0.
        layers (Sequence[str]): VGG layer per level, coarse to fine
            (relu3_1, relu2_1, relu2_1 for 128-px inputs).
        max_res (int): cap on ``r`` (64).
        chunk (int): target positions per similarity block (1024).
        eps (float): 1e-8.
    """

    def __init__(self, loss_weight: float = 5.0,
                 layers: Sequence[str] = ('relu3_1', 'relu2_1', 'relu2_1'),
                 max_res: int = 64, chunk: int = 1024, eps: float = 1e-8):
        super().__init__()
        self.loss_weight = loss_weight
        self.layers = tuple(layers)
        self.max_res = max_res
        self.chunk = chunk
        self.eps = eps

    def _cap(self, feat: Tensor) -> Tensor:
        if max(feat.shape[-2:]) > self.max_res:
            feat = F.adaptive_avg_pool2d(feat, self.max_res)
        return feat

    def level_loss(self, flow: Tensor, source: Tensor,
                   target: Tensor) -> Tensor:
        """One level: ``flow (B, 2, h, w)``, features ``(B, C, r, r)``."""
        source, target = self._cap(source), self._cap(target).detach()
        warped = warp_by_flow(source, flow)
        c = F.cosine_similarity(warped, target, dim=1, eps=1e-8).flatten(1)
        src = F.normalize(source.flatten(2), dim=1, eps=1e-8)
        tgt = F.normalize(target.flatten(2), dim=1, eps=1e-8)
        c_max = torch.cat([
            torch.bmm(tgt[:, :, i:i + self.chunk].transpose(1, 2),
                      src).amax(-1)
            for i in range(0, tgt.shape[-1], self.chunk)
        ], 1)
        return (torch.exp(-c / (c_max + self.eps)) - math.exp(-1)).mean()

    def forward(self, flows: List[Tensor], source_feats: Dict[str, Tensor],
                target_feats: Dict[str, Tensor]) -> Tensor:
        if len(flows) != len(self.layers):
            raise ValueError(f'{len(flows)} flows for {len(self.layers)} '
                             'correctness layers')
        loss = sum(
            self.level_loss(w, source_feats[n], target_feats[n])
            for w, n in zip(flows, self.layers))
        return self.loss_weight * loss


def affine_residual_operator(kernel: int, dtype=torch.float32) -> Tensor:
    """``K = A (A^T A)^-1 A^T - I`` ``(k^2, k^2)`` for window coordinates
    ``A = [x, y, 1]`` in ``unfold`` order (row-major): ``K g`` is the
    residual of the least-squares affine fit of ``g`` over the window."""
    ys, xs = torch.meshgrid(torch.arange(kernel, dtype=torch.float64),
                            torch.arange(kernel, dtype=torch.float64),
                            indexing='ij')
    a = torch.stack([xs.flatten(), ys.flatten(),
                     torch.ones(kernel * kernel, dtype=torch.float64)], 1)
    proj = a @ torch.linalg.inv(a.T @ a) @ a.T
    return (proj - torch.eye(kernel * kernel, dtype=torch.float64)).to(dtype)


@MODELS.register_module()
class AffineRegularizationLoss(nn.Module):
    """GFLA affine regularisation: every ``k x k`` window (stride 1) of the
    absolute sampling grid (pixel units of its level) is fit by an affine map
    of the window coordinates; the loss is the mean over windows of the
    squared residual ``|K G_x|^2 + |K G_y|^2``, summed over levels. Zero for
    any globally affine flow.

    Args:
        loss_weight (float): 0.01.
        kernel_sizes (Sequence[int]): window side per level, coarse to fine
            ((5, 5, 3)).
    """

    def __init__(self, loss_weight: float = 0.01,
                 kernel_sizes: Sequence[int] = (5, 5, 3)):
        super().__init__()
        self.loss_weight = loss_weight
        self.kernel_sizes = tuple(kernel_sizes)
        for k in self.kernel_sizes:
            self.register_buffer(f'operator_{k}', affine_residual_operator(k),
                                 persistent=False)

    def level_loss(self, flow: Tensor, kernel: int) -> Tensor:
        grid = sampling_grid_pixels(flow)
        b = grid.shape[0]
        windows = F.unfold(grid, kernel).view(b, 2, kernel * kernel, -1)
        op = getattr(self, f'operator_{kernel}').to(grid.dtype)
        residual = torch.einsum('ij,bcjl->bcil', op, windows)
        return residual.pow(2).sum((1, 2)).mean()

    def forward(self, flows: List[Tensor]) -> Tensor:
        if len(flows) != len(self.kernel_sizes):
            raise ValueError(f'{len(flows)} flows for {len(self.kernel_sizes)}'
                             ' window sizes')
        loss = sum(self.level_loss(w, k)
                   for w, k in zip(flows, self.kernel_sizes))
        return self.loss_weight * loss


@MODELS.register_module()
class FlowTVLoss(nn.Module):
    """``sum_l mean|dw/dx| + mean|dw/dy|`` (anisotropic total variation).

    Args:
        loss_weight (float): 1.0.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, flows: List[Tensor]) -> Tensor:
        loss = sum((w[..., :, 1:] - w[..., :, :-1]).abs().mean()
                   + (w[..., 1:, :] - w[..., :-1, :]).abs().mean()
                   for w in flows)
        return self.loss_weight * loss


@MODELS.register_module()
class MultiScaleFlowConsistencyLoss(nn.Module):
    """The coarsest flow as a soft label for the finer ones:
    ``sum_{l >= 2} mean|up_bilinear(sg(w_1)) - w_l|`` (normalised units need
    no rescaling).

    Args:
        loss_weight (float): 5.0.
    """

    def __init__(self, loss_weight: float = 5.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, flows: List[Tensor]) -> Tensor:
        coarse = flows[0].detach()
        loss = sum(
            (F.interpolate(coarse, size=w.shape[-2:], mode='bilinear',
                           align_corners=False) - w).abs().mean()
            for w in flows[1:])
        return self.loss_weight * loss
