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


# Nearest x2 upsampling then a 3x3 'same' convolution, on the small grid:
# output row 2i + a reads upsampled rows 2i + a - 1 .. 2i + a + 1, i.e. input
# rows (i - 1, i, i) for a = 0 and (i, i, i + 1) for a = 1 (zero padding
# either way). PHASE_TAPS[a, r, k] = 1 where kernel row k falls on row r of
# the 2-row input window; the same holds for columns.
PHASE_TAPS = (((1., 0., 0.), (0., 1., 1.)), ((1., 1., 0.), (0., 0., 1.)))


def upsample_conv3x3(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """``conv2d(interpolate(x, x2, 'nearest'), weight, bias, padding=1)``
    computed as four 2x2 convolutions on ``x`` (one per output phase): 16
    instead of 36 multiply-adds per output value and input channel.

    ``x (B, cin, H, W)``, ``weight (cout, cin, 3, 3)`` -> ``(B, cout, 2H,
    2W)``.
    """
    b, _, h, w = x.shape
    cout, cin = weight.shape[:2]
    taps = weight.new_tensor(PHASE_TAPS)
    # (a, b', cout, cin, 2, 2): the 2x2 kernel of output phase (a, b')
    phase = torch.einsum('ark,bsl,oikl->aboirs', taps, taps, weight)
    y = F.conv2d(F.pad(x, (1, 1, 1, 1)), phase.reshape(4 * cout, cin, 2, 2),
                 bias.repeat(4))
    # phase (a, b') at padded window (i + a, j + b') is output (2i+a, 2j+b')
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
