"""SeqPoseLifting: normalisation and per-frame root-relative targets."""
import numpy as np

from mmhuman_ext.registry import KEYPOINT_CODECS


def test_encode_normalises_and_builds_sequence_targets():
    rng = np.random.default_rng(0)
    codec = KEYPOINT_CODECS.build(
        dict(type='SeqPoseLifting', num_keypoints=17, root_index=0))
    kpts = rng.uniform(0, 1000, (9, 17, 2)).astype(np.float32)
    kpts[4, 3] = [500., 501.]  # the image centre of a 1000 x 1002 camera
    kpts_3d = rng.normal(size=(9, 17, 3)).astype(np.float32)
    out = codec.encode(kpts, np.ones((9, 17)), kpts_3d[4:5], np.ones((1, 17)),
                       dict(w=1000, h=1002), kpts_3d)
    labels = out['keypoint_labels']
    assert labels.shape == (9, 17, 2)
    np.testing.assert_allclose(labels[4, 3], [0., 0.], atol=1e-6)
    np.testing.assert_allclose(labels, (kpts - [500, 501]) / 500, rtol=1e-6)
    # pixel -> normalised -> pixel round trip
    np.testing.assert_allclose(labels * 500 + [500, 501], kpts, atol=1e-3)
    seq = out['lifting_target_label_seq']
    assert seq.shape == (1, 9, 17, 3)
    np.testing.assert_array_equal(seq[0, :, 0], 0)
    np.testing.assert_allclose(seq[0], kpts_3d - kpts_3d[:, :1], rtol=1e-6)
    np.testing.assert_allclose(
        out['lifting_target_label'][0], seq[0, 4], rtol=1e-6)
    np.testing.assert_allclose(out['target_root'], kpts_3d[4:5, 0])


def test_root_index_14_for_3dhp():
    codec = KEYPOINT_CODECS.build(
        dict(type='SeqPoseLifting', num_keypoints=17, root_index=14))
    kpts_3d = np.random.default_rng(1).normal(size=(3, 17, 3))
    out = codec.encode(
        np.zeros((3, 17, 2)), None, kpts_3d[1:2], None, dict(w=2048, h=2048),
        kpts_3d)
    np.testing.assert_array_equal(out['lifting_target_label_seq'][0, :, 14], 0)
    np.testing.assert_array_equal(out['lifting_target_label'][0, 14], 0)
