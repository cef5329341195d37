"""U-Net renderer of CVTHead: splatted depth + vertex features
-> RGB (tanh) and foreground mask (sigmoid).

mmagic's U-Net generators (pix2pix ``UnetGenerator``) down-sample with strided
convs and no bilinear up-path; this one follows the official layout (two
conv-BN-ReLU per level, max-pool, bilinear x2 + conv on the way up), so it is
written here.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS


def _conv_bn_relu(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class _Down(nn.Module):

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv1 = _conv_bn_relu(cin, cout)
        self.conv2 = _conv_bn_relu(cout, cout)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv2(self.conv1(x))


class _Up(nn.Module):

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.upconv = _conv_bn_relu(cin, cout)
        self.conv1 = _conv_bn_relu(2 * cout, cout)
        self.conv2 = _conv_bn_relu(cout, cout)

    def forward(self, skip: Tensor, x: Tensor) -> Tensor:
        x = F.interpolate(x, scale_factor=2, mode='bilinear',
                          align_corners=True)
        x = torch.cat([self.upconv(x), skip], dim=1)
        return self.conv2(self.conv1(x))


@MODELS.register_module()
class PointRenderUNet(BaseModule):
    """Args:
        in_channels (int): 33 (depth + 32 descriptor channels).
        out_channels (int): 4 (RGB + mask logit).
        base_channels (int): 32 (widths 32 .. 512).
        num_levels (int): 5.

    Down level ``i``: (conv3x3 + BN + ReLU) x 2, then max-pool 2 (ceil mode)
    except at the last level. Up level: bilinear x2 (align_corners) -> conv3x3
    + BN + ReLU -> concat skip -> (conv3x3 + BN + ReLU) x 2. Final 1x1 conv.
    Conv weights Xavier-normal, biases 0. 8,646,084 parameters by default.

    Shapes: ``(B, 33, H, W)`` (H, W divisible by ``2^(levels-1)``) ->
    ``rgb (B, 3, H, W)`` in [-1, 1] and ``mask (B, 1, H, W)`` in [0, 1].
    """

    def __init__(self, in_channels: int = 33, out_channels: int = 4,
                 base_channels: int = 32, num_levels: int = 5,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        widths = [base_channels * 2**i for i in range(num_levels)]
        self.down_convs = nn.ModuleList(
            _Down(in_channels if i == 0 else widths[i - 1], widths[i])
            for i in range(num_levels))
        self.up_convs = nn.ModuleList(
            _Up(widths[i], widths[i - 1])
            for i in range(num_levels - 1, 0, -1))
        self.conv_final = nn.Conv2d(base_channels, out_channels, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.xavier_normal_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        skips = []
        for i, down in enumerate(self.down_convs):
            x = down(x)
            skips.append(x)
            if i < len(self.down_convs) - 1:
                x = F.max_pool2d(x, 2, ceil_mode=True)
        for i, up in enumerate(self.up_convs):
            x = up(skips[-(i + 2)], x)
        out = self.conv_final(x)
        return torch.tanh(out[:, :3]), torch.sigmoid(out[:, 3:])
