import numpy as np
import pytest

from mmhuman_ext.registry import KEYPOINT_CODECS

CFG = dict(input_size=(256, 256), heatmap_size=(64, 64), sigma=2)


def test_decode_is_the_argmax_without_the_quarter_shift():
    plain = KEYPOINT_CODECS.build(dict(type='ArgmaxHeatmap', **CFG))
    msra = KEYPOINT_CODECS.build(dict(type='MSRAHeatmap', **CFG))
    heatmaps = np.zeros((2, 64, 64), np.float32)
    heatmaps[0, 10, 20], heatmaps[0, 10, 21] = 1.0, 0.5  # right neighbour
    heatmaps[1, 40, 30], heatmaps[1, 39, 30] = 0.8, 0.4  # upper neighbour
    keypoints, scores = plain.decode(heatmaps)
    np.testing.assert_allclose(keypoints, [[[80, 40], [120, 160]]])
    np.testing.assert_allclose(scores, [[1.0, 0.8]])
    shifted, _ = msra.decode(heatmaps)
    np.testing.assert_allclose(shifted, [[[81, 40], [120, 159]]])
    # same targets as MSRAHeatmap
    kpts = np.array([[[100., 60.]]])
    vis = np.ones((1, 1))
    np.testing.assert_array_equal(
        plain.encode(kpts, vis)['heatmaps'], msra.encode(kpts, vis)['heatmaps'])


def test_unbiased_is_refused():
    with pytest.raises(ValueError, match='plain argmax'):
        KEYPOINT_CODECS.build(dict(type='ArgmaxHeatmap', unbiased=True, **CFG))
