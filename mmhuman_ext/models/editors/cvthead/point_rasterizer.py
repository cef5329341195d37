"""One-pixel z-buffered point splatting (CVTHead neural vertex rendering,
Eq. 4.5).

Pure PyTorch, batched, no loop over points: a ``scatter_reduce('amin')`` finds
the nearest depth per pixel, a second one picks the lowest vertex index among
the points at that depth, and a gather copies the winners' features. Both
reductions are order-independent, so the result is deterministic and the
same on CPU and CUDA (the official code relies on the write order of
``scatter_``, which PyTorch leaves undefined). PyTorch3D's point rasterizer
is not needed for a radius of one pixel.
"""
from typing import Tuple

import torch
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS


@MODELS.register_module()
class PointZBufferRasterizer(nn.Module):
    """Splat each point onto one pixel; the nearest point (smallest depth)
    wins, ties go to the lowest point index.

    Pixel of a point: ``px = round(clamp(u * W/2 + W/2, 0, W-1))`` and the same
    for ``py`` with ``v`` and ``H`` (``torch.round``: halves to even). Points
    outside ``[-1, 1]`` are clamped onto the border unless ``cull=True``.

    Args:
        image_size (int | tuple[int, int]): ``H`` (= ``W``) or ``(H, W)``.
        feat_bg (float): Feature value of empty pixels. Defaults to 0.
        depth_bg (float): Depth value of empty pixels. Defaults to -2.
        cull (bool): Drop points outside the image instead of clamping.
            Defaults to False (as the official code).

    No parameters. Gradients flow to the winning points' features only, not
    to positions.
    """

    def __init__(self, image_size=256, feat_bg: float = 0.,
                 depth_bg: float = -2., cull: bool = False):
        super().__init__()
        self.image_size = ((image_size, image_size) if isinstance(
            image_size, int) else tuple(image_size))
        self.feat_bg = feat_bg
        self.depth_bg = depth_bg
        self.cull = cull

    def winners(self, points: Tensor) -> Tensor:
        """Index of the visible point per pixel.

        Args:
            points (Tensor): ``(B, N, 3)`` = ``(u, v, d)``, ``u, v`` in
                ``[-1, 1]`` (x right, y down), smaller ``d`` is nearer.

        Returns:
            Tensor: ``(B, H, W)`` int64, ``N`` where no point landed.
        """
        b, n, _ = points.shape
        h, w = self.image_size
        points = points.detach()
        u, v, d = points.unbind(-1)
        px = torch.round(torch.clamp(u * w / 2 + w / 2, 0, w - 1)).long()
        py = torch.round(torch.clamp(v * h / 2 + h / 2, 0, h - 1)).long()
        flat = (torch.arange(b, device=points.device)[:, None] * (h * w) +
                py * w + px).reshape(-1)
        depth = d.reshape(-1)
        if self.cull:
            inside = ((u >= -1) & (u <= 1) & (v >= -1) & (v <= 1)).reshape(-1)
            depth = torch.where(inside, depth, torch.full_like(depth,
                                                               float('inf')))
        zbuf = torch.full((b * h * w, ), float('inf'), dtype=depth.dtype,
                          device=depth.device)
        zbuf.scatter_reduce_(0, flat, depth, reduce='amin')
        index = torch.arange(n, device=points.device).repeat(b)
        nearest = (depth == zbuf[flat]) & torch.isfinite(depth)
        candidate = torch.where(nearest, index, torch.full_like(index, n))
        win = torch.full((b * h * w, ), n, dtype=torch.long,
                         device=points.device)
        win.scatter_reduce_(0, flat, candidate, reduce='amin')
        return win.view(b, h, w)

    def forward(self, points: Tensor, features: Tensor
                ) -> Tuple[Tensor, Tensor]:
        """Rasterize.

        Args:
            points (Tensor): ``(B, N, 3)`` ``(u, v, d)``, see :meth:`winners`.
            features (Tensor): ``(B, N, C)`` per-point descriptors.

        Returns:
            tuple: feature image ``(B, C, H, W)`` (``feat_bg`` where empty)
            and depth image ``(B, 1, H, W)`` (``depth_bg`` where empty).
        """
        if points.shape[:2] != features.shape[:2]:
            raise ValueError(f'points {tuple(points.shape)} and features '
                             f'{tuple(features.shape)} disagree on (B, N)')
        b, n, c = features.shape
        win = self.winners(points)
        empty = win == n
        safe = win.clamp(max=n - 1).view(b, -1)
        feat = torch.gather(features, 1, safe[..., None].expand(-1, -1, c))
        feat = feat.view(b, *win.shape[1:], c).permute(0, 3, 1, 2)
        feat = feat.masked_fill(empty[:, None], self.feat_bg)
        depth = torch.gather(points[..., 2].detach(), 1, safe)
        depth = depth.view(b, 1, *win.shape[1:]).masked_fill(
            empty[:, None], self.depth_bg)
        return feat, depth
