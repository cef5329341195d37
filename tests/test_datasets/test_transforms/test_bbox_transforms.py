"""ClippedNormalBBoxTransform: the official TokenPose / PPT scale and
rotation sampling, checked on histograms of many draws."""
import numpy as np
import pytest
from mmpose.datasets.transforms import RandomBBoxTransform

from mmhuman_ext.registry import TRANSFORMS

N = 40_000


def draw(transform, n=N, seed=0):
    np.random.seed(seed)
    _, scale, rotate = transform._get_transform_params(n)
    return scale[:, 0].astype(np.float64), rotate.astype(np.float64)


def official(n, sf, rf, seed=1):
    """JointsDataset.py: s = clip(randn * sf + 1, 1 - sf, 1 + sf),
    r = clip(randn * rf, -2 rf, 2 rf) if rand <= 0.6 else 0."""
    rng = np.random.default_rng(seed)
    s = np.clip(rng.standard_normal(n) * sf + 1, 1 - sf, 1 + sf)
    r = np.where(rng.random(n) <= 0.6,
                 np.clip(rng.standard_normal(n) * rf, -2 * rf, 2 * rf), 0.)
    return s, r


@pytest.mark.parametrize('sf,rf', [(0.35, 45), (0.25, 30)])
def test_histograms_match_the_official_sampling(sf, rf):
    t = TRANSFORMS.build(
        dict(type='ClippedNormalBBoxTransform', scale_sigma=sf,
             rotate_sigma=rf, rotate_clip=2., rotate_prob=0.6))
    scale, rotate = draw(t)
    ref_s, ref_r = official(N, sf, rf)
    # scale: 31.7 % clipped onto the two bounds, the rest N(1, sf) inside
    assert scale.min() == pytest.approx(1 - sf, abs=1e-6)
    assert scale.max() == pytest.approx(1 + sf, abs=1e-6)
    at_bounds = np.isclose(np.abs(scale - 1), sf, atol=1e-6).mean()
    assert at_bounds == pytest.approx(0.3173, abs=0.01)
    bins = np.linspace(1 - sf - 1e-3, 1 + sf + 1e-3, 15)
    h, _ = np.histogram(scale, bins)
    h_ref, _ = np.histogram(ref_s, bins)
    np.testing.assert_allclose(h / N, h_ref / N, atol=0.01)
    # rotation: 40 % exactly 0; the rest N(0, rf) clipped at +-2 rf
    assert (rotate == 0).mean() == pytest.approx(0.4, abs=0.01)
    rotated = rotate[rotate != 0]
    assert np.abs(rotated).max() == pytest.approx(2 * rf, abs=1e-4)
    assert (np.abs(rotated) > rf).mean() == pytest.approx(0.3173, abs=0.01)
    assert np.isclose(np.abs(rotated), 2 * rf).mean() == pytest.approx(
        0.0455, abs=0.006)
    bins = np.linspace(-2 * rf - 1, 2 * rf + 1, 19)
    h, _ = np.histogram(rotate, bins)
    h_ref, _ = np.histogram(ref_r, bins)
    np.testing.assert_allclose(h / N, h_ref / N, atol=0.01)


def test_mmpose_transform_is_the_weaker_one_it_replaces():
    """mmpose's RandomBBoxTransform with the same nominal factors never
    rotates past one sigma and puts nothing on the scale bounds."""
    scale, rotate = draw(
        RandomBBoxTransform(shift_prob=0., scale_factor=(0.65, 1.35),
                            rotate_factor=45, rotate_prob=0.6))
    assert np.abs(rotate).max() <= 45
    assert np.isclose(np.abs(scale - 1), 0.35, atol=1e-6).mean() < 0.001
    ours, our_rot = draw(TRANSFORMS.build(
        dict(type='ClippedNormalBBoxTransform')))
    assert (np.abs(our_rot) > 45).mean() > 0.15
    assert np.std(our_rot) > 1.3 * np.std(rotate)


def test_transform_moves_boxes_and_rejects_bad_factors():
    t = TRANSFORMS.build(dict(type='ClippedNormalBBoxTransform'))
    np.random.seed(3)
    results = dict(bbox_center=np.array([[50., 60.]], np.float32),
                   bbox_scale=np.array([[100., 120.]], np.float32))
    out = t(dict(results))
    assert out['bbox_center'].tolist() == [[50., 60.]]  # no shift
    ratio = out['bbox_scale'] / results['bbox_scale']
    assert ratio[0, 0] == pytest.approx(ratio[0, 1])
    assert 0.65 - 1e-6 <= ratio[0, 0] <= 1.35 + 1e-6
    assert out['bbox_rotation'].shape == (1, )
    with pytest.raises(ValueError, match='scale stays positive'):
        TRANSFORMS.build(dict(type='ClippedNormalBBoxTransform',
                              scale_sigma=0.6, scale_clip=2.))
    with pytest.raises(ValueError, match='rotate_sigma must be >= 0'):
        TRANSFORMS.build(dict(type='ClippedNormalBBoxTransform',
                              rotate_sigma=-1.))
