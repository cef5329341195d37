"""Batched linear (DLT) triangulation with view weights, confidence-based
view selection (TransFusion / multi-view PPT protocol) and RANSAC over views.

All functions are vectorised over samples, joints, views and RANSAC
hypotheses (no Python loops over them).

Conditioning: the DLT is solved in normalised camera coordinates
(``K^-1`` applied to the pixels) and in a world frame centred at the mean
camera centre and scaled by the mean camera distance, in float64, so that
millimetre-scale rigs give rows of comparable size.
"""
import itertools
from typing import Optional, Tuple

import torch
from torch import Tensor

from .camera import (CAMERA_FIELDS, Camera, pixels_to_normalized,
                     project_points, undistort)


def triangulate_points(points: Tensor,
                       cam: Camera,
                       weights: Optional[Tensor] = None,
                       distortion: bool = False,
                       dist_model: str = 'h36m') -> Tensor:
    """Weighted DLT triangulation.

    For each joint, with ``x_v`` the normalised (undistorted) point of view
    v and ``M_v = [R_v | -R_v C_v]``, solve ``A X = 0`` for the homogeneous
    ``X`` with rows ``w_v (x_v M_v[2] - M_v[0])`` and
    ``w_v (y_v M_v[2] - M_v[1])``; views with weight 0 do not count.

    Args:
        points (Tensor): ``(..., V, J, 2)`` pixels.
        cam (Camera): batch dims ``(..., V)``.
        weights (Tensor, optional): ``(..., V, J)`` non-negative; at least
            two views per joint must be positive. Defaults to all ones.
        distortion (bool): Undistort the pixels with ``k``, ``p`` first.
        dist_model (str): ``'h36m'`` or ``'opencv'``.

    Returns:
        Tensor: ``(..., J, 3)`` world points, float64.
    """
    if points.shape[-3] < 2:
        raise ValueError(f'triangulation needs at least 2 views, got points '
                         f'of shape {tuple(points.shape)} (..., V, J, 2)')
    points = points.to(torch.float64)
    cam = {k: v.to(torch.float64) for k, v in cam.items()}
    xy = pixels_to_normalized(points, cam['K'])
    if distortion:
        xy = undistort(xy, cam['k'], cam['p'], dist_model)
    centers = cam['T']  # (..., V, 3)
    origin = centers.mean(dim=-2, keepdim=True)  # (..., 1, 3)
    scale = (centers - origin).norm(dim=-1).mean(dim=-1).clamp_min(1e-12)
    scale = scale[..., None, None]  # (..., 1, 1)
    # Extrinsics in the normalised world frame X = origin + scale X'.
    R = cam['R']
    t = (R @ ((origin - centers) / scale).unsqueeze(-1))  # (..., V, 3, 1)
    M = torch.cat((R, t), dim=-1)  # (..., V, 3, 4)
    rows = torch.stack(
        (xy[..., 0:1] * M[..., None, 2, :] - M[..., None, 0, :],
         xy[..., 1:2] * M[..., None, 2, :] - M[..., None, 1, :]),
        dim=-2)  # (..., V, J, 2, 4)
    if weights is not None:
        rows = rows * weights.to(torch.float64)[..., None, None]
    A = rows.movedim(-4, -3).flatten(-3, -2)  # (..., J, 2V, 4)
    X = torch.linalg.svd(A).Vh[..., -1, :]  # (..., J, 4)
    X = X[..., :3] / X[..., 3:]
    return origin + scale * X


def confidence_view_mask(scores: Tensor,
                         start: float = 0.85,
                         step: float = 0.05,
                         stop: float = -1.) -> Tensor:
    """Views used per joint by the official evaluation protocol.

    Thresholds ``start, start - step, ...`` down to ``stop``; each joint
    uses the views whose score reaches the first threshold that at least
    two views reach. A joint that no threshold serves (fewer than two
    scores >= ``stop``) uses all views.

    Args:
        scores (Tensor): ``(..., V, J)`` heatmap maxima.

    Returns:
        Tensor: ``(..., V, J)`` bool.
    """
    num = int(round((start - stop) / step)) + 1
    thr = start - step * torch.arange(
        num, dtype=scores.dtype, device=scores.device)
    passed = scores[..., None] >= thr  # (..., V, J, n)
    enough = passed.sum(dim=-3) >= 2  # (..., J, n)
    first = enough.to(torch.uint8).argmax(dim=-1)  # (..., J)
    chosen = thr[first]  # (..., J)
    mask = scores >= chosen.unsqueeze(-2)
    return mask | ~enough.any(dim=-1).unsqueeze(-2)


def triangulate_with_confidence(points: Tensor,
                                scores: Tensor,
                                cam: Camera,
                                start: float = 0.85,
                                step: float = 0.05,
                                distortion: bool = False,
                                dist_model: str = 'h36m') -> Tensor:
    """:func:`confidence_view_mask` then unweighted DLT on the chosen
    views. ``points`` ``(..., V, J, 2)``, ``scores`` ``(..., V, J)`` ->
    ``(..., J, 3)``."""
    mask = confidence_view_mask(scores, start, step)
    return triangulate_points(points, cam, mask.to(torch.float64), distortion,
                              dist_model)


def triangulate_ransac(points: Tensor,
                       cam: Camera,
                       weights: Optional[Tensor] = None,
                       inlier_px: float = 10.,
                       distortion: bool = False,
                       dist_model: str = 'h36m') -> Tuple[Tensor, Tensor]:
    """RANSAC over views: every view pair is a hypothesis.

    Each pair is triangulated (all pairs at once), reprojected into every
    view; views within ``inlier_px`` pixels are its inliers. Per joint the
    pair with the largest inlier weight wins (ties: smaller summed inlier
    error); the joint is re-triangulated from that pair's inliers with
    ``weights``. Exhaustive over the ``V (V - 1) / 2`` pairs, so
    deterministic.

    Args:
        points (Tensor): ``(..., V, J, 2)`` pixels.
        cam (Camera): batch dims ``(..., V)``.
        weights (Tensor, optional): ``(..., V, J)``; defaults to ones.
        inlier_px (float): Reprojection threshold in pixels.

    Returns:
        tuple: ``(..., J, 3)`` points and the ``(..., V, J)`` bool inliers.
    """
    points = points.to(torch.float64)
    V = points.shape[-3]
    if weights is None:
        weights = torch.ones(points.shape[:-1], dtype=torch.float64,
                             device=points.device)
    weights = weights.to(torch.float64)
    pairs = torch.tensor(list(itertools.combinations(range(V), 2)),
                         device=points.device)  # (P, 2)
    P = len(pairs)
    # Hypothesis dim inserted before V: weights select the pair's views.
    pair_w = torch.zeros(P, V, dtype=torch.float64, device=points.device)
    pair_w[torch.arange(P)[:, None], pairs] = 1.
    hyp_w = pair_w[..., None] * weights.unsqueeze(-3)  # (..., P, V, J)
    hyp_cam = {
        k: cam[k].to(torch.float64).unsqueeze(-len(shape) - 2)
        for k, shape in CAMERA_FIELDS.items()
    }
    X = triangulate_points(points.unsqueeze(-4), hyp_cam, hyp_w, distortion,
                           dist_model)  # (..., P, J, 3)
    reproj = project_points(X.unsqueeze(-3), hyp_cam, distortion,
                            dist_model)  # (..., P, V, J, 2)
    err = (reproj - points.unsqueeze(-4)).norm(dim=-1)  # (..., P, V, J)
    inl = (err <= inlier_px) & (weights.unsqueeze(-3) > 0)
    support = (inl * weights.unsqueeze(-3)).sum(dim=-2)  # (..., P, J)
    cost = (err * inl).sum(dim=-2)
    rank = support - cost / (cost.amax(dim=-2, keepdim=True) + 1.) * 1e-3
    best = rank.argmax(dim=-2)  # (..., J)
    idx = best[..., None, None, :].expand(*best.shape[:-1], 1, V,
                                          best.shape[-1])
    inliers = inl.gather(-3, idx).squeeze(-3)  # (..., V, J)
    # With < 2 inliers (both views of the best pair reproject badly) use
    # the pair itself.
    pair_views = pair_w[best].movedim(-1, -2) > 0  # (..., V, J)
    inliers = torch.where(inliers.sum(dim=-2, keepdim=True) >= 2, inliers,
                          pair_views)
    X = triangulate_points(points, cam, weights * inliers, distortion,
                           dist_model)
    return X, inliers
