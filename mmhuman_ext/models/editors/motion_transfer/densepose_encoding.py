"""DensePose IUV maps as network inputs.

An IUV map ``(B, 3, H, W)`` holds the part id ``I`` in {0..K} (0 =
background, stored as float) and per-pixel ``U, V`` in [0, 1]. The part-wise
encoding ``D(P) (B, 3K, H, W)`` is ``[S_1..S_K, U S_1..U S_K, V S_1..V S_K]``
with ``S_k = 1[I = k]`` (ORFNT's "one-hot DensePose, 72 dims" for K = 24).
"""
import torch
import torch.nn.functional as F
from torch import Tensor


def check_iuv(iuv: Tensor, num_parts: int = 24, name: str = 'iuv') -> None:
    """Raise a ``ValueError`` naming ``name`` unless ``iuv`` is ``(B, 3, H,
    W)`` with integer part ids in [0, num_parts] and U, V in [0, 1]."""
    if iuv.dim() != 4 or iuv.shape[1] != 3:
        raise ValueError(f'{name}: expected an IUV map (B, 3, H, W), got '
                         f'{tuple(iuv.shape)}')
    parts = iuv[:, 0]
    if (parts < 0).any() or (parts > num_parts).any() or \
            (parts != parts.round()).any():
        raise ValueError(f'{name}: part ids (channel 0) must be integers in '
                         f'[0, {num_parts}], got values in '
                         f'[{parts.min().item():g}, {parts.max().item():g}]')
    uv = iuv[:, 1:]
    if (uv < 0).any() or (uv > 1).any():
        raise ValueError(f'{name}: U, V (channels 1, 2) must lie in [0, 1], '
                         f'got [{uv.min().item():g}, {uv.max().item():g}]')


def encode_iuv_parts(iuv: Tensor, num_parts: int = 24) -> Tensor:
    """``(B, 3, H, W)`` IUV -> ``D(P) (B, 3 * num_parts, H, W)``."""
    parts = iuv[:, 0].round().long()
    onehot = F.one_hot(parts.clamp(0, num_parts), num_parts + 1)
    onehot = onehot[..., 1:].permute(0, 3, 1, 2).to(iuv.dtype)
    return torch.cat([onehot, onehot * iuv[:, 1:2], onehot * iuv[:, 2:3]], 1)


def decode_iuv_parts(encoded: Tensor) -> Tensor:
    """Inverse of :func:`encode_iuv_parts` (``U = V = 0`` on background)."""
    k = encoded.shape[1] // 3
    onehot = encoded[:, :k]
    parts = (onehot.argmax(1) + 1) * (onehot.sum(1) > 0.5)
    u = encoded[:, k:2 * k].sum(1)
    v = encoded[:, 2 * k:].sum(1)
    return torch.stack([parts.to(encoded.dtype), u, v], 1)


def resize_iuv(iuv: Tensor, size: int) -> Tensor:
    """Nearest resize to ``size x size``: never blends labels or UV across
    part borders."""
    if iuv.shape[-2:] == (size, size):
        return iuv
    return F.interpolate(iuv, size=(size, size), mode='nearest')
