"""Transformer encoder layers split at the point where tokens may be pruned.

Every layer here implements the *prunable layer* protocol used by
:class:`~mmhuman_ext.models.layers.token_pruning.PPTTransformer`:

* ``attention(x, pos=None, num_query_rows=0) -> (x, attn_rows)``: the
  self-attention block including its residual (and, for post-norm, its
  LayerNorm). ``pos`` ``(B or 1, N, C)`` is the position table of the *last*
  ``N`` tokens of ``x`` (the visual tokens; leading tokens such as keypoint
  tokens get none); each layer type injects it its own way. When
  ``num_query_rows = J > 0`` the layer also returns the attention
  probabilities of the first ``J`` queries, averaged over heads,
  ``(B, J, L)``, computed without gradient (they only choose tokens);
  otherwise ``attn_rows`` is None.
* ``ffn(x) -> x``: the feed-forward block including its residual.
* ``forward(x, pos=None) -> x``: both blocks.

The attention output always goes through
:func:`torch.nn.functional.scaled_dot_product_attention` (fused kernels on
CPU and GPU); the ``J`` probability rows are a separate ``J x L`` product, so
a pruning layer costs ``J / L`` of an attention map extra, and other layers
nothing.
"""
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS


def resolve_qk_scale(qk_scale: Union[str, float], embed_dims: int,
                     num_heads: int) -> float:
    """``'head'`` -> ``(C / H) ** -0.5`` (standard multi-head scaling);
    ``'dim'`` -> ``C ** -0.5`` (TokenPose-S / PPT-S, paper Eq. 3.1); a number
    is used as is."""
    if qk_scale == 'head':
        return (embed_dims // num_heads)**-0.5
    if qk_scale == 'dim':
        return embed_dims**-0.5
    if isinstance(qk_scale, (int, float)) and not isinstance(qk_scale, bool) \
            and qk_scale > 0:
        return float(qk_scale)
    raise ValueError(f"qk_scale must be 'head', 'dim' or a positive number, "
                     f'got {qk_scale!r}')


def keypoint_attention_rows(q: Tensor, k: Tensor, num_rows: int,
                            scale: float) -> Tensor:
    """Head-averaged attention probabilities of the first ``num_rows`` queries.

    Args:
        q (Tensor): ``(B, H, L, d)`` queries.
        k (Tensor): ``(B, H, L, d)`` keys.
        num_rows (int): ``J``, the number of leading query tokens.
        scale (float): Logit scale.

    Returns:
        Tensor: ``(B, J, L)``, rows sum to 1; no gradient.
    """
    with torch.no_grad():
        logits = torch.matmul(q[:, :, :num_rows], k.transpose(-2, -1)) * scale
        return logits.softmax(dim=-1).sum(dim=1) / q.shape[1]


@MODELS.register_module()
class PreNormTransformerLayer(BaseModule):
    """Pre-norm ViT encoder layer (TokenPose / PPT, paper Eq. 3.1)::

        x <- x + Proj(MHSA(LN1(x)))        # attention()
        [tokens may be pruned here]
        x <- x + FC2(GELU(FC1(LN2(x))))    # ffn()

    ``pos`` is added to the residual stream of the last ``N`` tokens before
    the attention block ("sine-full" mode of TokenPose: the position table is
    re-added before every layer, on the visual tokens only). There is no
    dropout (all TokenPose / PPT settings use 0).

    Args:
        embed_dims (int): Token width C.
        num_heads (int): Attention heads H (C divisible by H).
        feedforward_channels (int): Hidden width of the FFN.
        qk_scale (str | float): ``'head'``, ``'dim'`` or a number; see
            :func:`resolve_qk_scale`. Defaults to ``'head'``.
        qkv_bias (bool): Bias in the fused QKV projection. Defaults to False
            (TokenPose / PPT).
        init_cfg (dict, optional): mmengine init config.

    Parameters: ``norm1``, ``qkv`` (C -> 3C, q/k/v blocks in that order, heads
    contiguous inside each block), ``proj``, ``norm2``, ``fc1``, ``fc2``.

    Shapes: ``x`` ``(B, L, C)``, ``pos`` ``(B or 1, N, C)`` with ``N <= L``.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 feedforward_channels: int,
                 qk_scale: Union[str, float] = 'head',
                 qkv_bias: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims ({embed_dims}) must be divisible '
                             f'by num_heads ({num_heads})')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.scale = resolve_qk_scale(qk_scale, embed_dims, num_heads)
        self.norm1 = nn.LayerNorm(embed_dims)
        self.qkv = nn.Linear(embed_dims, 3 * embed_dims, bias=qkv_bias)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.norm2 = nn.LayerNorm(embed_dims)
        self.fc1 = nn.Linear(embed_dims, feedforward_channels)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(feedforward_channels, embed_dims)

    def attention(self,
                  x: Tensor,
                  pos: Optional[Tensor] = None,
                  num_query_rows: int = 0) -> Tuple[Tensor, Optional[Tensor]]:
        """Residual self-attention block; see the module docstring."""
        if pos is not None:
            lead = x.shape[1] - pos.shape[1]
            x = torch.cat((x[:, :lead], x[:, lead:] + pos), dim=1)
        B, L, C = x.shape
        qkv = self.qkv(self.norm1(x)).view(B, L, 3, self.num_heads,
                                           C // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # (B, H, L, d) each
        out = F.scaled_dot_product_attention(q, k, v, scale=self.scale)
        x = x + self.proj(out.transpose(1, 2).reshape(B, L, C))
        rows = keypoint_attention_rows(q, k, num_query_rows, self.scale) \
            if num_query_rows else None
        return x, rows

    def ffn(self, x: Tensor) -> Tensor:
        """Residual feed-forward block."""
        return x + self.fc2(self.act(self.fc1(self.norm2(x))))

    def forward(self, x: Tensor, pos: Optional[Tensor] = None) -> Tensor:
        return self.ffn(self.attention(x, pos)[0])


@MODELS.register_module()
class PostNormTransformerLayer(BaseModule):
    """Post-norm encoder layer of DETR / TransPose::

        x <- LN1(x + Drop(MHA(q = k = x + pos, v = x)))   # attention()
        [tokens may be pruned here]
        x <- LN2(x + Drop(FC2(Drop(act(FC1(x))))))        # ffn()

    ``pos`` is added to the queries and keys of the last ``N`` tokens, not
    to the values nor the residual stream. Attention logits are scaled by
    ``1 / sqrt(C / H)``.

    Args:
        embed_dims (int): Token width C.
        num_heads (int): Attention heads H.
        feedforward_channels (int): Hidden width of the FFN.
        dropout (float): Dropout on attention probabilities, attention
            output, FFN hidden and FFN output. Defaults to 0.1.
        act (str): ``'relu'`` or ``'gelu'``. Defaults to ``'relu'``.
        init_cfg (dict, optional): mmengine init config.

    Parameters are named like ``nn.TransformerEncoderLayer`` (and the
    TransPose / DETR checkpoints): ``self_attn.in_proj_weight`` /
    ``in_proj_bias`` (q, k, v blocks), ``self_attn.out_proj``, ``linear1``,
    ``linear2``, ``norm1``, ``norm2``.

    Shapes: ``x`` ``(B, L, C)``, ``pos`` ``(B or 1, N, C)`` with ``N <= L``.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 feedforward_channels: int,
                 dropout: float = 0.1,
                 act: str = 'relu',
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if act not in ('relu', 'gelu'):
            raise ValueError(f"act must be 'relu' or 'gelu', got {act!r}")
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.scale = resolve_qk_scale('head', embed_dims, num_heads)
        self.dropout = dropout
        self.self_attn = nn.MultiheadAttention(
            embed_dims, num_heads, dropout=dropout, batch_first=True)
        self.norm1 = nn.LayerNorm(embed_dims)
        self.linear1 = nn.Linear(embed_dims, feedforward_channels)
        self.act = nn.ReLU(inplace=True) if act == 'relu' else nn.GELU()
        self.linear2 = nn.Linear(feedforward_channels, embed_dims)
        self.norm2 = nn.LayerNorm(embed_dims)
        self.drop = nn.Dropout(dropout)

    def attention(self,
                  x: Tensor,
                  pos: Optional[Tensor] = None,
                  num_query_rows: int = 0) -> Tuple[Tensor, Optional[Tensor]]:
        """Residual self-attention block; see the module docstring."""
        B, L, C = x.shape
        qk_in = x
        if pos is not None:
            lead = L - pos.shape[1]
            qk_in = torch.cat((x[:, :lead], x[:, lead:] + pos), dim=1)
        weight, bias = self.self_attn.in_proj_weight, \
            self.self_attn.in_proj_bias
        qk = F.linear(qk_in, weight[:2 * C], bias[:2 * C])
        v = F.linear(x, weight[2 * C:], bias[2 * C:])
        heads = (B, L, self.num_heads, C // self.num_heads)
        q, k = qk.view(B, L, 2, *heads[2:]).permute(2, 0, 3, 1, 4).unbind(0)
        v = v.view(heads).transpose(1, 2)
        out = F.scaled_dot_product_attention(
            q,
            k,
            v,
            dropout_p=self.dropout if self.training else 0.,
            scale=self.scale)
        out = self.self_attn.out_proj(out.transpose(1, 2).reshape(B, L, C))
        x = self.norm1(x + self.drop(out))
        rows = keypoint_attention_rows(q, k, num_query_rows, self.scale) \
            if num_query_rows else None
        return x, rows

    def ffn(self, x: Tensor) -> Tensor:
        """Residual feed-forward block."""
        hidden = self.drop(self.act(self.linear1(x)))
        return self.norm2(x + self.drop(self.linear2(hidden)))

    def forward(self, x: Tensor, pos: Optional[Tensor] = None) -> Tensor:
        return self.ffn(self.attention(x, pos)[0])
