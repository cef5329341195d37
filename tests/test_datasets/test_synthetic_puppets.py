"""Puppet generator: true IUV maps, masks, keypoints and markers in the
motion-transfer layout, deterministic."""
import csv
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from mmhuman_ext.datasets.motion_transfer_inputs import (read_iuv,
                                                         read_openpose_json)
from mmhuman_ext.datasets.synthetic.puppets import (MARKER_COLOURS,
                                                    OPENPOSE18_NAMES,
                                                    PuppetVideo,
                                                    ensure_puppets)


def _video(seed=3, size=128, frames=16):
    return PuppetVideo(np.random.default_rng([seed, 0, 0]), size, frames)


def test_all_24_parts_and_uv_along_limbs():
    video = _video()
    parts = set()
    for t in range(0, 16, 3):
        out = video.render(t)
        parts |= set(np.unique(out['iuv'][..., 0]).tolist())
    assert parts == set(range(25))
    # U runs from the hip (0) to the knee (1) along the right thigh (7 / 9)
    out = video.render(0)
    j = video.joints(0)
    iuv = out['iuv'].astype(float)
    ys, xs = np.nonzero(np.isin(out['iuv'][..., 0], (7, 9)))
    pix = np.stack([xs + 0.5, ys + 0.5], 1)
    axis = j['right_knee'] - j['right_hip']
    along = (pix - j['right_hip']) @ axis / (axis @ axis)
    u = iuv[ys, xs, 1] / 255
    inner = (along > 0.05) & (along < 0.95)  # away from the rounded ends
    np.testing.assert_allclose(u[inner], along[inner], atol=0.02)
    # V spans each half of the limb from 0 to 1
    v = iuv[ys, xs, 2] / 255
    assert v.min() < 0.1 and v.max() > 0.9


def test_mask_covers_body_and_hair_outside_iuv():
    out = _video().render(2)
    body = out['iuv'][..., 0] > 0
    mask = out['mask'] > 0
    assert not (body & ~mask).any()
    assert (mask & ~body).sum() > 20  # the hair blob is not in the IUV map


def test_markers_at_keypoints():
    video = _video()
    out = video.render(5)
    kps = out['keypoints']
    assert kps.shape == (18, 3) and len(OPENPOSE18_NAMES) == 18
    for k in np.nonzero(kps[:, 2] > 0)[0]:
        x, y = kps[k, :2].astype(int)
        np.testing.assert_array_equal(out['img'][y, x], MARKER_COLOURS[k])
    # anatomical sanity: the head is above the neck, the neck above the hips
    names = {n: kps[i] for i, n in enumerate(OPENPOSE18_NAMES)}
    assert names['nose'][1] < names['neck'][1] < names['right_hip'][1]
    assert names['right_shoulder'][0] < names['left_shoulder'][0]


def test_layout_and_determinism(puppet_small_data, tmp_path):
    root = puppet_small_data
    videos = sorted(os.listdir(osp.join(root, 'train')))
    assert videos == ['puppet000', 'puppet001', 'puppet002']
    vdir = osp.join(root, 'train', 'puppet001')
    for sub in ('frames', 'iuv', 'mask', 'kps'):
        assert len(os.listdir(osp.join(vdir, sub))) == 6
    iuv = read_iuv(osp.join(vdir, 'iuv', '000003.png'), 'IUV_cv2')
    assert iuv.shape == (64, 64, 3) and iuv[..., 0].max() <= 24
    kps = read_openpose_json(osp.join(vdir, 'kps', '000003.json'))
    assert kps.shape == (18, 3)
    with open(osp.join(root, 'animation_pairs_test.csv')) as f:
        rows = list(csv.DictReader(f))
    assert rows and all(r['source'] != r['driving'] for r in rows)
    # same parameters, same bytes
    again = ensure_puppets(str(tmp_path / 'again'), num_train=3, num_test=2,
                           num_frames=6, size=64, seed=0, num_pairs=3)
    for rel in ('train/puppet001/frames/000004.png',
                'train/puppet001/iuv/000004.png', 'animation_pairs_test.csv'):
        with open(osp.join(root, rel), 'rb') as a, \
                open(osp.join(again, rel), 'rb') as b:
            assert a.read() == b.read()
    other = ensure_puppets(str(tmp_path / 'other'), num_train=3, num_test=2,
                           num_frames=6, size=64, seed=1, num_pairs=3)
    a = cv2.imread(osp.join(root, 'train/puppet001/frames/000004.png'))
    b = cv2.imread(osp.join(other, 'train/puppet001/frames/000004.png'))
    assert not np.array_equal(a, b)


def test_stacked_format(tmp_path):
    root = ensure_puppets(str(tmp_path / 'stacked'), num_train=1,
                          num_test=1, num_frames=3, size=32,
                          video_format='stacked')
    img = cv2.imread(osp.join(root, 'train', 'puppet000.png'))
    assert img.shape == (32, 96, 3)
    assert not osp.exists(osp.join(root, 'train', 'puppet000', 'frames'))
    with pytest.raises(ValueError, match='video_format'):
        ensure_puppets(str(tmp_path / 'bad'), video_format='gif')
