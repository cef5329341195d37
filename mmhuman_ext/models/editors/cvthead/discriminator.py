"""Single-scale patch discriminator with intermediate features (FOMM /
pix2pix style), as CVTHead's stage 2 uses it.

mmagic's ``PatchDiscriminator`` pads its strided convs and returns only the
score map; CVTHead's needs un-padded stride-1 convs with average pooling and
the four block outputs for feature matching, so it is written here.
"""
from typing import List, Optional, Tuple

import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS


class _DownBlock(nn.Module):

    def __init__(self, cin: int, cout: int, norm: bool, pool: bool):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 4)
        self.norm = nn.InstanceNorm2d(cout, affine=True) if norm else None
        self.pool = pool

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(x)
        if self.norm is not None:
            x = self.norm(x)
        x = F.leaky_relu(x, 0.2)
        return F.avg_pool2d(x, 2) if self.pool else x


@MODELS.register_module()
class FeaturePatchDiscriminator(BaseModule):
    """Block ``i``: conv 4x4 (no padding) -> InstanceNorm (affine, not in
    block 0) -> LeakyReLU 0.2 -> avg-pool 2 (not in the last block); widths
    ``min(max, base * 2^(i+1))``; then a 1x1 conv to one score channel.

    Args:
        in_channels (int): 3.
        base_channels (int): 32 (widths 64, 128, 256, 512).
        num_blocks (int): 4.
        max_channels (int): 512.

    ``forward((B, 3, 256, 256))`` returns the block features
    ``[(B,64,126,126), (B,128,61,61), (B,256,29,29), (B,512,26,26)]`` and
    scores ``(B, 1, 26, 26)``. 2,758,849 parameters.
    """

    def __init__(self, in_channels: int = 3, base_channels: int = 32,
                 num_blocks: int = 4, max_channels: int = 512,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        blocks, cin = [], in_channels
        for i in range(num_blocks):
            cout = min(max_channels, base_channels * 2**(i + 1))
            blocks.append(_DownBlock(cin, cout, norm=i != 0,
                                     pool=i != num_blocks - 1))
            cin = cout
        self.down_blocks = nn.ModuleList(blocks)
        self.conv = nn.Conv2d(cin, 1, 1)

    def forward(self, x: Tensor) -> Tuple[List[Tensor], Tensor]:
        features = []
        for block in self.down_blocks:
            x = block(x)
            features.append(x)
        return features, self.conv(x)
