"""Window-restricted self-attention over a video feature volume.

MaskViT-style layers for token grids ``(B, N, H, W, C)``: attention runs
inside non-overlapping, non-shifted windows of ``t x h x w`` tokens. A
window of ``(1, H, W)`` is per-frame *spatial* attention; ``(N, h, w)`` with
``h < H``, ``w < W`` is a spatio-temporal *tube*. Sides that do not divide
the volume are zero-padded at the end, and padded tokens are masked out of
the keys, so a real token's output never depends on the padding.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmhuman_ext.models.layers.transformer_layers import \
    PreNormTransformerLayer
from mmhuman_ext.registry import MODELS

Window = Tuple[Optional[int], Optional[int], Optional[int]]


def _resolve(window: Window, shape: Tuple[int, int, int]) -> Tuple[int, ...]:
    """``None`` sides span the whole volume; sides are capped by it."""
    return tuple(s if w is None else min(w, s) for w, s in zip(window, shape))


def window_partition(x: Tensor, window: Tuple[int, int, int]) -> Tensor:
    """``(B, N, H, W, C)`` with sides divisible by ``window`` ->
    ``(B * nW, t * h * w, C)``, windows in (time, row, column) order."""
    B, N, H, W, C = x.shape
    t, h, w = window
    x = x.view(B, N // t, t, H // h, h, W // w, w, C)
    return x.permute(0, 1, 3, 5, 2, 4, 6, 7).reshape(-1, t * h * w, C)


def window_merge(x: Tensor, window: Tuple[int, int, int],
                 shape: Tuple[int, int, int, int]) -> Tensor:
    """Inverse of :func:`window_partition`; ``shape = (B, N, H, W)``."""
    B, N, H, W = shape
    t, h, w = window
    x = x.view(B, N // t, H // h, W // w, t, h, w, -1)
    return x.permute(0, 1, 4, 2, 5, 3, 6, 7).reshape(B, N, H, W, -1)


@MODELS.register_module()
class VideoWindowAttentionLayer(PreNormTransformerLayer):
    """Pre-LN transformer layer whose attention is restricted to windows::

        x <- x + Drop(Proj(WindowMHSA(LN1(x))))
        x <- x + Drop(FC2(Drop(GELU(FC1(LN2(x))))))

    Parameters are those of :class:`PreNormTransformerLayer` with a QKV
    bias (``norm1``, ``qkv``, ``proj``, ``norm2``, ``fc1``, ``fc2``):
    ``4C^2 + 2 C F + 9C + F`` for width C and MLP width F (7,087,872 at
    C = 768, F = 3072).

    Args:
        embed_dims (int): C.
        num_heads (int): attention heads.
        feedforward_channels (int): F.
        window (tuple): ``(t, h, w)``; ``None`` spans the whole side.
            ``(1, None, None)``: spatial; ``(None, 6, 6)``: tube.
        drop_rate (float): dropout on the attention probabilities, the
            attention output, the MLP hidden layer and the MLP output.

    Shapes: ``x (B, N, H, W, C) -> (B, N, H, W, C)``.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 feedforward_channels: int,
                 window: Window = (1, None, None),
                 drop_rate: float = 0.,
                 init_cfg: Optional[dict] = None):
        super().__init__(embed_dims, num_heads, feedforward_channels,
                         qk_scale='head', qkv_bias=True, init_cfg=init_cfg)
        if len(window) != 3:
            raise ValueError(f'window must be (t, h, w), got {window!r}')
        self.window = tuple(window)
        self.drop_rate = drop_rate
        self.drop = nn.Dropout(drop_rate)

    def _attend(self, x: Tensor, key_valid: Optional[Tensor]) -> Tensor:
        """Multi-head attention within each row of ``x (B', T, C)``;
        ``key_valid (B', T)`` bool or None."""
        Bw, T, C = x.shape
        qkv = self.qkv(x).view(Bw, T, 3, self.num_heads, C // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        mask = None if key_valid is None else key_valid[:, None, None, :]
        out = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=mask,
            dropout_p=self.drop_rate if self.training else 0.,
            scale=self.scale)
        return self.proj(out.transpose(1, 2).reshape(Bw, T, C))

    def forward(self, x: Tensor) -> Tensor:
        B, N, H, W, C = x.shape
        window = _resolve(self.window, (N, H, W))
        pads = [-s % w for s, w in zip((N, H, W), window)]
        y = self.norm1(x)
        key_valid = None
        if any(pads):
            y = F.pad(y, (0, 0, 0, pads[2], 0, pads[1], 0, pads[0]))
            valid = torch.zeros(1, N + pads[0], H + pads[1], W + pads[2], 1,
                                dtype=torch.bool, device=x.device)
            valid[:, :N, :H, :W] = True
            key_valid = window_partition(valid, window)[..., 0].repeat(B, 1)
        padded = y.shape[:4]
        y = self._attend(window_partition(y, window), key_valid)
        y = window_merge(y, window, padded)[:, :N, :H, :W]
        x = x + self.drop(y)
        hidden = self.drop(self.act(self.fc1(self.norm2(x))))
        return x + self.drop(self.fc2(hidden))
