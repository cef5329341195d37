"""Convolution blocks shared by the ORFNT networks (docs/motion_transfer.md).

All blocks keep the spatial size unless they say otherwise; ``BN`` is an
affine ``BatchNorm2d`` (as in the FOMM / MRAA generator that the paper's 2D
baseline reuses: instance norm would remove each sample's per-channel mean,
i.e. the global colours that reconstruction needs) and activations are
LeakyReLU(0.2).
"""
import torch.nn.functional as F
from torch import Tensor, nn


def conv(cin: int, cout: int, kernel: int = 3, stride: int = 1) -> nn.Conv2d:
    """``kernel x kernel`` convolution with 'same' padding."""
    return nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2)


class ConvNormAct(nn.Sequential):
    """conv -> BN -> LeakyReLU(0.2); ``stride=2`` halves the size."""

    def __init__(self, cin: int, cout: int, kernel: int = 3,
                 stride: int = 1):
        super().__init__(conv(cin, cout, kernel, stride),
                         nn.BatchNorm2d(cout),
                         nn.LeakyReLU(0.2))


class ResBlock(nn.Module):
    """``x + BN(conv(LReLU(BN(conv(x)))))`` with two 3x3 convs of width
    ``channels``."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = conv(channels, channels)
        self.norm1 = nn.BatchNorm2d(channels)
        self.conv2 = conv(channels, channels)
        self.norm2 = nn.BatchNorm2d(channels)

    def forward(self, x: Tensor) -> Tensor:
        y = F.leaky_relu(self.norm1(self.conv1(x)), 0.2)
        return x + self.norm2(self.conv2(y))


class UpBlock(nn.Module):
    """x2 nearest upsampling -> conv3x3 -> BN -> LeakyReLU(0.2):
    ``(B, cin, H, W) -> (B, cout, 2H, 2W)``."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.body = ConvNormAct(cin, cout)

    def forward(self, x: Tensor) -> Tensor:
        return self.body(F.interpolate(x, scale_factor=2.0, mode='nearest'))
