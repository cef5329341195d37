"""Neural texture mapping branch of ORFNT (the 2.5D geometry branch,
Eqs. 5-8).

From ``I_s (+) D(P_s)`` a shared trunk ``E_sh`` and two final convolutions
``E_a`` (appearance) and ``E_g`` (geometry) encode the source. With the
MotionNet translation signals:

* the texture-atlas translator ``T_t(E_a (+) psi_t)`` builds a per-sample
  neural atlas ``Phi (B, 24, C_t, H_t, W_t)``, one ``C_t``-channel texture
  per DensePose part (rebuilt for every sample, not a learned constant);
* the DensePose translator ``T_g(E_g (+) psi_g)`` predicts the driving IUV:
  part logits ``(B, 25, H, W)`` (channel 0 = background) and per-part
  ``U, V (B, 24, H, W)`` in (0, 1).

:class:`DifferentiableTextureMapper` samples each part's atlas at its
predicted UV and blends the parts with their softmax probabilities
(background dropped); one conv renders the coarse image, another the mask.
"""
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS
from .blocks import BN, ConvNormAct, ResBlock, UpBlock, conv


@MODELS.register_module()
class DifferentiableTextureMapper(nn.Module):
    """``F(p) = sum_k S_k(p) * bilinear(Phi_k, x=U_k(p), y=V_k(p))``.

    U indexes atlas columns (x) and V rows (y); ``U = 0`` is the centre of
    the first texel column and ``U = 1`` of the last (``align_corners=True``),
    coordinates outside [0, 1] clamp to the border. One ``grid_sample`` call
    for all parts.

    Args:
        atlas (Tensor): ``(B, K, C, H_t, W_t)``.
        u, v (Tensor): ``(B, K, H, W)`` per-part coordinates in [0, 1].
        part_prob (Tensor): ``(B, K, H, W)`` part weights (background
            excluded).

    Returns:
        Tensor: ``(B, C, H, W)``.
    """

    def forward(self, atlas: Tensor, u: Tensor, v: Tensor,
                part_prob: Tensor) -> Tensor:
        b, k, c, ht, wt = atlas.shape
        if u.shape[:2] != (b, k) or u.shape != v.shape \
                or part_prob.shape != u.shape:
            raise ValueError(
                f'atlas {tuple(atlas.shape)} needs u, v, part_prob of shape '
                f'(B={b}, K={k}, H, W); got {tuple(u.shape)}, '
                f'{tuple(v.shape)}, {tuple(part_prob.shape)}')
        h, w = u.shape[-2:]
        grid = torch.stack((u, v), dim=-1).reshape(b * k, h, w, 2) * 2 - 1
        sampled = F.grid_sample(atlas.reshape(b * k, c, ht, wt),
                                grid.to(atlas.dtype), mode='bilinear',
                                padding_mode='border', align_corners=True)
        sampled = sampled.view(b, k, c, h, w)
        # the weighted sum over parts, accumulated part by part (no
        # (B, K, C, H, W) product in memory)
        out = sampled[:, 0] * part_prob[:, :1]
        for part in range(1, k):
            out = out.addcmul(sampled[:, part], part_prob[:, part:part + 1])
        return out


def _translator_body(cin: int, width: int, num_res: int,
                     norm_cfg: Optional[dict]) -> nn.Sequential:
    return nn.Sequential(ConvNormAct(cin, width, norm_cfg=norm_cfg),
                         *[ResBlock(width, norm_cfg) for _ in range(num_res)])


def _broadcast(signal: Tensor, like: Tensor) -> Tensor:
    """Expand a vector signal ``(B, C, 1, 1)`` to ``like``'s size."""
    if signal.shape[-2:] == like.shape[-2:]:
        return signal
    if signal.shape[-2:] != (1, 1):
        raise ValueError(f'signal of size {tuple(signal.shape[-2:])} does '
                         f'not match the source code {tuple(like.shape[-2:])}')
    return signal.expand(-1, -1, *like.shape[-2:])


@MODELS.register_module()
class NeuralTextureBranch(BaseModule):
    """Args:
        num_parts (int): DensePose parts (24).
        in_channels (int): ``3 + 3 * num_parts`` (75).
        encoder_channels (Sequence[int]): ``E_sh`` widths: a 7x7 conv to the
            first, then one stride-2 block per following width
            ((64, 128, 256, 256, 256): H/16 at the end).
        code_channels (int): output of ``E_a`` and ``E_g`` (256).
        tex_signal_ch, geo_signal_ch (int): ``psi_t`` / ``psi_g`` channels
            (384 / 256).
        translator_channels (int): width after the first translator conv
            (256), followed by ``num_res_blocks`` ResBlocks (2).
        atlas_up_channels (Sequence[int]): ``T_t`` upsampling widths
            ((256, 256, 384): atlas side ``H/2``, 64 for 128-px inputs).
        tex_channels (int): ``C_t`` (16).
        geo_up_channels (Sequence[int]): ``T_g`` upsampling widths
            ((256, 128, 64, 64): back to the input size).
        norm_cfg (dict, optional): normalisation of every block (BN);
            None: none (the CPU demo).

    Outputs of :meth:`forward` for ``H = 128``: ``atlas (B,24,16,64,64)``,
    ``seg_logits (B,25,128,128)``, ``part_prob`` (their softmax), ``u, v
    (B,24,128,128)``, ``feature (B,16,128,128)``, ``image (B,3,128,128)``
    in [-1, 1], ``mask (B,1,128,128)`` in [0, 1].
    """

    def __init__(self, num_parts: int = 24, in_channels: int = 75,
                 encoder_channels: Sequence[int] = (64, 128, 256, 256, 256),
                 code_channels: int = 256, tex_signal_ch: int = 384,
                 geo_signal_ch: int = 256, translator_channels: int = 256,
                 num_res_blocks: int = 2,
                 atlas_up_channels: Sequence[int] = (256, 256, 384),
                 tex_channels: int = 16,
                 geo_up_channels: Sequence[int] = (256, 128, 64, 64),
                 norm_cfg: Optional[dict] = BN, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.num_parts = num_parts
        self.tex_channels = tex_channels
        self.out_channels = tex_channels
        trunk = [ConvNormAct(in_channels, encoder_channels[0], 7,
                             norm_cfg=norm_cfg)]
        for cin, cout in zip(encoder_channels[:-1], encoder_channels[1:]):
            trunk.append(ConvNormAct(cin, cout, 3, 2, norm_cfg))
        self.shared_encoder = nn.Sequential(*trunk)
        self.appearance_head = conv(encoder_channels[-1], code_channels)
        self.geometry_head = conv(encoder_channels[-1], code_channels)

        def ups(cin, widths):
            layers = []
            for cout in widths:
                layers.append(UpBlock(cin, cout, norm_cfg))
                cin = cout
            return nn.Sequential(*layers)

        self.atlas_translator = nn.Sequential(
            _translator_body(code_channels + tex_signal_ch,
                             translator_channels, num_res_blocks, norm_cfg),
            ups(translator_channels, atlas_up_channels),
            conv(atlas_up_channels[-1], num_parts * tex_channels))
        self.densepose_translator = nn.Sequential(
            _translator_body(code_channels + geo_signal_ch,
                             translator_channels, num_res_blocks, norm_cfg),
            ups(translator_channels, geo_up_channels))
        c = geo_up_channels[-1]
        self.seg_head = conv(c, num_parts + 1)
        self.u_head = conv(c, num_parts)
        self.v_head = conv(c, num_parts)
        self.mapper = DifferentiableTextureMapper()
        self.image_head = conv(tex_channels, 3)
        self.mask_head = conv(tex_channels, 1)

    def encode_source(self, source: Tensor) -> Dict[str, Tensor]:
        """``I_s (+) D(P_s) (B, 75, H, W)`` -> appearance and geometry codes
        ``(B, 256, H/16, W/16)`` (cacheable per source image)."""
        z = self.shared_encoder(source)
        return dict(appearance=self.appearance_head(z),
                    geometry=self.geometry_head(z))

    def forward(self, source_codes: Dict[str, Tensor], tex_signal: Tensor,
                geo_signal: Tensor) -> Dict[str, Tensor]:
        app, geo = source_codes['appearance'], source_codes['geometry']
        b = app.shape[0]
        atlas = self.atlas_translator(
            torch.cat([app, _broadcast(tex_signal, app)], 1))
        atlas = atlas.view(b, self.num_parts, self.tex_channels,
                           *atlas.shape[-2:])
        g = self.densepose_translator(
            torch.cat([geo, _broadcast(geo_signal, geo)], 1))
        seg_logits = self.seg_head(g)
        part_prob = seg_logits.softmax(1)
        u = torch.sigmoid(self.u_head(g))
        v = torch.sigmoid(self.v_head(g))
        feature = self.mapper(atlas, u, v, part_prob[:, 1:])
        return dict(atlas=atlas, seg_logits=seg_logits, part_prob=part_prob,
                    u=u, v=v, feature=feature,
                    image=torch.tanh(self.image_head(feature)),
                    mask=torch.sigmoid(self.mask_head(feature)))
