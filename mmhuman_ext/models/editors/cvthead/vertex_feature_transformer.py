"""CVTHead vertex-feature transformer (paper Sec. 4.4.3).

Image tokens from the encoder features plus one learnable query per coarse
mesh vertex, positioned by sine encodings of the vertex's projected
``(u, v)`` and depth, go through a pre-norm ViT encoder with full
self-attention; the vertex tokens come out as per-vertex features.
The layers are :class:`~mmhuman_ext.models.layers.PreNormTransformerLayer`
(shared with TokenPose / PPT) and the image position table is
:func:`~mmhuman_ext.models.layers.sine_position_table_2d`.
"""
import math
from typing import Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmhuman_ext.models.layers import (PreNormTransformerLayer,
                                       embed_patches, sine_position_table_2d)
from mmhuman_ext.registry import MODELS


def sine_encoding(t: Tensor, dims: int, temperature: float = 10000.
                  ) -> Tensor:
    """Encode scalars ``t (...)`` into ``(..., dims)``: channel ``i`` is
    ``sin(2 pi t w_i)`` (even ``i``) or ``cos(2 pi t w_i)`` (odd ``i``) with
    ``w_i = temperature ** (-2 floor(i/2) / dims)``."""
    i = torch.arange(dims, device=t.device, dtype=t.dtype)
    omega = temperature**(-2 * torch.div(i, 2, rounding_mode='floor') / dims)
    phase = 2 * math.pi * t[..., None] * omega
    return torch.where(i.remainder(2) == 0, phase.sin(), phase.cos())


def vertex_position_encoding(points: Tensor, dims: int,
                             parts: Sequence[str] = ('uv', 'depth')
                             ) -> Tensor:
    """Sum of the query encodings (paper Sec. 4.4.3) for ``points (B, N, 3)``
    ``(u, v, d)`` in normalised units.

    ``'uv'``: ``[enc(t_v), enc(t_u)]`` with ``t = (x + 1) / 2`` and
    ``dims/2`` channels each; ``'depth'``: ``enc(t_d)`` with ``dims``
    channels. Returns ``(B, N, dims)``.
    """
    t = (points + 1) / 2
    out = points.new_zeros(*points.shape[:2], dims)
    for part in parts:
        if part == 'uv':
            out = out + torch.cat([sine_encoding(t[..., 1], dims // 2),
                                   sine_encoding(t[..., 0], dims // 2)], -1)
        elif part == 'depth':
            out = out + sine_encoding(t[..., 2], dims)
        else:
            raise ValueError(f"query_pe parts are 'uv' and 'depth', got "
                             f'{part!r}')
    return out


@MODELS.register_module()
class VertexFeatureTransformer(BaseModule):
    """Image tokens + coarse-vertex queries -> per-vertex features.

    Args:
        num_queries (int): Coarse vertices (314 for FLAME).
        in_channels (int): Encoder channels (2048).
        proj_channels (int): 1x1 projection width (256).
        patch_size (int): Patch merging (2).
        grid (int): Token grid side after patching (16 for 256 input).
        embed_dim (int): Token width (128).
        depth (int): Layers (6).
        num_heads (int): Heads (4).
        mlp_dim (int): FFN width (256).
        query_pe (tuple[str]): Encodings added to the queries; the paper's
            text names only depth, the official code adds both.

    Parameters: ``proj`` (1x1 conv with bias), ``patch_embed`` (Linear,
    input in patch order ``(p1, p2, c)``), ``queries (num_queries, C)``
    (zero-initialised), ``layers``. The image position table is a
    non-persistent buffer.

    Shapes: ``features (B, in, 2*grid, 2*grid)``, ``points (B, Vc, 3)``
    -> ``(B, Vc, C)``.
    """

    def __init__(self, num_queries: int = 314, in_channels: int = 2048,
                 proj_channels: int = 256, patch_size: int = 2,
                 grid: int = 16, embed_dim: int = 128, depth: int = 6,
                 num_heads: int = 4, mlp_dim: int = 256,
                 query_pe: Sequence[str] = ('uv', 'depth'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.patch_size = patch_size
        self.grid = grid
        self.embed_dim = embed_dim
        self.query_pe = tuple(query_pe)
        self.proj = nn.Conv2d(in_channels, proj_channels, 1)
        self.patch_embed = nn.Linear(proj_channels * patch_size**2,
                                     embed_dim)
        self.queries = nn.Parameter(torch.zeros(num_queries, embed_dim))
        self.layers = nn.ModuleList([
            PreNormTransformerLayer(embed_dim, num_heads, mlp_dim)
            for _ in range(depth)
        ])
        self.register_buffer('image_pe',
                             sine_position_table_2d(grid, grid, embed_dim),
                             persistent=False)

    def tokens(self, features: Tensor) -> Tensor:
        """``(B, in, 2g, 2g) -> (B, g*g, C)`` image tokens with position."""
        x = self.proj(features)
        h, w = x.shape[-2:]
        p = self.patch_size
        if (h, w) != (self.grid * p, self.grid * p):
            raise ValueError(f'encoder features {h}x{w} do not give the '
                             f'{self.grid}x{self.grid} token grid with '
                             f'patch size {p}')
        return embed_patches(x, self.patch_embed, (p, p)) + self.image_pe

    def forward(self, features: Tensor, points: Tensor) -> Tensor:
        if points.shape[1] != self.queries.shape[0]:
            raise ValueError(f'{points.shape[1]} coarse vertices given, the '
                             f'transformer has {self.queries.shape[0]} '
                             'queries (mesh hierarchy mismatch)')
        img = self.tokens(features)
        query = self.queries + vertex_position_encoding(
            points, self.embed_dim, self.query_pe)
        x = torch.cat([query, img], dim=1)
        for layer in self.layers:
            x = layer(x)
        return x[:, :query.shape[1]]
