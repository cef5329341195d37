"""Flow warping in normalised grid units: identity, integer shifts, unit
conversions, agreement with mmagic's pixel-unit flow_warp."""
import pytest
import torch

from mmhuman_ext.models.layers.flow_warp import (identity_grid,
                                                 normalized_flow_to_pixels,
                                                 pixel_flow_to_normalized,
                                                 sampling_grid_pixels,
                                                 warp_by_flow)


def test_zero_flow_reproduces_the_input():
    # bit-exact at the network's power-of-two sizes (pixel centres are
    # exact binary fractions), float rounding elsewhere
    for size in ((32, 32), (64, 128), (128, 128)):
        feat = torch.randn(2, 5, *size)
        assert torch.equal(warp_by_flow(feat, torch.zeros(2, 2, *size)),
                           feat)
    feat = torch.randn(2, 5, 12, 20,
                       generator=torch.Generator().manual_seed(0))
    out = warp_by_flow(feat, torch.zeros(2, 2, 12, 20))
    torch.testing.assert_close(out, feat, atol=1e-5, rtol=0)


@pytest.mark.parametrize('dx,dy', [(3, 0), (0, -2), (2, 1)])
def test_integer_shift_equals_a_roll_in_the_interior(dx, dy):
    feat = torch.randn(1, 3, 16, 32,
                       generator=torch.Generator().manual_seed(0))
    flow_px = torch.zeros(1, 2, 16, 32)
    flow_px[:, 0], flow_px[:, 1] = dx, dy
    out = warp_by_flow(feat, pixel_flow_to_normalized(flow_px))
    # output(p) = input(p + d): a roll by -d
    rolled = torch.roll(feat, shifts=(-dy, -dx), dims=(2, 3))
    m = 4
    torch.testing.assert_close(out[..., m:-m, m:-m], rolled[..., m:-m, m:-m],
                               atol=1e-5, rtol=0)
    # samples that fall outside the image read zero
    if dx > 0:
        assert out[..., -dx:].abs().max() < 1e-5


def test_flow_is_resized_without_rescaling():
    feat = torch.randn(1, 2, 32, 32)
    shift = torch.zeros(1, 2, 8, 8)
    shift[:, 0] = 4 * 2 / 32  # 4 px of the 32-px map, in normalised units
    out = warp_by_flow(feat, shift)
    torch.testing.assert_close(out[..., 4:-8], feat[..., 8:-4], atol=1e-5,
                               rtol=0)


def test_unit_conversions_round_trip_and_grid():
    flow = torch.randn(2, 2, 6, 10)
    torch.testing.assert_close(
        pixel_flow_to_normalized(normalized_flow_to_pixels(flow)), flow)
    grid = sampling_grid_pixels(torch.zeros(1, 2, 6, 10))
    ys, xs = torch.meshgrid(torch.arange(6.), torch.arange(10.),
                            indexing='ij')
    torch.testing.assert_close(grid[0, 0], xs, atol=1e-5, rtol=0)
    torch.testing.assert_close(grid[0, 1], ys, atol=1e-5, rtol=0)
    g = identity_grid(4, 4)
    assert g.shape == (1, 4, 4, 2)
    assert g[0, 0, 0].tolist() == pytest.approx([-0.75, -0.75])


def test_matches_mmagic_flow_warp_after_unit_conversion():
    mmagic_flow_warp = pytest.importorskip(
        'mmagic.models.utils').flow_warp
    torch.manual_seed(0)
    feat = torch.randn(1, 3, 16, 16)
    flow_px = torch.randn(1, 2, 16, 16) * 2
    ours = warp_by_flow(feat, pixel_flow_to_normalized(flow_px))
    theirs = mmagic_flow_warp(feat, flow_px.permute(0, 2, 3, 1),
                              padding_mode='zeros', align_corners=True)
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)


def test_bad_flow_shape_is_named():
    with pytest.raises(ValueError, match=r'flow must be \(B=1, 2'):
        warp_by_flow(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4))
