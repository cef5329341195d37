"""The source-to-driving correspondence that two DensePose maps give.

A pixel of part ``p`` at surface coordinates ``(u, v)`` in the driving map
shows the same body point as the source pixel of part ``p`` with the nearest
``(u, v)``. :func:`densepose_correspondence_flow` turns that into a backward
flow (the driving pixel reads the source there), the flow the motion-transfer
baseline ``densepose_warp`` warps with and the target of the flow-supervision
loss of the motion-transfer demo (plain numpy / scipy).
"""
from typing import Tuple

import numpy as np
from scipy.spatial import cKDTree


def densepose_correspondence_flow(src_iuv: np.ndarray, drv_iuv: np.ndarray
                                  ) -> Tuple[np.ndarray, np.ndarray]:
    """Backward pixel flow between two IUV maps.

    Args:
        src_iuv, drv_iuv: ``(3, H, W)`` part id 0..24, U, V (any common
            scale of U and V).

    Returns:
        tuple: ``flow (2, H, W)`` int64 pixel offsets (x, y): the driving
        pixel ``(x, y)`` reads the source at ``(x + fx, y + fy)``; ``found
        (H, W)`` bool: driving body pixels whose part the source shows (the
        others, background included, keep zero flow).
    """
    if src_iuv.shape != drv_iuv.shape or src_iuv.ndim != 3 or \
            src_iuv.shape[0] != 3:
        raise ValueError('src_iuv and drv_iuv must both be (3, H, W), got '
                         f'{src_iuv.shape} and {drv_iuv.shape}')
    h, w = drv_iuv.shape[1:]
    flow = np.zeros((2, h, w), np.int64)
    found = np.zeros((h, w), bool)
    src_part, drv_part = src_iuv[0].round(), drv_iuv[0].round()
    for part in np.unique(drv_part[drv_part > 0]):
        src_ys, src_xs = np.nonzero(src_part == part)
        drv_ys, drv_xs = np.nonzero(drv_part == part)
        if len(src_ys) == 0:
            continue
        tree = cKDTree(src_iuv[1:, src_ys, src_xs].T)
        _, nearest = tree.query(drv_iuv[1:, drv_ys, drv_xs].T)
        flow[0, drv_ys, drv_xs] = src_xs[nearest] - drv_xs
        flow[1, drv_ys, drv_xs] = src_ys[nearest] - drv_ys
        found[drv_ys, drv_xs] = True
    return flow, found
