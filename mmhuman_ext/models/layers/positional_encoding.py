"""Fixed 2D sine position table (DETR / TransPose / TokenPose / PPT).

For an ``h x w`` token grid and ``dims`` channels (``dims / 2`` per axis),
token ``(i, j)`` (row, column; token index ``n = i * w + j``) gets::

    y = 2 * pi * (i + 1) / (h + eps),   x = 2 * pi * (j + 1) / (w + eps)
    omega_m = temperature ** (2 * (m // 2) / (dims / 2)),  m = 0 .. dims/2-1
    PE_y[m] = sin(y / omega_m) for even m, cos(y / omega_m) for odd m
    PE_x    = the same with x
    E(i, j) = concat(PE_y, PE_x)          # the y half comes first

The table is a constant of the grid size: modules keep it as a
non-persistent buffer, so it is never trained and never stored in a
checkpoint (a checkpoint of another grid size cannot overwrite it).
"""
import math

import torch
from torch import Tensor


def sine_position_table_2d(h: int,
                           w: int,
                           dims: int,
                           temperature: float = 10000.,
                           scale: float = 2 * math.pi,
                           eps: float = 1e-6) -> Tensor:
    """Build the 2D sine position table.

    Args:
        h (int): Rows of the token grid.
        w (int): Columns of the token grid.
        dims (int): Channels per token; must be divisible by 4.
        temperature (float): Frequency base. Defaults to 10000.
        scale (float): Range of the normalised coordinate. Defaults to 2*pi.
        eps (float): Added to the grid size before normalising.

    Returns:
        Tensor: ``(h * w, dims)`` float32, row-major token order.
    """
    if dims % 4:
        raise ValueError(f'sine position table needs dims divisible by 4 '
                         f'(dims/2 per axis, sin/cos pairs), got {dims}')
    half = dims // 2
    y = torch.arange(1, h + 1, dtype=torch.float32) / (h + eps) * scale
    x = torch.arange(1, w + 1, dtype=torch.float32) / (w + eps) * scale
    m = torch.arange(half, dtype=torch.float32)
    omega = temperature**(2 * torch.div(m, 2, rounding_mode='floor') / half)

    def encode(coord: Tensor) -> Tensor:  # (n,) -> (n, half)
        phase = coord[:, None] / omega
        return torch.stack((phase[:, 0::2].sin(), phase[:, 1::2].cos()),
                           dim=2).flatten(1)

    pe_y = encode(y)[:, None, :].expand(h, w, half)
    pe_x = encode(x)[None, :, :].expand(h, w, half)
    return torch.cat((pe_y, pe_x), dim=2).reshape(h * w, dims)
