"""The MaskINT interpolation transformer (stage 2).

Colour and structure VQ tokens of every frame are embedded and summed with
a learnable 2D position table, downsampled per frame by a strided conv,
passed through window layers that alternate per-frame spatial attention and
spatio-temporal tube attention, upsampled back, and classified into the M
codes. Design decisions (down / up layers, windows, parameter counts) are in
``docs/maskint.md`` ("The transformer").
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS
from .video_window_attention import VideoWindowAttentionLayer

LAYER_KINDS = ('spatial', 'spatiotemporal')


@MODELS.register_module()
class MaskINTTransformer(BaseModule):
    """Args:
        codebook_size (int): M; colour id M is [MASK].
        embed_dims (int): width c. Defaults to 768 (Base).
        num_layers (int): window layers. Defaults to 12.
        num_heads (int): Defaults to 12.
        mlp_ratio (float): MLP width / c. Defaults to 4.
        token_hw (tuple[int, int]): grid ``(h, w)`` of the position table
            (48 x 84 for 384 x 672 frames); other grids interpolate it.
        down_factor (int): per-frame conv down / up factor. Defaults to 2.
        window_size (tuple[int, int]): tube window on the downsampled grid.
        layer_pattern (sequence[str], optional): ``'spatial'`` /
            ``'spatiotemporal'`` per layer; defaults to alternating, spatial
            first.
        temporal_pos_embed (bool): add a learnable per-frame embedding
            (``max_frames`` rows). Defaults to False (spatial table only, so
            any N and keyframe set works).
        max_frames (int): rows of the temporal table.
        drop_rate (float): dropout after the embedding and inside layers.
        use_structure (bool): False drops the structure embedding (the
            no-structure ablation); structure tokens are then ignored.
        init_cfg (dict, optional): mmengine init config.

    Shapes: ``color_tokens`` / ``structure_tokens`` ``(B, N, h, w)`` long
    (colour in ``[0, M]``, structure in ``[0, M)``); output ``(B, N, h, w,
    M)`` logits, or ``(P, M)`` at the ``P`` positions of ``query_mask``.
    """

    def __init__(self,
                 codebook_size: int,
                 embed_dims: int = 768,
                 num_layers: int = 12,
                 num_heads: int = 12,
                 mlp_ratio: float = 4.,
                 token_hw: Tuple[int, int] = (48, 84),
                 down_factor: int = 2,
                 window_size: Tuple[int, int] = (6, 6),
                 layer_pattern: Optional[Sequence[str]] = None,
                 temporal_pos_embed: bool = False,
                 max_frames: int = 16,
                 drop_rate: float = 0.1,
                 use_structure: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if layer_pattern is None:
            layer_pattern = [LAYER_KINDS[i % 2] for i in range(num_layers)]
        layer_pattern = list(layer_pattern)
        if len(layer_pattern) != num_layers or any(
                k not in LAYER_KINDS for k in layer_pattern):
            raise ValueError(f'layer_pattern must list {num_layers} of '
                             f'{LAYER_KINDS}, got {layer_pattern}')
        self.codebook_size = codebook_size
        self.mask_id = codebook_size
        self.embed_dims = embed_dims
        self.token_hw = tuple(token_hw)
        self.down_factor = down_factor
        self.layer_pattern = layer_pattern
        self.color_embed = nn.Embedding(codebook_size + 1, embed_dims)
        self.structure_embed = nn.Embedding(
            codebook_size, embed_dims) if use_structure else None
        self.pos_embed = nn.Parameter(torch.zeros(1, *token_hw, embed_dims))
        self.temporal_embed = nn.Parameter(torch.zeros(
            max_frames, embed_dims)) if temporal_pos_embed else None
        self.drop = nn.Dropout(drop_rate)
        self.downsample = nn.Conv2d(embed_dims, embed_dims, down_factor,
                                    down_factor)
        windows = {'spatial': (1, None, None),
                   'spatiotemporal': (None, *window_size)}
        self.layers = nn.ModuleList([
            VideoWindowAttentionLayer(
                embed_dims,
                num_heads,
                int(embed_dims * mlp_ratio),
                window=windows[kind],
                drop_rate=drop_rate) for kind in layer_pattern
        ])
        self.upsample = nn.ConvTranspose2d(embed_dims, embed_dims,
                                           down_factor, down_factor)
        self.up_act = nn.GELU()
        self.norm = nn.LayerNorm(embed_dims)
        self.head = nn.Linear(embed_dims, codebook_size)

    def init_weights(self):
        super().init_weights()
        if self.init_cfg is not None:  # pretrained weights
            return
        for table in (self.color_embed.weight, self.pos_embed):
            trunc_normal_(table, std=.02)
        if self.structure_embed is not None:
            trunc_normal_(self.structure_embed.weight, std=.02)
        if self.temporal_embed is not None:
            trunc_normal_(self.temporal_embed, std=.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=.02)
                nn.init.zeros_(m.bias)

    def _position_table(self, h: int, w: int) -> Tensor:
        """``(1, h, w, c)``; bicubic resize when the grid differs from
        ``token_hw``."""
        if (h, w) == self.token_hw:
            return self.pos_embed
        table = F.interpolate(self.pos_embed.permute(0, 3, 1, 2), (h, w),
                              mode='bicubic', align_corners=False)
        return table.permute(0, 2, 3, 1)

    def embed(self, color_tokens: Tensor, structure_tokens: Tensor) -> Tensor:
        """``(B, N, h, w)`` tokens -> ``(B, N, h, w, c)`` features."""
        B, N, h, w = color_tokens.shape
        x = self.color_embed(color_tokens)
        if self.structure_embed is not None:
            x = x + self.structure_embed(structure_tokens)
        x = x + self._position_table(h, w)[:, None]
        if self.temporal_embed is not None:
            if N > self.temporal_embed.shape[0]:
                raise ValueError(
                    f'{N} frames exceed the temporal table '
                    f'({self.temporal_embed.shape[0]} rows, max_frames)')
            x = x + self.temporal_embed[:N, None, None]
        return self.drop(x)

    def features(self, color_tokens: Tensor,
                 structure_tokens: Tensor) -> Tensor:
        """Features before the head, ``(B, N, h, w, c)``."""
        B, N, h, w = color_tokens.shape
        if structure_tokens.shape != color_tokens.shape:
            raise ValueError(
                f'structure tokens {tuple(structure_tokens.shape)} and colour '
                f'tokens {tuple(color_tokens.shape)} must have one shape')
        x = self.embed(color_tokens, structure_tokens)
        f = self.down_factor
        x = x.reshape(B * N, h, w, -1).permute(0, 3, 1, 2)
        x = F.pad(x, (0, -w % f, 0, -h % f))
        x = self.downsample(x)
        hd, wd = x.shape[-2:]
        x = x.permute(0, 2, 3, 1).reshape(B, N, hd, wd, -1)
        for layer in self.layers:
            x = layer(x)
        x = x.reshape(B * N, hd, wd, -1).permute(0, 3, 1, 2)
        x = self.up_act(self.upsample(x))[..., :h, :w]
        return x.permute(0, 2, 3, 1).reshape(B, N, h, w, -1)

    def forward(self,
                color_tokens: Tensor,
                structure_tokens: Tensor,
                query_mask: Optional[Tensor] = None) -> Tensor:
        """Logits ``(B, N, h, w, M)``, or ``(P, M)`` at the ``True``
        entries of ``query_mask (B, N, h, w)`` (row-major order): the head
        then runs only there, so training never builds the full tensor."""
        x = self.features(color_tokens, structure_tokens)
        if query_mask is not None:
            x = x[query_mask]
        return self.head(self.norm(x))
