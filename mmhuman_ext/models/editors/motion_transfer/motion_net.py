"""MotionNet of ORFNT (Ji et al., T-MM 2024, Eq. 1): a FlowNet-S style
encoder-decoder on ``I_s (+) D(P_s) (+) D(P_d)`` that predicts

* two translation signals from its bottleneck, ``psi_t`` for the texture
  atlas translator and ``psi_g`` for the DensePose translator, and
* backward flows ``w_l`` and occlusion maps ``o_l`` at three scales
  (``H/4, H/2, H``: 32, 64, 128 for 128-px inputs), coarse to fine.

Flows are in normalised grid units (``mmhuman_ext.models.layers.flow_warp``),
so a coarse flow is upsampled to the next level without rescaling. The flow
heads start at zero (identity warp); occlusion heads end in a sigmoid.
"""
from typing import Dict, List

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS
from .blocks import SubPixelConvTranspose2d, conv


def _conv_lrelu(cin: int, cout: int, kernel: int, stride: int = 1):
    """Convolution + LeakyReLU(0.1), as in FlowNet."""
    return nn.Sequential(conv(cin, cout, kernel, stride), nn.LeakyReLU(0.1))


def _deconv_lrelu(cin: int, cout: int):
    """4x4 transposed convolution, stride 2 (x2 size) + LeakyReLU(0.1)."""
    return nn.Sequential(SubPixelConvTranspose2d(cin, cout),
                         nn.LeakyReLU(0.1))


def _up2(x: Tensor) -> Tensor:
    return F.interpolate(x, scale_factor=2.0, mode='bilinear',
                         align_corners=False)


@MODELS.register_module()
class DensePoseFlowNet(BaseModule):
    """MotionNet.

    Args:
        in_channels (int): ``3 + 2 * 3 * num_parts`` (147 for 24 parts).
        base_channels (int): ``b``; encoder widths ``b, 2b, 4b, 8b, 16b``
            (32 .. 512).
        tex_signal_ch (int): channels of ``psi_t`` (384).
        geo_signal_ch (int): channels of ``psi_g`` (256).
        signal_mode (str): ``'map'``: the signals are the bottleneck maps
            ``(B, C, H/16, W/16)``; ``'vector'``: spatially averaged to
            ``(B, C, 1, 1)`` (consumers broadcast them).

    Shapes for an input ``(B, 147, H, W)`` (``H = 128``): ``psi_t (B, 384,
    8, 8)``, ``psi_g (B, 256, 8, 8)``, ``flows[l] (B, 2, s_l, s_l)`` and
    ``occlusions[l] (B, 1, s_l, s_l)`` in [0, 1] for ``s = 32, 64, 128``.
    """

    def __init__(self, in_channels: int = 147, base_channels: int = 32,
                 tex_signal_ch: int = 384, geo_signal_ch: int = 256,
                 signal_mode: str = 'map', init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if signal_mode not in ('map', 'vector'):
            raise ValueError(f"signal_mode must be 'map' or 'vector', got "
                             f'{signal_mode!r}')
        self.in_channels = in_channels
        self.signal_mode = signal_mode
        b = base_channels
        self.enc0 = _conv_lrelu(in_channels, b, 3)
        self.enc1 = _conv_lrelu(b, 2 * b, 7, 2)
        self.enc2 = _conv_lrelu(2 * b, 4 * b, 5, 2)
        self.enc3 = nn.Sequential(_conv_lrelu(4 * b, 8 * b, 5, 2),
                                  _conv_lrelu(8 * b, 8 * b, 3))
        self.enc4 = nn.Sequential(_conv_lrelu(8 * b, 16 * b, 3, 2),
                                  _conv_lrelu(16 * b, 16 * b, 3))
        self.tex_signal_head = _conv_lrelu(16 * b, tex_signal_ch, 3)
        self.geo_signal_head = _conv_lrelu(16 * b, geo_signal_ch, 3)

        self.dec3 = _deconv_lrelu(16 * b, 8 * b)
        self.dec2 = _deconv_lrelu(16 * b, 4 * b)
        self.dec1 = _deconv_lrelu(8 * b, 2 * b)
        self.dec0 = _deconv_lrelu(4 * b + 3, b)
        level_channels = (8 * b, 4 * b + 3, 2 * b + 3)
        self.flow_heads = nn.ModuleList(conv(c, 2) for c in level_channels)
        self.occlusion_heads = nn.ModuleList(
            conv(c, 1) for c in level_channels)
        self._init_heads()

    def init_weights(self):
        super().init_weights()
        self._init_heads()

    def _init_heads(self):
        """Zero flow heads (identity warp at the start), zero occlusion
        biases (o = 0.5 on average)."""
        for head in self.flow_heads:
            nn.init.zeros_(head.weight)
            nn.init.zeros_(head.bias)
        for head in self.occlusion_heads:
            nn.init.zeros_(head.bias)

    def encode(self, x: Tensor) -> List[Tensor]:
        """Encoder features ``[e0 (B,b,H,W), e1, e2, e3, e4 (B,16b,H/16,
        W/16)]``."""
        if x.shape[1] != self.in_channels:
            raise ValueError(f'MotionNet expects {self.in_channels} input '
                             f'channels, got {tuple(x.shape)}')
        if x.shape[-1] % 16 or x.shape[-2] % 16:
            raise ValueError('MotionNet input size must be a multiple of 16, '
                             f'got {tuple(x.shape[-2:])}')
        feats = [self.enc0(x)]
        for layer in (self.enc1, self.enc2, self.enc3, self.enc4):
            feats.append(layer(feats[-1]))
        return feats

    def signals(self, bottleneck: Tensor) -> Dict[str, Tensor]:
        """``psi_t`` and ``psi_g`` from the bottleneck."""
        tex = self.tex_signal_head(bottleneck)
        geo = self.geo_signal_head(bottleneck)
        if self.signal_mode == 'vector':
            tex = tex.mean((2, 3), keepdim=True)
            geo = geo.mean((2, 3), keepdim=True)
        return dict(tex_signal=tex, geo_signal=geo)

    def decode(self, feats: List[Tensor]) -> Dict[str, List[Tensor]]:
        """Flows and occlusion maps, coarse (H/4) to fine (H)."""
        e0, e1, e2, e3, e4 = feats
        x = torch.cat([self.dec3(e4), e3], 1)
        x = torch.cat([self.dec2(x), e2], 1)
        flows, occlusions = [], []
        for level, (deconv, skip) in enumerate(((None, None),
                                                (self.dec1, e1),
                                                (self.dec0, e0))):
            if deconv is not None:
                x = torch.cat([deconv(x), skip, _up2(flows[-1]),
                               _up2(occlusions[-1])], 1)
            flows.append(self.flow_heads[level](x))
            occlusions.append(torch.sigmoid(self.occlusion_heads[level](x)))
        return dict(flows=flows, occlusions=occlusions)

    def forward(self, x: Tensor, decode: bool = True) -> Dict[str, object]:
        """``x (B, in_channels, H, W)`` -> ``dict(tex_signal, geo_signal,
        flows, occlusions)``; ``decode=False`` skips the flow decoder (the
        geometry stage needs only the signals)."""
        feats = self.encode(x)
        out = self.signals(feats[-1])
        if decode:
            out.update(self.decode(feats))
        return out
