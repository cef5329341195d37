"""DensePose correspondence flow on hand-built IUV pairs with known
motion."""
import numpy as np
import pytest

from mmhuman_ext.geometry.densepose_flow import \
    densepose_correspondence_flow


def _body(h, w, boxes):
    """IUV ``(3, h, w)``: for each ``(part, x0, y0, bw, bh)`` a box whose U
    runs along x and V along y (unique per pixel within the part)."""
    iuv = np.zeros((3, h, w), np.float32)
    for part, x0, y0, bw, bh in boxes:
        iuv[0, y0:y0 + bh, x0:x0 + bw] = part
        iuv[1, y0:y0 + bh, x0:x0 + bw] = np.linspace(0, 1, bw)[None]
        iuv[2, y0:y0 + bh, x0:x0 + bw] = np.linspace(0, 1, bh)[:, None]
    return iuv


def test_known_shift_per_part():
    # part 2 moves by (+5, -2), part 7 by (-3, +4), part 9 only in the
    # driving frame (no correspondence)
    src = _body(24, 32, [(2, 3, 6, 8, 5), (7, 20, 2, 4, 7)])
    drv = _body(24, 32, [(2, 8, 4, 8, 5), (7, 17, 6, 4, 7),
                         (9, 0, 20, 3, 3)])
    flow, found = densepose_correspondence_flow(src, drv)
    assert flow.shape == (2, 24, 32) and found.shape == (24, 32)
    p2, p7 = drv[0] == 2, drv[0] == 7
    assert (flow[0][p2] == -5).all() and (flow[1][p2] == 2).all()
    assert (flow[0][p7] == 3).all() and (flow[1][p7] == -4).all()
    assert (found == (p2 | p7)).all()
    assert (flow[:, ~(p2 | p7)] == 0).all()  # background, part 9
    # reading the source through the flow reproduces the driving map
    ys, xs = np.nonzero(found)
    np.testing.assert_array_equal(
        src[:, ys + flow[1, ys, xs], xs + flow[0, ys, xs]], drv[:, ys, xs])


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r'\(3, H, W\)'):
        densepose_correspondence_flow(np.zeros((3, 4, 4)),
                                      np.zeros((3, 4, 5)))
