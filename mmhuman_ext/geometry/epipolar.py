"""Epipolar geometry of calibrated view pairs, batched.

* :func:`fundamental_matrix`: ``F`` with ``x2^T F x1 = 0`` for pixels of
  one world point seen by cameras 1 and 2 (undistorted pinhole model; the
  intrinsics may include image-transform affines, see
  :mod:`~mmhuman_ext.geometry.camera`).
* :func:`epipolar_lines`: lines ``l2 = F x1`` scaled so that
  ``l2 . (u, v, 1)`` is the signed pixel distance to the line.
* :func:`epipolar_field`: TransFusion's soft epipolar field (dissertation
  Eq. 2.5-2.6) between the rays of two views.
"""
import torch
from torch import Tensor

from .camera import Camera


def _skew(t: Tensor) -> Tensor:
    """``(..., 3)`` -> cross-product matrices ``(..., 3, 3)``."""
    x, y, z = t.unbind(-1)
    o = torch.zeros_like(x)
    return torch.stack((o, -z, y, z, o, -x, -y, x, o), dim=-1).reshape(
        t.shape[:-1] + (3, 3))


def fundamental_matrix(cam1: Camera, cam2: Camera) -> Tensor:
    """Fundamental matrix of two cameras with equal batch dims ``...``.

    With the relative pose ``x2_cam = R x1_cam + t``, ``R = R2 R1^T``,
    ``t = R2 (C1 - C2)``: ``F = K2^-T [t]_x R K1^-1``.

    Returns:
        Tensor: ``(..., 3, 3)``, scaled to unit Frobenius norm.
    """
    R = cam2['R'] @ cam1['R'].transpose(-1, -2)
    t = (cam2['R'] @ (cam1['T'] - cam2['T']).unsqueeze(-1)).squeeze(-1)
    F = torch.linalg.inv(cam2['K']).transpose(-1, -2) @ _skew(t) @ R \
        @ torch.linalg.inv(cam1['K'])
    return F / F.flatten(-2).norm(dim=-1)[..., None, None]


def epipolar_lines(points1: Tensor, F: Tensor) -> Tensor:
    """Epipolar lines in image 2 of pixels of image 1.

    Args:
        points1 (Tensor): ``(..., N, 2)`` pixels of view 1.
        F (Tensor): ``(..., 3, 3)`` from :func:`fundamental_matrix`.

    Returns:
        Tensor: ``(..., N, 3)`` lines ``(a, b, c)`` with ``a^2 + b^2 = 1``.
    """
    homo = torch.cat((points1, torch.ones_like(points1[..., :1])), dim=-1)
    lines = homo @ F.transpose(-1, -2)
    return lines / lines[..., :2].norm(dim=-1, keepdim=True)


def point_line_distance(points: Tensor, lines: Tensor) -> Tensor:
    """Signed distance of pixels ``(..., N, 2)`` to lines ``(..., N, 3)``
    from :func:`epipolar_lines` -> ``(..., N)``."""
    return (points * lines[..., :2]).sum(-1) + lines[..., 2]


def epipolar_field(rays1: Tensor, rays2: Tensor, center1: Tensor,
                   center2: Tensor, eps: float = 1e-12) -> Tensor:
    """Soft epipolar score of every ray pair (dissertation Eq. 2.5-2.6).

    ``N_n = normalise((C2 - C1) x r1_n)`` is the normal of the epipolar
    plane through ray n of view 1; ``S(n, m) = 1 - |N_n . r2_m|`` is 1
    exactly when ray m of view 2 lies in that plane (pixel m on the
    epipolar line of pixel n) and falls toward 0 as it turns away. The
    sign and length of the normal and the depth along the rays do not
    matter. Raise to the power gamma for the field ``S'``.

    Args:
        rays1 (Tensor): ``(..., N, 3)`` unit world rays of view 1.
        rays2 (Tensor): ``(..., M, 3)`` unit world rays of view 2.
        center1 (Tensor): ``(..., 3)`` camera centre of view 1.
        center2 (Tensor): ``(..., 3)`` camera centre of view 2.

    Returns:
        Tensor: ``(..., N, M)`` in [0, 1].
    """
    base = (center2 - center1).unsqueeze(-2).expand_as(rays1)
    normal = torch.cross(base, rays1, dim=-1)
    normal = normal / normal.norm(dim=-1, keepdim=True).clamp_min(eps)
    dots = normal @ rays2.transpose(-1, -2)
    return (1 - dots.abs()).clamp(0., 1.)
