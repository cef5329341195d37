"""Pre-norm transformer blocks over a temporal token axis (P-STMO).

The blocks follow the "Annotated Transformer" layout that P-STMO (ECCV 2022)
and the Strided Transformer of Li et al. build on: pre-norm residual layers
``x + Drop(MHSA(LN(x)))`` / ``x + Drop(FFN(LN(x)))`` with a LayerNorm that
divides by the *unbiased* standard deviation plus ``eps`` (not
``sqrt(var + eps)``). mmcv/mmengine's ``BaseTransformerLayer`` and
``nn.TransformerEncoderLayer`` use the biased variance inside the square root
and cannot express the strided temporal FFN of MOFA, so the blocks are written
here. Attention goes through
:func:`torch.nn.functional.scaled_dot_product_attention` with one fused QKV
projection (fast on CPU and GPU, no Python loops).

Shapes: tokens are ``(B, L, C)`` (batch, sequence length, channels).
"""
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class UnbiasedLayerNorm(nn.Module):
    """``weight * (x - mean) / (std + eps) + bias`` over the last axis.

    ``std`` is the unbiased standard deviation (divisor ``C - 1``) and ``eps``
    is added to it, as in P-STMO's official blocks. Use ``norm='ln'`` in the
    layers below for :class:`torch.nn.LayerNorm` instead.

    Args:
        num_features (int): Size C of the last axis.
        eps (float): Added to the standard deviation. Defaults to 1e-6.

    Shape: ``(..., C) -> (..., C)``.
    """

    def __init__(self, num_features: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        std, mean = torch.std_mean(x, dim=-1, keepdim=True)
        return torch.addcmul(self.bias, self.weight,
                             (x - mean) / (std + self.eps))


def build_norm(norm: str, num_features: int) -> nn.Module:
    """``'pstmo_ln'`` -> :class:`UnbiasedLayerNorm`; ``'ln'`` ->
    ``nn.LayerNorm(eps=1e-6)``. Both hold ``weight`` and ``bias``."""
    if norm == 'pstmo_ln':
        return UnbiasedLayerNorm(num_features)
    if norm == 'ln':
        return nn.LayerNorm(num_features, eps=1e-6)
    raise ValueError(f"norm must be 'pstmo_ln' or 'ln', got {norm!r}")


class MultiheadSelfAttention(nn.Module):
    """Multi-head self-attention with a fused QKV projection.

    ``softmax(Q K^T / sqrt(C / num_heads)) V``, dropout ``attn_drop`` on the
    attention probabilities (training only), then an output projection.

    Args:
        embed_dims (int): Token width C.
        num_heads (int): Number of heads; C must be divisible by it.
        attn_drop (float): Dropout on the attention probabilities.

    Shape: ``(B, L, C) -> (B, L, C)``.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 attn_drop: float = 0.1):
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims={embed_dims} is not divisible by '
                             f'num_heads={num_heads}')
        self.num_heads = num_heads
        self.attn_drop = attn_drop
        self.qkv = nn.Linear(embed_dims, 3 * embed_dims)
        self.proj = nn.Linear(embed_dims, embed_dims)

    def forward(self, x: Tensor) -> Tensor:
        B, L, C = x.shape
        qkv = self.qkv(x).view(B, L, 3, self.num_heads, C // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        out = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.attn_drop if self.training else 0.)
        return self.proj(out.transpose(1, 2).reshape(B, L, C))


class ReLUFFN(nn.Module):
    """``fc2(Dropout(ReLU(fc1(x))))``; ``(B, L, C) -> (B, L, C)``."""

    def __init__(self, embed_dims: int, ffn_dims: int, dropout: float = 0.1):
        super().__init__()
        self.fc1 = nn.Linear(embed_dims, ffn_dims)
        self.fc2 = nn.Linear(ffn_dims, embed_dims)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.drop(F.relu(self.fc1(x))))


class TemporalTransformerLayer(nn.Module):
    """Pre-norm encoder layer (TEM of P-STMO, and its Stage-I decoder).

    ``x = x + Drop(MHSA(LN1(x)))``; ``x = x + Drop(FFN(LN2(x)))``.

    Args:
        embed_dims (int): Token width C.
        num_heads (int): Attention heads.
        ffn_dims (int): FFN hidden width.
        dropout (float): Dropout on attention probabilities, FFN hidden
            units and both residual branches.
        norm (str): ``'pstmo_ln'`` (official formula) or ``'ln'``.

    Shape: ``(B, L, C) -> (B, L, C)``.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 ffn_dims: int,
                 dropout: float = 0.1,
                 norm: str = 'pstmo_ln'):
        super().__init__()
        self.norm1 = build_norm(norm, embed_dims)
        self.attn = MultiheadSelfAttention(embed_dims, num_heads, dropout)
        self.norm2 = build_norm(norm, embed_dims)
        self.ffn = ReLUFFN(embed_dims, ffn_dims, dropout)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop(self.attn(self.norm1(x)))
        return x + self.drop(self.ffn(self.norm2(x)))


class StridedTransformerLayer(nn.Module):
    """Pre-norm layer whose FFN is a strided temporal convolution (MOFA).

    ::

        x = x + Drop(MHSA(LN1(x)))                         # (B, L, C)
        y = Dropout(ReLU(fc1(LN2(x))))                     # (B, L, F)
        y = Conv1d(F -> C, k=3, stride=s, padding=1)(y)    # (B, ceil(L/s), C)
        x = x[:, ::s] + Drop(y)

    The residual keeps tokens ``0, s, 2s, ...`` (the official code
    sub-samples it with ``MaxPool1d(kernel_size=1, stride=s)``, which is the
    same), not the window centres.

    Args:
        embed_dims (int): Token width C.
        num_heads (int): Attention heads.
        ffn_dims (int): FFN hidden width F.
        stride (int): Temporal stride s of the second FFN convolution.
        dropout (float): Dropout rate (attention, FFN hidden, residuals).
        norm (str): ``'pstmo_ln'`` or ``'ln'``.

    Shape: ``(B, L, C) -> (B, ceil(L / s), C)``.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 ffn_dims: int,
                 stride: int,
                 dropout: float = 0.1,
                 norm: str = 'pstmo_ln'):
        super().__init__()
        self.stride = stride
        self.norm1 = build_norm(norm, embed_dims)
        self.attn = MultiheadSelfAttention(embed_dims, num_heads, dropout)
        self.norm2 = build_norm(norm, embed_dims)
        self.fc1 = nn.Linear(embed_dims, ffn_dims)
        self.conv = nn.Conv1d(
            ffn_dims, embed_dims, kernel_size=3, stride=stride, padding=1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop(self.attn(self.norm1(x)))
        y = self.drop(F.relu(self.fc1(self.norm2(x))))
        y = self.conv(y.transpose(1, 2)).transpose(1, 2)
        return x[:, ::self.stride] + self.drop(y)


class PoseMLPEmbedding(nn.Module):
    """Per-frame residual MLP (SEM of P-STMO), weights shared over frames.

    ::

        fc_in (J*C_in -> H) ; BN ; LeakyReLU(0.2) ; Dropout
        num_blocks x [fc1 ; BN ; LReLU ; Drop ;
                      fc2 ; BN ; LReLU ; Drop ; + input]
        fc_out (H -> D)

    BatchNorm statistics are taken over all ``B * N`` frames (the official
    code applies 1x1 ``Conv1d`` over time, which is the same per-frame map).

    Args:
        in_dims (int): Flattened per-frame input size (``2 * J``), joints
            major: channel ``2 * j + c``.
        hidden_dims (int): Width H of the MLP.
        out_dims (int): Output width D.
        num_blocks (int): Number of residual sub-blocks.
        dropout (float): Dropout rate.

    Shape: ``(B, N, J, C_in) -> (B, N, D)``.
    """

    def __init__(self,
                 in_dims: int,
                 hidden_dims: int,
                 out_dims: int,
                 num_blocks: int = 1,
                 dropout: float = 0.1):
        super().__init__()
        self.fc_in = nn.Linear(in_dims, hidden_dims)
        self.bn_in = nn.BatchNorm1d(hidden_dims)
        self.blocks = nn.ModuleList(
            _ResidualMLPBlock(hidden_dims, dropout) for _ in range(num_blocks))
        self.fc_out = nn.Linear(hidden_dims, out_dims)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        B, N = x.shape[:2]
        x = x.reshape(B * N, -1)
        x = self.drop(F.leaky_relu(self.bn_in(self.fc_in(x)), 0.2))
        for block in self.blocks:
            x = block(x)
        return self.fc_out(x).view(B, N, -1)


class _ResidualMLPBlock(nn.Module):
    """Two (Linear, BN, LeakyReLU(0.2), Dropout) plus identity;
    ``(M, H) -> (M, H)``."""

    def __init__(self, dims: int, dropout: float):
        super().__init__()
        self.fc1 = nn.Linear(dims, dims)
        self.bn1 = nn.BatchNorm1d(dims)
        self.fc2 = nn.Linear(dims, dims)
        self.bn2 = nn.BatchNorm1d(dims)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        y = self.drop(F.leaky_relu(self.bn1(self.fc1(x)), 0.2))
        y = self.drop(F.leaky_relu(self.bn2(self.fc2(y)), 0.2))
        return x + y


class BNLinearHead(nn.Module):
    """BatchNorm over channels then a linear map, applied per token.

    Used for P-STMO's 3D heads (``C -> 3J``) and the Stage-I 2D
    reconstruction head (``C -> 2J``). BN statistics are over all ``B * L``
    tokens, like the official ``BatchNorm1d`` + 1x1 ``Conv1d``.

    Args:
        in_dims (int): Token width C.
        out_dims (int): Output width (``J * D``).
        bn_momentum (Optional[float]): BatchNorm momentum.

    Shape: ``(B, L, C) -> (B, L, out_dims)``.
    """

    def __init__(self,
                 in_dims: int,
                 out_dims: int,
                 bn_momentum: Optional[float] = 0.1):
        super().__init__()
        self.bn = nn.BatchNorm1d(in_dims, momentum=bn_momentum)
        self.fc = nn.Linear(in_dims, out_dims)

    def forward(self, x: Tensor) -> Tensor:
        B, L, C = x.shape
        return self.fc(self.bn(x.reshape(B * L, C))).view(B, L, -1)


def mofa_strides(seq_len: int,
                 strides: Optional[Sequence[int]] = None) -> Tuple[int, ...]:
    """Strides of the MOFA layers for ``seq_len`` frames: checked to reduce
    the N tokens to exactly one (``L <- ceil(L / s)`` per layer), or, when
    None, stride 3 in as many layers as that takes."""
    if seq_len < 1:
        raise ValueError(f'MOFA: seq_len must be >= 1, got {seq_len}')
    if strides is None:
        strides, length = [], seq_len
        while length > 1:
            strides.append(3)
            length = math.ceil(length / 3)
    strides = tuple(int(s) for s in strides)
    length = seq_len
    for s in strides:
        length = math.ceil(length / s)
    if length != 1 or min(strides, default=1) < 1:
        raise ValueError(
            f'MOFA strides {strides} reduce {seq_len} frames to {length} '
            'tokens; the centre-frame head needs exactly 1 (leave strides '
            'unset for stride 3 in as many layers as needed, e.g. (3,) * 5 '
            'for 243 frames)')
    return strides


def take_seq_len(cfg: dict, seq_len: int, owner: str) -> dict:
    """``cfg`` with ``seq_len`` set to the encoder's; an explicit value that
    disagrees is an error (one source of truth for N)."""
    cfg = dict(cfg)
    given = cfg.get('seq_len')
    if given is not None and int(given) != seq_len:
        raise ValueError(
            f'{owner}: seq_len={given} disagrees with the encoder\'s '
            f'seq_len={seq_len}; leave it unset, it is taken from the '
            'encoder')
    cfg['seq_len'] = seq_len
    return cfg
