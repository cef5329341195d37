"""Multi-scale, occlusion-gated feature warping generator of ORFNT (the 2D
appearance branch, Eqs. 2-4).

A source encoder ``E_s`` embeds ``I_s`` at three scales ``f_1`` (H/4),
``f_2`` (H/2), ``f_3`` (H). The decoder runs coarse to fine::

    a_l = Warp(f_l, w_l)
    h_1 = R_1((1 - o_1) a_1)
    h_l = R_l((1 - o_l) a_l + o_l Up_l(h_{l-1}))      l = 2, 3

so ``o = 0`` passes the warped source feature and ``o = 1`` the decoder's
running feature (the paper's occlusion semantics). ``F_2D = h_3`` gives the
coarse image ``tanh(conv7x7)`` and mask ``sigmoid(conv3x3)``.
"""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmhuman_ext.models.layers.flow_warp import warp_by_flow
from mmhuman_ext.registry import MODELS
from .blocks import BN, ConvNormAct, ResBlock, UpBlock, conv


@MODELS.register_module()
class MultiScaleWarpingGenerator(BaseModule):
    """Args:
        in_channels (int): source image channels (3).
        channels (Sequence[int]): widths of levels 1..3, coarse to fine
            ((256, 128, 64)).
        bottleneck_blocks (int): ResBlocks of ``R_1`` (4).
        occlusion (bool): False sets ``o = 0`` at every level (ablation "w/o
            occlusion map": each level then uses its warped source feature
            only).
        single_scale (bool): warp only the finest level with ``w_3``; the
            coarser levels use the unwarped encoder features (ablation
            "single-scale feature warping").

    ``encode((B, 3, H, W))`` gives ``[f_1 (B,256,H/4,W/4), f_2 (B,128,H/2,
    W/2), f_3 (B,64,H,W)]``; ``forward`` gives ``feature (B, 64, H, W)``,
    ``image (B, 3, H, W)`` in [-1, 1] and ``mask (B, 1, H, W)`` in [0, 1].
    """

    def __init__(self, in_channels: int = 3,
                 channels: Sequence[int] = (256, 128, 64),
                 bottleneck_blocks: int = 4, occlusion: bool = True,
                 single_scale: bool = False, norm_cfg: Optional[dict] = BN,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        c1, c2, c3 = channels
        self.out_channels = c3
        self.occlusion = occlusion
        self.single_scale = single_scale
        n = dict(norm_cfg=norm_cfg)
        self.enc3 = ConvNormAct(in_channels, c3, 7, **n)
        self.enc2 = nn.Sequential(ConvNormAct(c3, c2, 3, 2, **n),
                                  ResBlock(c2, **n))
        self.enc1 = nn.Sequential(ConvNormAct(c2, c1, 3, 2, **n),
                                  ResBlock(c1, **n))
        self.res1 = nn.Sequential(*[ResBlock(c1, **n)
                                    for _ in range(bottleneck_blocks)])
        self.up2 = UpBlock(c1, c2, **n)
        self.res2 = ResBlock(c2, **n)
        self.up3 = UpBlock(c2, c3, **n)
        self.res3 = ResBlock(c3, **n)
        self.image_head = conv(c3, 3, 7)
        self.mask_head = conv(c3, 1, 3)

    def encode(self, source: Tensor) -> List[Tensor]:
        """``E_s``: ``[f_1, f_2, f_3]``, coarse to fine."""
        f3 = self.enc3(source)
        f2 = self.enc2(f3)
        return [self.enc1(f2), f2, f3]

    def forward(self, source_feats: List[Tensor], flows: List[Tensor],
                occlusions: Optional[List[Tensor]] = None
                ) -> Dict[str, Tensor]:
        """Warp-and-fuse decoding of ``source_feats`` (from :meth:`encode`)
        with three flows ``(B, 2, s_l, s_l)`` and occlusion maps ``(B, 1,
        s_l, s_l)``, coarse to fine."""
        if len(source_feats) != 3 or len(flows) != 3:
            raise ValueError('expected 3 source features and 3 flows, got '
                             f'{len(source_feats)} and {len(flows)}')
        warped = []
        for level, (feat, flow) in enumerate(zip(source_feats, flows)):
            if self.single_scale:
                warped.append(warp_by_flow(feat, flows[-1])
                              if level == 2 else feat)
            else:
                warped.append(warp_by_flow(feat, flow))
        if self.occlusion and occlusions is not None:
            occ = occlusions
        else:
            occ = [torch.zeros_like(f[:, :1]) for f in warped]
        h = self.res1((1 - occ[0]) * warped[0])
        for a, o, up, res in ((warped[1], occ[1], self.up2, self.res2),
                              (warped[2], occ[2], self.up3, self.res3)):
            h = res((1 - o) * a + o * up(h))
        return dict(feature=h, image=torch.tanh(self.image_head(h)),
                    mask=torch.sigmoid(self.mask_head(h)))
