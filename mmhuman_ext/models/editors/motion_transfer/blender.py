"""BlenderNet of ORFNT (Eq. 9): a shallow U-shaped network that fuses the 2D
warped feature ``F_2D`` and the neural texture feature ``F_nt`` and predicts
the final RGB and foreground mask jointly (ANR style), with an optional x2
PixelShuffle super-resolution block (the 128 -> 256 model)."""
from typing import Dict, Optional

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS
from .blocks import BN, ConvNormAct, PixelShuffle, ResBlock, UpBlock, conv


@MODELS.register_module()
class BlenderNet(BaseModule):
    """Args:
        in_channels (int): channels of the fused input (80 = 64 + 16; 64 or
            16 when a branch is ablated).
        base_channels (int): ``c`` (64); the bottom runs at ``2c``.
        num_res_blocks (int): ResBlocks at the bottom (2).
        upscale (int): 2 adds the SR block (conv to ``4c``, PixelShuffle(2),
            conv), 1 leaves it out (256 -> 256 model).

    ``forward((B, in_channels, H, W))`` gives ``image (B, 3, sH, sW)`` in
    [-1, 1] and ``mask (B, 1, sH, sW)`` in [0, 1]; ``use_sr=False`` skips the
    SR block (``s = 1``: the joint training stage at the input size).
    """

    def __init__(self, in_channels: int = 80, base_channels: int = 64,
                 num_res_blocks: int = 2, upscale: int = 2,
                 norm_cfg: Optional[dict] = BN, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if upscale not in (1, 2):
            raise ValueError(f'upscale must be 1 or 2, got {upscale}')
        c = base_channels
        self.in_channels = in_channels
        self.upscale = upscale
        n = dict(norm_cfg=norm_cfg)
        self.stem = ConvNormAct(in_channels, c, **n)
        self.down = ConvNormAct(c, 2 * c, 3, 2, **n)
        self.res = nn.Sequential(*[ResBlock(2 * c, **n)
                                   for _ in range(num_res_blocks)])
        self.up = UpBlock(2 * c, c, **n)
        self.fuse = ConvNormAct(2 * c, c, **n)
        if upscale == 2:
            self.sr = nn.Sequential(conv(c, 4 * c), PixelShuffle(2),
                                    nn.LeakyReLU(0.2), conv(c, c),
                                    nn.LeakyReLU(0.2))
        else:
            self.sr = None
        self.image_head = conv(c, 3)
        self.mask_head = conv(c, 1)

    def forward(self, x: Tensor, use_sr: bool = True) -> Dict[str, Tensor]:
        if x.shape[1] != self.in_channels:
            raise ValueError(f'BlenderNet expects {self.in_channels} input '
                             f'channels, got {tuple(x.shape)}')
        skip = self.stem(x)
        y = self.up(self.res(self.down(skip)))
        y = self.fuse(torch.cat([y, skip], 1))
        if use_sr and self.sr is not None:
            y = self.sr(y)
        return dict(image=torch.tanh(self.image_head(y)),
                    mask=torch.sigmoid(self.mask_head(y)))
