"""DECA orthographic camera and the 224-pixel face-crop transform
(as CVTHead uses them). Plain torch, batched.

Conventions:

* ``ortho_project``: ``x' = s (X + tx)``, ``y' = -s (Y + ty)``,
  ``z' = -s Z``. ``(x', y')`` are normalised coordinates of the 224 crop in
  ``[-1, 1]`` with y pointing down; after the flip a smaller ``z'`` is nearer
  the camera.
* Crop transform ``T`` (3x3): the similarity that maps original-image pixels
  to crop pixels (skimage ``estimate_transform('similarity')`` semantics,
  pixel ``i`` at coordinate ``i``).
* ``crop_to_image``: crop-normalised ``(x', y')`` -> crop pixels
  ``(x' * 0.5 + 0.5) * 224`` -> ``T^-1`` -> image pixels ``p`` ->
  image-normalised ``u = p_x / W * 2 - 1``, ``v = p_y / H * 2 - 1``.
  Depth stays in crop units.
"""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def ortho_project(vertices: Tensor, cam: Tensor) -> Tensor:
    """``(B, N, 3)`` world vertices, ``(B, 3)`` cam ``(s, tx, ty)`` ->
    ``(B, N, 3)`` crop-normalised ``(x', y', z')``."""
    if cam.ndim != 2 or cam.shape[1] != 3:
        raise ValueError(f'camera code must be (B, 3) = (s, tx, ty), got '
                         f'{tuple(cam.shape)}')
    s = cam[:, None, 0:1]
    x = s * (vertices[..., 0:1] + cam[:, None, 1:2])
    y = -s * (vertices[..., 1:2] + cam[:, None, 2:3])
    z = -s * vertices[..., 2:3]
    return torch.cat([x, y, z], dim=-1)


def crop_to_image(points: Tensor, tform: Tensor, image_size: Sequence[int],
                  crop_size: int = 224) -> Tensor:
    """Crop-normalised ``(B, N, 3)`` -> image-normalised ``(u, v, d)``.

    Args:
        points (Tensor): ``(B, N, 3)`` output of :func:`ortho_project`.
        tform (Tensor): ``(B, 3, 3)`` image -> crop similarity ``T``.
        image_size (tuple[int, int]): ``(H, W)`` of the original image.
        crop_size (int): Crop side. Defaults to 224.
    """
    h, w = image_size
    crop_px = (points[..., :2] * 0.5 + 0.5) * crop_size
    homo = torch.cat([crop_px, torch.ones_like(crop_px[..., :1])], dim=-1)
    img_px = homo @ torch.linalg.inv(tform).transpose(1, 2)
    img_px = img_px[..., :2] / img_px[..., 2:3]
    uv = img_px / img_px.new_tensor([w, h]) * 2 - 1
    return torch.cat([uv, points[..., 2:3]], dim=-1)


def project_to_image(vertices: Tensor, cam: Tensor, tform: Tensor,
                     image_size: Sequence[int], crop_size: int = 224
                     ) -> Tensor:
    """:func:`ortho_project` then :func:`crop_to_image`: ``(B, N, 3)``."""
    return crop_to_image(ortho_project(vertices, cam), tform, image_size,
                         crop_size)


def estimate_crop_tform(landmarks: Tensor, crop_size: int = 224,
                        scale: float = 1.25) -> Tensor:
    """DECA crop transform from 68 2D landmarks.

    ``old = ((r - l) + (b - t)) / 2 * 1.1`` of the landmark box, centre = box
    centre, ``size = int(scale * old)``; ``T`` maps the square
    ``centre +- size/2`` onto ``[0, crop_size - 1]^2``.

    Args:
        landmarks (Tensor): ``(B, K, 2)`` image pixels ``(x, y)``.

    Returns:
        Tensor: ``(B, 3, 3)`` float.
    """
    lo = landmarks.min(dim=1).values
    hi = landmarks.max(dim=1).values
    old = ((hi - lo).sum(-1)) / 2 * 1.1
    centre = (lo + hi) / 2
    size = torch.floor(scale * old)
    a = (crop_size - 1) / size
    corner = centre - size[:, None] / 2
    tform = torch.zeros(len(landmarks), 3, 3, dtype=landmarks.dtype,
                        device=landmarks.device)
    tform[:, 0, 0] = a
    tform[:, 1, 1] = a
    tform[:, :2, 2] = -a[:, None] * corner
    tform[:, 2, 2] = 1
    return tform


def warp_crop(images: Tensor, tform: Tensor, crop_size: int = 224) -> Tensor:
    """Crop ``(B, C, H, W)`` images with ``T`` into ``(B, C, S, S)``
    (bilinear, zero fill; crop pixel ``q`` samples image pixel ``T^-1 q``)."""
    b, _, h, w = images.shape
    q = torch.arange(crop_size, dtype=images.dtype, device=images.device)
    qy, qx = torch.meshgrid(q, q, indexing='ij')
    homo = torch.stack([qx, qy, torch.ones_like(qx)], -1).view(1, -1, 3)
    p = homo @ torch.linalg.inv(tform).transpose(1, 2).to(images)
    p = p[..., :2] / p[..., 2:3]
    grid = p / p.new_tensor([w - 1, h - 1]) * 2 - 1
    return F.grid_sample(images, grid.view(b, crop_size, crop_size, 2),
                         mode='bilinear', padding_mode='zeros',
                         align_corners=True)


def fit_ortho_cam(vertices: Tensor, crop_points: Tensor
                  ) -> Tuple[Tensor, Tensor]:
    """Least-squares ``(s, tx, ty)`` with ``ortho_project(vertices, cam)``
    closest to ``crop_points`` in ``x', y'``.

    Args:
        vertices (Tensor): ``(B, N, 3)``.
        crop_points (Tensor): ``(B, N, 2)`` crop-normalised targets.

    Returns:
        tuple: cam ``(B, 3)`` and the RMS residual ``(B,)``.
    """
    xy = vertices[..., :2]
    tgt = crop_points * crop_points.new_tensor([1., -1.])  # undo the y flip
    xm, tm = xy.mean(1, keepdim=True), tgt.mean(1, keepdim=True)
    s = ((xy - xm) * (tgt - tm)).sum((1, 2)) / (xy - xm).pow(2).sum((1, 2))
    t = (tm - s[:, None, None] * xm)[:, 0] / s[:, None]
    cam = torch.cat([s[:, None], t], dim=1)
    resid = (s[:, None, None] * (xy + t[:, None]) - tgt).pow(2).mean((1, 2))
    return cam, resid.sqrt()
