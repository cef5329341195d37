"""Built-in 3D motion: human-like, smooth, distinct, deterministic, cached."""
import os

import numpy as np
import pytest

from mmhuman_ext.datasets.synthetic import motion3d
from mmhuman_ext.datasets.synthetic.motion3d import (
    ACTIONS, H36M_PARENTS, KEPT_OF_32, ensure_synthetic_h36m, make_camera_rig,
    render_2d, sample_body, synthesize_motion)
from mmhuman_ext.geometry.h36m_cameras import world_to_camera

PARENTS = list(H36M_PARENTS[1:])


def motion(action, seed=0, frames=250):
    rng = np.random.default_rng(seed)
    return synthesize_motion(action, frames, rng, sample_body(rng))


@pytest.mark.parametrize('action', ACTIONS)
def test_articulated_smooth_and_on_the_floor(action):
    pos = motion(action)
    bones = np.linalg.norm(pos[:, 1:] - pos[:, PARENTS], axis=-1)
    assert bones.std(axis=0).max() < 1e-9  # rigid bones
    thigh, shin = bones[0, 1], bones[0, 2]
    assert 0.38 < thigh < 0.52 and 0.38 < shin < 0.52
    height = pos[0, 10, 2] - pos[0, [3, 6], 2].min()
    assert 1.2 < height < 1.95
    assert abs(pos[:, [3, 6], 2].min(1)).max() < 1e-9  # a foot on z = 0
    speed = np.linalg.norm(np.diff(pos, axis=0), axis=-1)  # m / frame
    accel = np.linalg.norm(np.diff(pos, 2, axis=0), axis=-1)
    assert speed.max() < 0.12 and accel.max() < 0.03
    assert np.abs(pos[..., :2]).max() < 2.5  # stays in the capture area


def test_actions_differ_in_the_expected_way():
    walk = motion('Walking')
    sit = motion('SittingDown 2')
    phone = motion('Phoning')
    path = np.linalg.norm(np.diff(walk[:, 0, :2], axis=0), axis=-1).sum()
    assert path > 4 * np.linalg.norm(
        np.diff(phone[:, 0, :2], axis=0), axis=-1).sum()
    assert np.ptp(sit[:, 0, 2]) > 0.3 > np.ptp(walk[:, 0, 2])
    # the phoning hand stays near the head
    hand = np.minimum(
        np.linalg.norm(phone[:, 13] - phone[:, 10], axis=-1),
        np.linalg.norm(phone[:, 16] - phone[:, 10], axis=-1))
    assert np.median(hand) < 0.35
    # subjects differ in size
    a, b = sample_body(np.random.default_rng(1)), sample_body(
        np.random.default_rng(2))
    assert not np.allclose(
        np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1))


def test_cameras_see_the_subject():
    cams, order = make_camera_rig(np.random.default_rng(0), ['S1'])
    pos = motion('Walking', frames=100)
    for cam_id in order:
        cam = cams[('S1', cam_id)]
        depth = world_to_camera(pos, cam['R'], cam['T'])[..., 2]
        assert depth.min() > 2.5
        uv = render_2d(pos, cam)
        inside = ((uv >= 0) & (uv < [cam['w'], cam['h']])).all(-1)
        assert inside.mean() > 0.99


def test_files_deterministic_and_cached(tmp_path, monkeypatch):
    kw = dict(
        subjects=['S1', 'S9'],
        actions=['Walking', 'Greeting 1'],
        num_frames=30,
        seed=4)
    a = ensure_synthetic_h36m(str(tmp_path / 'a'), **kw)
    b = ensure_synthetic_h36m(str(tmp_path / 'b'), **kw)
    for name in ('data_3d_h36m.npz', 'data_2d_h36m_gt.npz',
                 'data_2d_h36m_cpn_ft_h36m_dbb.npz'):
        with np.load(os.path.join(a, name), allow_pickle=True) as fa, \
                np.load(os.path.join(b, name), allow_pickle=True) as fb:
            key = fa.files[0] if 'positions_3d' in fa.files else \
                'positions_2d'
            da, db = fa[key].item(), fb[key].item()
            np.testing.assert_array_equal(
                np.asarray(da['S9']['Walking']),
                np.asarray(db['S9']['Walking']))
    with np.load(os.path.join(a, 'data_3d_h36m.npz'), allow_pickle=True) as f:
        pos = f['positions_3d'].item()['S1']['Greeting 1']
    assert pos.shape == (30, 32, 3)
    np.testing.assert_array_equal(pos[:, 4], pos[:, 3])  # dropped slots
    with np.load(
            os.path.join(a, 'data_2d_h36m_cpn_ft_h36m_dbb.npz'),
            allow_pickle=True) as f:
        det = f['positions_2d'].item()['S1']['Walking']
        meta = f['metadata'].item()
    with np.load(
            os.path.join(a, 'data_2d_h36m_gt.npz'), allow_pickle=True) as f:
        gt = f['positions_2d'].item()['S1']['Walking']
    assert len(det) == 4 and det[0].shape == (30, 17, 2)
    err = np.linalg.norm(det[0] - gt[0], axis=-1)
    assert 1 < np.median(err) < 10  # detector-like noise
    assert meta['keypoints_symmetry'][0] == [4, 5, 6, 11, 12, 13]
    assert len(KEPT_OF_32) == 17
    # a second call re-uses the folder; other arguments are refused
    monkeypatch.setattr(motion3d, 'write_videopose3d_h36m', None)
    assert ensure_synthetic_h36m(str(tmp_path / 'a'), **kw) == a
    with pytest.raises(ValueError, match='not the requested'):
        ensure_synthetic_h36m(str(tmp_path / 'a'), **dict(kw, seed=5))
    assert sorted(os.listdir(tmp_path)) == ['a', 'b']  # no temp folders
