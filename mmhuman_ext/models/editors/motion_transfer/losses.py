"""Image, mask and DensePose losses of ORFNT (Eqs. 11-13).

* :class:`DensePoseUVLoss`, :class:`DensePoseSegLoss`: the DensePose
  translation loss (UV regression on the true part's channel, as in Huang
  et al.'s few-shot motion transfer code; cross-entropy over 25 classes).
* :class:`MaskedL1Loss`: L1 of the neural-texture render inside a mask.
* :class:`PyramidPerceptualLoss`: FOMM / MRAA image-pyramid VGG-19 loss.
* :class:`MaskBCELoss`: foreground-mask BCE.

Images are in [-1, 1]. mmagic's ``L1Loss`` and ``GANLoss`` (LSGAN) are used
as they are for the plain reconstruction and adversarial terms.
"""
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS


@MODELS.register_module()
class DensePoseUVLoss(nn.Module):
    """``sum_k mean_p 1[I(p) = k] (|U^_k(p) - U(p)| + |V^_k(p) - V(p)|)``:
    only the true part's channel is supervised; the mean runs over all
    pixels, background included.

    Args:
        loss_weight (float): 5.0.

    ``forward(u (B, K, H, W), v, target_iuv (B, 3, H, W))``.
    """

    def __init__(self, loss_weight: float = 5.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, u: Tensor, v: Tensor, target_iuv: Tensor) -> Tensor:
        parts = target_iuv[:, :1].round().long()
        fg = (parts > 0).to(u.dtype)
        index = (parts - 1).clamp(min=0)
        u_sel = u.gather(1, index)
        v_sel = v.gather(1, index)
        err = (u_sel - target_iuv[:, 1:2]).abs() \
            + (v_sel - target_iuv[:, 2:3]).abs()
        return self.loss_weight * (fg * err).mean()


@MODELS.register_module()
class DensePoseSegLoss(nn.Module):
    """Cross-entropy of part logits ``(B, K+1, H, W)`` against the part ids
    of ``target_iuv`` (0 = background), mean over pixels.

    Args:
        loss_weight (float): 1.0.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, logits: Tensor, target_iuv: Tensor) -> Tensor:
        return self.loss_weight * F.cross_entropy(
            logits, target_iuv[:, 0].round().long())


@MODELS.register_module()
class MaskedL1Loss(nn.Module):
    """``sum_p m(p) |pred(p) - target(p)|_1 / (C sum_p m(p) + eps)`` over the
    batch, with a mask ``m (B, 1, H, W)`` (no gradient through it).

    Args:
        loss_weight (float): 1.0.
        eps (float): 1e-6.
    """

    def __init__(self, loss_weight: float = 1.0, eps: float = 1e-6):
        super().__init__()
        self.loss_weight = loss_weight
        self.eps = eps

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        mask = mask.detach()
        num = (mask * (pred - target).abs()).sum()
        return self.loss_weight * num / (pred.shape[1] * mask.sum()
                                         + self.eps)


def anti_alias_downsample(x: Tensor, scale: float) -> Tensor:
    """FOMM's anti-aliased downsampling: Gaussian blur with ``sigma = (1 /
    scale - 1) / 2`` and kernel ``2 round(4 sigma) + 1``, then stride ``1 /
    scale``. ``scale = 1`` returns ``x``."""
    if scale == 1:
        return x
    inv = int(round(1 / scale))
    sigma = (1 / scale - 1) / 2
    size = 2 * round(sigma * 4) + 1
    coords = torch.arange(size, dtype=x.dtype, device=x.device)
    coords = coords - (size - 1) / 2
    g = torch.exp(-coords**2 / (2 * sigma**2))
    kernel = torch.outer(g, g)
    kernel = (kernel / kernel.sum()).expand(x.shape[1], 1, size, size)
    half = size // 2
    x = F.pad(x, (half, half, half, half))
    x = F.conv2d(x, kernel, groups=x.shape[1])
    return x[:, :, ::inv, ::inv]


@MODELS.register_module()
class PyramidPerceptualLoss(nn.Module):
    """``sum_s sum_i w_i mean|phi_i(D_s(pred)) - phi_i(D_s(target))|`` with
    ``D_s`` = :func:`anti_alias_downsample` and ``phi_i`` the VGG-19 layers
    given by the extractor (relu1_1 .. relu5_1); target features are
    detached. Scales at which the image side would fall below 16 px (the
    total VGG-19 stride up to relu5_1) are skipped.

    Args:
        loss_weight (float): 10.0.
        scales (Sequence[float]): (1, 0.5, 0.25, 0.125).
        layer_weights (Sequence[float], optional): per layer, default 1.

    ``forward(pred, target, extractor)``: ``extractor`` maps [-1, 1] images
    to ``{layer: feature}`` (``VGG19FeatureExtractor``), shared with other
    losses of the model.
    """

    def __init__(self, loss_weight: float = 10.0,
                 scales: Sequence[float] = (1, 0.5, 0.25, 0.125),
                 layer_weights: Optional[Sequence[float]] = None):
        super().__init__()
        self.loss_weight = loss_weight
        self.scales = tuple(scales)
        self.layer_weights = layer_weights

    def forward(self, pred: Tensor, target: Tensor, extractor) -> Tensor:
        loss = pred.new_zeros(())
        for s in self.scales:
            if min(pred.shape[-2:]) * s < 16:
                continue
            fp: Dict[str, Tensor] = extractor(anti_alias_downsample(pred, s))
            with torch.no_grad():
                ft = extractor(anti_alias_downsample(target, s))
            weights = self.layer_weights or [1.0] * len(fp)
            for w, name in zip(weights, fp):
                loss = loss + w * (fp[name] - ft[name]).abs().mean()
        return self.loss_weight * loss


@MODELS.register_module()
class MaskBCELoss(nn.Module):
    """Binary cross-entropy of a predicted mask in [0, 1] against a target
    mask in [0, 1], both ``(B, 1, H, W)``; the prediction is clamped to
    ``[eps, 1 - eps]``.

    Args:
        loss_weight (float): 1.0.
        eps (float): 1e-6.
    """

    def __init__(self, loss_weight: float = 1.0, eps: float = 1e-6):
        super().__init__()
        self.loss_weight = loss_weight
        self.eps = eps

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return self.loss_weight * F.binary_cross_entropy(
            pred.clamp(self.eps, 1 - self.eps), target)
