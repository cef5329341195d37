"""Convolution blocks shared by the ORFNT networks (docs/motion_transfer.md).

All blocks keep the spatial size unless they say otherwise; activations are
LeakyReLU(0.2). ``norm_cfg`` is an mmcv norm config, by default an affine
``BatchNorm2d`` (as in the FOMM / MRAA generator that the paper's 2D
baseline reuses: instance norm would remove each sample's per-channel mean,
i.e. the global colours that reconstruction needs); ``None`` leaves the
normalisation out (the CPU demo: the statistics of a 4-image batch also
shift the colours, docs/motion_transfer.md).
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from torch import Tensor, nn

BN = dict(type='BN')


def norm(channels: int, norm_cfg: Optional[dict]) -> nn.Module:
    """The ``norm_cfg`` layer for ``channels``, or identity when None."""
    if norm_cfg is None:
        return nn.Identity()
    return build_norm_layer(norm_cfg, channels)[1]


def conv(cin: int, cout: int, kernel: int = 3, stride: int = 1) -> nn.Conv2d:
    """``kernel x kernel`` convolution with 'same' padding."""
    return nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2)


class ConvNormAct(nn.Sequential):
    """conv -> BN -> LeakyReLU(0.2); ``stride=2`` halves the size."""

    def __init__(self, cin: int, cout: int, kernel: int = 3,
                 stride: int = 1, norm_cfg: Optional[dict] = BN):
        super().__init__(conv(cin, cout, kernel, stride),
                         norm(cout, norm_cfg),
                         nn.LeakyReLU(0.2))


class ResBlock(nn.Module):
    """``x + BN(conv(LReLU(BN(conv(x)))))`` with two 3x3 convs of width
    ``channels``."""

    def __init__(self, channels: int, norm_cfg: Optional[dict] = BN):
        super().__init__()
        self.conv1 = conv(channels, channels)
        self.norm1 = norm(channels, norm_cfg)
        self.conv2 = conv(channels, channels)
        self.norm2 = norm(channels, norm_cfg)

    def forward(self, x: Tensor) -> Tensor:
        y = F.leaky_relu(self.norm1(self.conv1(x)), 0.2)
        return x + self.norm2(self.conv2(y))


def _phase_taps(w: Tensor, dim: int) -> Tensor:
    """Sum the 3 taps of ``w`` along ``dim`` into the 2 taps of each output
    phase of nearest x2 upsampling: phase 0 reads input offsets (-1, 0)
    with taps (0, 1 + 2), phase 1 offsets (0, +1) with taps (0 + 1, 2).
    Returns the two phases stacked in a new first dimension."""
    t0, t1, t2 = w.unbind(dim)
    return torch.stack([torch.stack([t0, t1 + t2], dim),
                        torch.stack([t0 + t1, t2], dim)])


def upsample_conv3x3(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """``conv2d(interpolate(x, x2, 'nearest'), weight, bias, padding=1)``
    computed as four 2x2 convolutions on ``x`` (one per output phase): 16
    instead of 36 multiply-adds per output value and input channel.

    ``x (B, cin, H, W)``, ``weight (cout, cin, 3, 3)`` -> ``(B, cout, 2H,
    2W)``.
    """
    b, _, h, w = x.shape
    cout, cin = weight.shape[:2]
    # (row phase a, column phase c, cout, cin, 2, 2)
    phase = _phase_taps(_phase_taps(weight, -2), -1).transpose(0, 1)
    y = F.conv2d(F.pad(x, (1, 1, 1, 1)), phase.reshape(4 * cout, cin, 2, 2),
                 bias.repeat(4))
    # phase (a, c) at padded window (i + a, j + c) is output (2i+a, 2j+c)
    y = y.view(b, 2, 2, cout, h + 1, w + 1)
    rows = [
        torch.stack([y[:, a, c, :, a:a + h, c:c + w] for c in (0, 1)], -1)
        for a in (0, 1)
    ]
    return torch.stack(rows, 3).reshape(b, cout, 2 * h, 2 * w)


class UpBlock(nn.Module):
    """x2 nearest upsampling -> conv3x3 -> BN -> LeakyReLU(0.2):
    ``(B, cin, H, W) -> (B, cout, 2H, 2W)`` (the first two fused by
    :func:`upsample_conv3x3`)."""

    def __init__(self, cin: int, cout: int, norm_cfg: Optional[dict] = BN):
        super().__init__()
        self.body = ConvNormAct(cin, cout, norm_cfg=norm_cfg)

    def forward(self, x: Tensor) -> Tensor:
        conv_layer, norm_layer, act = self.body
        return act(norm_layer(upsample_conv3x3(x, conv_layer.weight,
                                               conv_layer.bias)))


class PixelShuffle(nn.PixelShuffle):
    """``nn.PixelShuffle`` computed as one view-permute-copy: ``(B, C r^2,
    H, W) -> (B, C, rH, rW)``, the same values (on CPU about twice as fast
    as the ``pixel_shuffle`` kernel for contiguous NCHW tensors)."""

    def forward(self, x: Tensor) -> Tensor:
        r = self.upscale_factor
        b, c, h, w = x.shape
        c //= r * r
        return x.view(b, c, r, r, h, w).permute(0, 1, 4, 2, 5, 3).reshape(
            b, c, h * r, w * r)
