"""tools/analysis/cvthead_control.py: the scores of how a rendered head
follows the FLAME mesh."""
import numpy as np
from test_deployment_tools import _tool

control = _tool('tools/analysis/cvthead_control.py')


def _square(offset: float) -> np.ndarray:
    """Two triangles covering u, v in [-0.5, 0.5] shifted by ``offset``."""
    points = np.array([[-.5, -.5, 0], [.5, -.5, 0], [.5, .5, 0], [-.5, .5, 0]])
    points[:, 0] += offset
    return points


def test_mesh_silhouette_fills_the_projected_triangles():
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    sil = control.mesh_silhouette(_square(0.), faces, 64)
    assert 32 * 32 <= sil.sum() <= 33 * 33  # half the side, squared
    ys, xs = np.nonzero(sil)
    assert abs(xs.mean() - 31.5) < 1 and abs(ys.mean() - 31.5) < 1


def test_scores_separate_a_mask_that_follows_from_one_held_still():
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    mesh = [control.mesh_silhouette(_square(s), faces, 64)
            for s in np.linspace(0, 0.4, 5)]
    follows = control.control_scores(mesh, mesh, axis=0)
    assert follows['iou'] == 1 and follows['centroid_error_px'] == 0
    assert abs(follows['centroid_corr'] - 1) < 1e-9
    assert abs(follows['mesh_centroid_range_px'] - 0.4 * 32) < 1
    still = control.control_scores([mesh[0]] * 5, mesh, axis=0)
    assert still['centroid_corr'] is None  # the mask does not move
    assert still['iou'] == follows['iou_first_mask_held'] < 0.9
    assert still['centroid_error_px'] > 2


def test_response_ratio_compares_moving_and_still_surface():
    motion = np.zeros((8, 8))
    motion[:, :4] = 2.  # the left half of the surface moves
    first = np.zeros((8, 8, 3), np.uint8)
    changed = first.copy()
    changed[:, :4] = 40
    changed[:, 4:] = 10
    assert control.response_ratio([first, changed],
                                  [motion, motion]) == 4.
    assert control.response_ratio([first, first + 10],
                                  [motion, motion]) == 1.
    assert control.response_ratio([first, changed],
                                  [motion + 1, motion + 1]) is None
