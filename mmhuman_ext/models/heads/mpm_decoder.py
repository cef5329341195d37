"""Light decoder of P-STMO's masked pose modelling (Stage I).

No OpenMMLab package has an MAE-style decoder over pose tokens, so it is
written here. It is discarded after pre-training.
"""
from typing import Optional

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS
from ..layers.pstmo_transformer import (BNLinearHead, TemporalTransformerLayer,
                                        build_norm)


@MODELS.register_module()
class MPMDecoder(BaseModule):
    """Reconstruct the full 2D sequence from the encoded visible frames.

    ::

        h   = proj(LN(h_vis))          # (B, V, d_dec), proj without bias
        tok = concat(h + P_D[vis_idx],
                     e_T + P_D[mask_idx])  # (B, N, d_dec)
        tok = num_layers x TemporalTransformerLayer(tok)
        out = BN + linear (d_dec -> 2J)                    # (B, N, J, 2)

    The tokens stay in the order *visible frames first, then masked frames*
    (each in temporal order); positions are carried only by ``P_D``, as in
    the official code. The caller reorders the target the same way.

    The decoder width is ``in_dims / 2`` in the official code although the
    paper writes d; ``final_norm`` is created but not applied,
    as in the official module (parameter count 2 * embed_dims).

    Args:
        in_dims (int): Encoder width d. Defaults to 256.
        embed_dims (int): Decoder width. Defaults to 128.
        ffn_dims (int): Decoder FFN width. Defaults to 256.
        num_layers (int): L_D (L1 - 1: 2 for P-STMO-S, 3 for P-STMO).
        num_heads (int): Attention heads. Defaults to 8.
        seq_len (int): N; inside ``MaskedPoseModeling`` taken from the
            encoder (leave it unset in configs).
        num_joints (int): J. Defaults to 17.
        out_channels (int): Coordinates per joint. Defaults to 2.
        dropout (float): Dropout. Defaults to 0.1.
        norm (str): ``'pstmo_ln'`` or ``'ln'``.

    Shape:
        ``h_vis (B, V, d)``, ``vis_idx (B, V)``, ``mask_idx (B, N - V)``
        -> ``(B, N, J, out_channels)``.
    """

    def __init__(self,
                 in_dims: int = 256,
                 embed_dims: int = 128,
                 ffn_dims: int = 256,
                 num_layers: int = 2,
                 num_heads: int = 8,
                 seq_len: Optional[int] = None,
                 num_joints: int = 17,
                 out_channels: int = 2,
                 dropout: float = 0.1,
                 norm: str = 'pstmo_ln',
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if seq_len is None:
            raise ValueError('MPMDecoder needs seq_len (N frames); inside '
                             'MaskedPoseModeling it is taken from the encoder')
        self.num_joints = num_joints
        self.in_norm = build_norm(norm, in_dims)
        self.in_proj = nn.Linear(in_dims, embed_dims, bias=False)
        self.pos_embed = nn.Parameter(torch.randn(1, seq_len, embed_dims))
        self.mask_token = nn.Parameter(torch.randn(1, 1, embed_dims))
        self.layers = nn.ModuleList(
            TemporalTransformerLayer(embed_dims, num_heads, ffn_dims, dropout,
                                     norm) for _ in range(num_layers))
        self.final_norm = build_norm(norm, embed_dims)
        self.head = BNLinearHead(embed_dims, out_channels * num_joints)

    def forward(self, h_vis: Tensor, vis_idx: Tensor,
                mask_idx: Tensor) -> Tensor:
        B = h_vis.shape[0]
        pos = self.pos_embed.expand(B, -1, -1)
        dims = self.pos_embed.shape[-1]

        def pos_at(idx):
            return torch.gather(pos, 1, idx.unsqueeze(-1).expand(-1, -1, dims))

        x = torch.cat([
            self.in_proj(self.in_norm(h_vis)) + pos_at(vis_idx),
            self.mask_token + pos_at(mask_idx)
        ],
                      dim=1)
        for layer in self.layers:
            x = layer(x)
        out = self.head(x)
        return out.view(B, out.shape[1], self.num_joints, -1)
