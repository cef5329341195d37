"""FlipPoseSequence: mirror in pixel space, negate 3D x, swap joints."""
import numpy as np
import pytest

from mmhuman_ext.registry import KEYPOINT_CODECS, TRANSFORMS

FLIP = [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12, 13]


def sample(rng, flip=True):
    return dict(
        keypoints=rng.uniform(0, 1000, (5, 17, 2)),
        keypoints_visible=rng.uniform(0, 1, (5, 17)),
        keypoints_3d=rng.normal(size=(5, 17, 3)),
        lifting_target=rng.normal(size=(1, 17, 3)),
        lifting_target_visible=np.ones((1, 17)),
        camera_param=dict(
            w=1000, h=1002, c=np.array([510., 490.]), p=np.array([1e-3,
                                                                  2e-3])),
        flip_indices=FLIP,
        flip=flip)


def test_flip_mirrors_and_twice_is_identity():
    rng = np.random.default_rng(0)
    t = TRANSFORMS.build(dict(type='FlipPoseSequence'))
    s = sample(rng)
    orig = {
        k: (v.copy() if isinstance(v, np.ndarray) else v)
        for k, v in s.items()
    }
    out = t(dict(s))
    np.testing.assert_allclose(out['keypoints'][:, 4, 0],
                               1000 - orig['keypoints'][:, 1, 0])
    np.testing.assert_allclose(out['keypoints_3d'][..., 0],
                               -orig['keypoints_3d'][:, FLIP, 0])
    np.testing.assert_allclose(out['lifting_target'][0, 11],
                               orig['lifting_target'][0, 14] * [-1, 1, 1])
    np.testing.assert_allclose(out['camera_param']['c'], [490., 490.])
    np.testing.assert_allclose(out['camera_param']['p'], [-1e-3, 2e-3])
    twice = t(dict(out))
    for key in ('keypoints', 'keypoints_3d', 'lifting_target',
                'keypoints_visible'):
        np.testing.assert_allclose(twice[key], orig[key])
    np.testing.assert_allclose(twice['camera_param']['c'], [510., 490.])
    # an unflagged sample is left alone
    s = sample(rng, flip=False)
    same = t(dict(s))
    assert same['keypoints'] is s['keypoints']


def test_pixel_flip_is_exact_negation_after_normalisation():
    rng = np.random.default_rng(1)
    codec = KEYPOINT_CODECS.build(
        dict(type='SeqPoseLifting', num_keypoints=17))
    s = sample(rng)
    plain = codec.encode(s['keypoints'], None, s['lifting_target'], None,
                         s['camera_param'])['keypoint_labels']
    f = TRANSFORMS.build(dict(type='FlipPoseSequence'))(dict(s))
    flipped = codec.encode(f['keypoints'], None, f['lifting_target'], None,
                           f['camera_param'])['keypoint_labels']
    np.testing.assert_allclose(flipped, plain[:, FLIP] * [-1, 1], atol=1e-6)


def test_random_mode_sets_the_flag():
    np.random.seed(0)
    t = TRANSFORMS.build(
        dict(type='FlipPoseSequence', mode='random', prob=0.5))
    rng = np.random.default_rng(2)
    flags = [t(sample(rng, flip=False))['flip'] for _ in range(40)]
    assert 5 < sum(flags) < 35
    with pytest.raises(ValueError, match='mode'):
        TRANSFORMS.build(dict(type='FlipPoseSequence', mode='always'))
