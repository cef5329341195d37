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


class UpBlock(nn.Module):
    """x2 nearest upsampling -> conv3x3 -> BN -> LeakyReLU(0.2):
    ``(B, cin, H, W) -> (B, cout, 2H, 2W)``."""

    def __init__(self, cin: int, cout: int, norm_cfg: Optional[dict] = BN):
        super().__init__()
        self.body = ConvNormAct(cin, cout, norm_cfg=norm_cfg)

    def forward(self, x: Tensor) -> Tensor:
        return self.body(F.interpolate(x, scale_factor=2.0, mode='nearest'))
