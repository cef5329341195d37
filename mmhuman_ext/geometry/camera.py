"""Batched calibrated pinhole cameras: projection, lens distortion, rays.

A camera is a dict of tensors (or arrays) sharing leading batch dims ``...``
(e.g. ``(B, V)`` for B samples of V views):

* ``R`` ``(..., 3, 3)``: world -> camera rotation (H36M-Toolbox ``R``);
* ``T`` ``(..., 3)``: camera centre C in world coordinates (H36M-Toolbox
  ``T``, mm), so ``x_cam = R (X - C)``;
* ``K`` ``(..., 3, 3)``: intrinsic matrix. It starts as
  ``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]`` and image transforms compose
  their 2x3 pixel affine ``A`` into it (``K <- [A; 0 0 1] K``), so after a
  crop, resize, flip or rotation it is a general 3x3 with last row
  ``(0, 0, 1)`` and projection stays exact;
* ``k`` ``(..., 3)`` radial and ``p`` ``(..., 2)`` tangential distortion,
  applied to normalised coordinates *before* ``K``.

Distortion models (``dist_model``), with ``x, y`` the normalised coordinates
and ``r2 = x^2 + y^2``, ``radial = 1 + k1 r2 + k2 r2^2 + k3 r2^3``:

* ``'h36m'`` (Human3.6M's own ``project_point_radial``, used to make the
  toolbox's ``joints_2d``): ``t = p1 y + p2 x``,
  ``x_d = x (radial + t) + p2 r2``, ``y_d = y (radial + t) + p1 r2``;
* ``'opencv'`` (Brown-Conrady, OpenCV ``[k1, k2, p1, p2, k3]``):
  ``x_d = x radial + 2 p1 x y + p2 (r2 + 2 x^2)``,
  ``y_d = y radial + p1 (r2 + 2 y^2) + 2 p2 x y``.

Rays (TransFusion's geometry positional encoding) ignore lens
distortion, as the official code does. Everything is vectorised over the
batch dims; the only loop is the fixed-point undistortion's iteration count.
"""
from typing import Dict, Mapping, Sequence, Union

import numpy as np
import torch
from torch import Tensor

Camera = Dict[str, Tensor]
CAMERA_FIELDS = {'R': (3, 3), 'T': (3, ), 'K': (3, 3), 'k': (3, ), 'p': (2, )}
DIST_MODELS = ('h36m', 'opencv')


class CameraError(ValueError):
    """A camera lacks a field or holds one of the wrong shape."""


def camera_from_toolbox(cam: Mapping, where: str = 'camera') -> dict:
    """Our camera dict (numpy float64) from an H36M-Toolbox camera record.

    Args:
        cam (Mapping): ``R`` (3, 3) world->camera, ``T`` (3, 1) or (3,)
            centre, ``fx``, ``fy``, ``cx``, ``cy``, ``k`` (3 values),
            ``p`` (2 values). A record that already holds ``K`` is taken as
            ours and only checked.
        where (str): Names the record in error messages (sample, view).

    Returns:
        dict: ``R`` (3, 3), ``T`` (3,), ``K`` (3, 3), ``k`` (3,), ``p`` (2,).

    Raises:
        CameraError: A field is missing, not finite or of the wrong size.
    """
    if not isinstance(cam, Mapping):
        raise CameraError(f'{where}: expected a dict of camera fields, got '
                          f'{type(cam).__name__}')
    sizes = dict(CAMERA_FIELDS)
    if 'K' not in cam:
        sizes.pop('K')
        sizes.update(fx=(), fy=(), cx=(), cy=())
    out = {}
    for name, shape in sizes.items():
        if name not in cam:
            raise CameraError(
                f'{where}: missing camera field {name!r}; a camera needs '
                f'{sorted(sizes)} (H36M-Toolbox layout: R world->camera '
                '3x3, T camera centre 3x1 in mm, fx, fy, cx, cy, k 3x1, '
                'p 2x1)')
        value = np.asarray(cam[name], dtype=np.float64)
        if value.size != int(np.prod(shape)) or not np.isfinite(value).all():
            raise CameraError(
                f'{where}: camera field {name!r} must hold '
                f'{int(np.prod(shape))} finite number(s) (shape {shape}), got '
                f'shape {np.shape(cam[name])}')
        out[name] = value.reshape(shape)
    if 'K' not in out:
        out['K'] = np.array([[out.pop('fx'), 0., out.pop('cx')],
                             [0., out.pop('fy'), out.pop('cy')], [0., 0., 1.]])
    return out


def stack_cameras(cameras: Sequence[Mapping],
                  dtype: torch.dtype = torch.float64,
                  device: Union[str, torch.device, None] = None) -> Camera:
    """Stack camera dicts (numpy or torch) along a new leading dim."""
    return {
        name: torch.stack([torch.as_tensor(c[name]) for c in cameras
                           ]).to(device=device, dtype=dtype)
        for name in CAMERA_FIELDS
    }


def affine_to_3x3(affine) -> np.ndarray:
    """``(2, 3)`` pixel affine -> ``(3, 3)`` with last row ``(0, 0, 1)``."""
    return np.concatenate([np.asarray(affine, np.float64), [[0., 0., 1.]]])


def projection_matrix(cam: Camera) -> Tensor:
    """``P = K [R | -R C]`` ``(..., 3, 4)`` (no distortion)."""
    R, C = cam['R'], cam['T']
    t = -(R @ C.unsqueeze(-1))
    return cam['K'] @ torch.cat((R, t), dim=-1)


def world_to_camera(points: Tensor, cam: Camera) -> Tensor:
    """``x_cam = R (X - C)``.

    Args:
        points (Tensor): ``(..., N, 3)`` world points.
        cam (Camera): batch dims ``...``.

    Returns:
        Tensor: ``(..., N, 3)``.
    """
    return (points - cam['T'].unsqueeze(-2)) @ cam['R'].transpose(-1, -2)


def distort(xy: Tensor, k: Tensor, p: Tensor, dist_model: str = 'h36m'
            ) -> Tensor:
    """Apply lens distortion to normalised coordinates (module docstring).

    Args:
        xy (Tensor): ``(..., N, 2)``.
        k (Tensor): ``(..., 3)``.
        p (Tensor): ``(..., 2)``.
        dist_model (str): ``'h36m'`` or ``'opencv'``.

    Returns:
        Tensor: ``(..., N, 2)`` distorted normalised coordinates.
    """
    if dist_model not in DIST_MODELS:
        raise ValueError(f'dist_model must be one of {DIST_MODELS}, got '
                         f'{dist_model!r}')
    x, y = xy.unbind(-1)
    k1, k2, k3 = (v.unsqueeze(-1) for v in k.unbind(-1))
    p1, p2 = (v.unsqueeze(-1) for v in p.unbind(-1))
    r2 = x * x + y * y
    radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3))
    if dist_model == 'h36m':
        tan = p1 * y + p2 * x
        return torch.stack((x * (radial + tan) + p2 * r2,
                            y * (radial + tan) + p1 * r2), dim=-1)
    return torch.stack(
        (x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x),
         y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y),
        dim=-1)


def undistort(xy_d: Tensor, k: Tensor, p: Tensor, dist_model: str = 'h36m',
              num_iters: int = 20) -> Tensor:
    """Invert :func:`distort` by fixed-point iteration
    ``x <- x_d - (distort(x) - x)`` (converges for the mild lenses of
    Human3.6M-like cameras; residual < 1e-9 after 20 steps there).

    Shapes as :func:`distort`.
    """
    xy = xy_d
    for _ in range(num_iters):
        xy = xy_d - (distort(xy, k, p, dist_model) - xy)
    return xy


def _apply_intrinsics(K: Tensor, xy: Tensor) -> Tensor:
    """``(..., 3, 3)``, ``(..., N, 2)`` -> pixels ``(..., N, 2)``."""
    homo = torch.cat((xy, torch.ones_like(xy[..., :1])), dim=-1)
    uvw = homo @ K.transpose(-1, -2)
    return uvw[..., :2] / uvw[..., 2:]


def pixels_to_normalized(pixels: Tensor, K: Tensor) -> Tensor:
    """Inverse of ``K`` on pixels ``(..., N, 2)`` -> normalised (still
    distorted) coordinates ``(..., N, 2)``."""
    homo = torch.cat((pixels, torch.ones_like(pixels[..., :1])), dim=-1)
    xyw = homo @ torch.linalg.inv(K).transpose(-1, -2)
    return xyw[..., :2] / xyw[..., 2:]


def project_points(points: Tensor,
                   cam: Camera,
                   distortion: bool = True,
                   dist_model: str = 'h36m') -> Tensor:
    """Project world points to pixels.

    Args:
        points (Tensor): ``(..., N, 3)`` world points (in front of the
            camera).
        cam (Camera): batch dims ``...``.
        distortion (bool): Apply ``k``, ``p``. Defaults to True.
        dist_model (str): ``'h36m'`` (default) or ``'opencv'``.

    Returns:
        Tensor: ``(..., N, 2)`` pixels of the (possibly transformed) image.
    """
    xc = world_to_camera(points, cam)
    xy = xc[..., :2] / xc[..., 2:]
    if distortion:
        xy = distort(xy, cam['k'], cam['p'], dist_model)
    return _apply_intrinsics(cam['K'], xy)


def undistort_pixels(pixels: Tensor, cam: Camera,
                     dist_model: str = 'h36m') -> Tensor:
    """Pixels of the distorting camera -> pixels of its ideal pinhole twin
    (same ``K``); ``(..., N, 2)`` -> ``(..., N, 2)``."""
    xy = undistort(pixels_to_normalized(pixels, cam['K']), cam['k'], cam['p'],
                   dist_model)
    return _apply_intrinsics(cam['K'], xy)


def pixel_rays(pixels: Tensor, cam: Camera) -> Tensor:
    """Unit world-frame ray directions through pixels (distortion ignored).

    ``r = normalise(R^T K^-1 (u, v, 1))``; a point ``C + t r`` (t > 0)
    projects back to ``(u, v)`` through the undistorted camera.

    Args:
        pixels (Tensor): ``(..., N, 2)``.
        cam (Camera): batch dims ``...``.

    Returns:
        Tensor: ``(..., N, 3)`` unit vectors.
    """
    xy = pixels_to_normalized(pixels, cam['K'])
    d = torch.cat((xy, torch.ones_like(xy[..., :1])), dim=-1) @ cam['R']
    return d / d.norm(dim=-1, keepdim=True)


def token_centers(height: int, width: int, stride: int,
                  dtype: torch.dtype = torch.float64) -> Tensor:
    """Pixel centres of an ``height x width`` token grid of ``stride``.

    Token ``n = i * width + j`` sits at
    ``(stride * j + stride / 2 - 0.5, stride * i + stride / 2 - 0.5)``
    i.e. the centre of its ``stride x stride`` pixel block.

    Returns:
        Tensor: ``(height * width, 2)`` as (u, v).
    """
    off = stride / 2 - 0.5
    v, u = torch.meshgrid(
        torch.arange(height, dtype=dtype) * stride + off,
        torch.arange(width, dtype=dtype) * stride + off,
        indexing='ij')
    return torch.stack((u, v), dim=-1).reshape(-1, 2)
