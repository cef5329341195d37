"""TransFusion's cross-view transformer (dissertation ch. 2).

Data flow for a group of V views (default V = 2, 256x256 crops, batch B):

1. backbone features ``(B*V, 512, 32, 32)`` (ResNet-50 to ``layer2``);
2. ``reduce`` 1x1 conv (no bias) -> ``(B*V, 256, 32, 32)``, flattened
   row-major to ``L = 1024`` tokens per view;
3. positions: the fixed 2D sine table ``E_2D`` ``(L, 256)`` plus, per view,
   the 3D encoding: ``'geometry'`` = GPE, :class:`CameraRayEncoding` of
   each token's unit camera ray ``(B, V, L, 3)`` (computed by the data
   pipeline, ``ComputeCameraRays``); ``'learnable'`` = a free
   ``(V, L, 256)`` parameter (randn init, ablation of Table 2.3); ``'none'``;
4. ``fusion=True``: the tokens of the V views are concatenated into one
   ``(B, V*L, 256)`` sequence, so self-attention mixes views;
   ``fusion=False`` runs every view alone (single-view TransPose);
5. ``num_layers`` post-norm DETR layers
   (:class:`~mmhuman_ext.models.layers.PostNormTransformerLayer`; positions
   added to queries and keys of every layer, not to values; no final norm);
6. split back to ``(B*V, 256, 32, 32)`` for the heatmap head.

``forward`` also returns the GPE ``(B, V, L, 256)`` (None unless
``pe_3d='geometry'``) for the epipolar field loss.

Parameter names follow the official TransPose / TransFusion checkpoints
where a counterpart exists: ``reduce``, ``layers.i.*`` (the official
``global_encoder.layers.i.*``), ``ray_encoding.proj`` (``pos_3d_linear``),
``pos_3d`` (learnable ablation).
"""
from typing import Optional, Tuple

import torch
from mmengine.model import BaseModule, ModuleList
from torch import Tensor, nn

from mmhuman_ext.models.layers.positional_encoding import \
    sine_position_table_2d
from mmhuman_ext.registry import MODELS

PE_3D_TYPES = ('geometry', 'learnable', 'none')


@MODELS.register_module()
class CrossViewTransformerNeck(BaseModule):
    """See the module docstring.

    Args:
        in_channels (int): Backbone channels. Defaults to 512.
        embed_dims (int): Token width d. Defaults to 256.
        num_layers (int): Encoder depth. Defaults to 3.
        num_heads (int): Attention heads. Defaults to 8.
        ffn_dim (int): FFN hidden width. Defaults to 1024.
        dropout (float): Dropout of the encoder layers. Defaults to 0.1.
        feat_size (tuple[int, int]): ``(W, H)`` of the token grid (input
            size / 8). Defaults to (32, 32).
        pe_3d (str): ``'geometry'`` (GPE), ``'learnable'`` or ``'none'``.
        fusion (bool): Concatenate the views. Defaults to True.
        num_views (int): Views per group; only the learnable 3D PE needs
            it. Defaults to 2.
        init_cfg (dict, optional): mmengine init config. By default the
            encoder's matrices are Xavier-uniform (official init).

    Shapes: ``forward(feats, ray_dirs=None, num_views=2)`` with
    ``feats[-1]`` ``(B*V, C, H, W)`` (views of a group consecutive) and
    ``ray_dirs`` ``(B, V, H*W, 3)`` -> ``((B*V, d, H, W),)`` and GPE
    ``(B, V, H*W, d)`` or None.
    """

    def __init__(self,
                 in_channels: int = 512,
                 embed_dims: int = 256,
                 num_layers: int = 3,
                 num_heads: int = 8,
                 ffn_dim: int = 1024,
                 dropout: float = 0.1,
                 feat_size: Tuple[int, int] = (32, 32),
                 pe_3d: str = 'geometry',
                 fusion: bool = True,
                 num_views: int = 2,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if pe_3d not in PE_3D_TYPES:
            raise ValueError(f'pe_3d must be one of {PE_3D_TYPES}, got '
                             f'{pe_3d!r}')
        self.embed_dims = embed_dims
        self.feat_size = tuple(feat_size)
        self.pe_3d = pe_3d
        self.fusion = fusion
        self.num_views = num_views
        w, h = self.feat_size
        self.reduce = nn.Conv2d(in_channels, embed_dims, 1, bias=False)
        self.register_buffer(
            'pos_embed', sine_position_table_2d(h, w, embed_dims),
            persistent=False)
        if pe_3d == 'geometry':
            self.ray_encoding = MODELS.build(
                dict(type='CameraRayEncoding', embed_dims=embed_dims))
        elif pe_3d == 'learnable':
            self.pos_3d = nn.Parameter(torch.randn(num_views, h * w,
                                                   embed_dims))
        self.layers = ModuleList([
            MODELS.build(
                dict(
                    type='PostNormTransformerLayer',
                    embed_dims=embed_dims,
                    num_heads=num_heads,
                    feedforward_channels=ffn_dim,
                    dropout=dropout)) for _ in range(num_layers)
        ])

    def init_weights(self):
        super().init_weights()
        if self.init_cfg is None:
            for p in self.layers.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)

    @property
    def requires_rays(self) -> bool:
        """Whether ``forward`` needs ``ray_dirs``."""
        return self.pe_3d == 'geometry'

    def forward(self,
                feats: Tuple[Tensor],
                ray_dirs: Optional[Tensor] = None,
                num_views: int = 2):
        x = self.reduce(feats[-1])
        BV, C, H, W = x.shape
        w, h = self.feat_size
        if (H, W) != (h, w):
            raise ValueError(
                f'CrossViewTransformerNeck expects a {h}x{w} feature grid '
                f'(feat_size (w, h) = {self.feat_size}, i.e. input size '
                f'{8 * w}x{8 * h} at stride 8), got {H}x{W}')
        if BV % num_views:
            raise ValueError(f'{BV} feature maps are not groups of '
                             f'{num_views} views')
        B, V, L = BV // num_views, num_views, H * W
        tokens = x.flatten(2).transpose(1, 2).reshape(B, V, L, C)
        pos = self.pos_embed.expand(B, V, L, C)
        gpe = None
        if self.pe_3d == 'geometry':
            if ray_dirs is None or tuple(ray_dirs.shape) != (B, V, L, 3):
                got = None if ray_dirs is None else tuple(ray_dirs.shape)
                raise ValueError(
                    f'pe_3d="geometry" needs ray_dirs of shape {(B, V, L, 3)}'
                    f' (ComputeCameraRays with stride 8 in the pipeline), '
                    f'got {got}')
            gpe = self.ray_encoding(ray_dirs)
            pos = pos + gpe
        elif self.pe_3d == 'learnable':
            if V != self.pos_3d.shape[0]:
                raise ValueError(f'the learnable 3D PE has '
                                 f'{self.pos_3d.shape[0]} views, got {V}')
            pos = pos + self.pos_3d
        if self.fusion:
            tokens, pos = tokens.reshape(B, V * L, C), pos.reshape(B, V * L, C)
        else:
            tokens, pos = tokens.reshape(BV, L, C), pos.reshape(BV, L, C)
        for layer in self.layers:
            tokens = layer(tokens, pos)
        out = tokens.reshape(BV, H, W, C).permute(0, 3, 1, 2).contiguous()
        return (out, ), gpe
