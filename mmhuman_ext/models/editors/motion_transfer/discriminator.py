"""Spectral-norm ResNet patch discriminator (GFLA's ``ResDiscriminator``
design, used by ORFNT: "a simple discriminator with ResNet blocks").

The project's ``FeaturePatchDiscriminator`` (FOMM style, plain convs with
instance norm, for CVTHead's feature matching) has no residual blocks and
no spectral norm, so this one sits beside it.
"""
from typing import Optional

import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn.utils import spectral_norm

from mmhuman_ext.registry import MODELS


class _ResDownBlock(nn.Module):
    """``LReLU -> conv3x3 -> LReLU -> conv4x4/2`` plus the shortcut
    ``avgpool2 -> conv1x1``; spectral norm on every conv."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv1 = spectral_norm(nn.Conv2d(cin, cout, 3, 1, 1))
        self.conv2 = spectral_norm(nn.Conv2d(cout, cout, 4, 2, 1))
        self.shortcut = spectral_norm(nn.Conv2d(cin, cout, 1))

    def forward(self, x: Tensor) -> Tensor:
        y = self.conv1(F.leaky_relu(x, 0.2))
        y = self.conv2(F.leaky_relu(y, 0.2))
        return y + self.shortcut(F.avg_pool2d(x, 2))


@MODELS.register_module()
class ResNetPatchDiscriminator(BaseModule):
    """conv3x3 ``in -> base`` then ``num_down`` residual downsampling blocks
    (widths ``min(base * 2^(i+1), max)``) and a conv3x3 to one score per
    patch.

    Args:
        in_channels (int): 3.
        base_channels (int): 32.
        max_channels (int): 128 (widths 64, 128, 128, 128).
        num_down (int): 4.

    ``forward((B, 3, 256, 256))`` -> scores ``(B, 1, 16, 16)``.
    """

    def __init__(self, in_channels: int = 3, base_channels: int = 32,
                 max_channels: int = 128, num_down: int = 4,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.stem = spectral_norm(nn.Conv2d(in_channels, base_channels, 3, 1,
                                            1))
        blocks, cin = [], base_channels
        for i in range(num_down):
            cout = min(base_channels * 2**(i + 1), max_channels)
            blocks.append(_ResDownBlock(cin, cout))
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = spectral_norm(nn.Conv2d(cin, 1, 3, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        y = self.blocks(self.stem(x))
        return self.head(F.leaky_relu(y, 0.2))
