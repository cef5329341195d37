"""Human3.6M VideoPose3D loader: windows, cameras, flips, bad input."""
import json
import logging
import os.path as osp
import pickle
import shutil

import numpy as np
import pytest
from mmengine.logging import MMLogger

from mmhuman_ext.datasets.annotation_errors import AnnotationError
from mmhuman_ext.datasets.h36m_videopose3d import (H36M_KEPT_JOINTS,
                                                   fill_nan_frames,
                                                   h36m_action_category)
from mmhuman_ext.datasets.synthetic.motion3d import write_videopose3d_h36m
from mmhuman_ext.geometry.h36m_cameras import (CameraFileError,
                                               load_h36m_cameras,
                                               quaternion_to_matrix)
from mmhuman_ext.registry import DATASETS

CPN = 'data_2d_h36m_cpn_ft_h36m_dbb.npz'


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    path = tmp_path_factory.mktemp('h36m_vp3d')
    write_videopose3d_h36m(
        str(path),
        subjects=['S1', 'S9'],
        actions=['Walking', 'Directions 1'],
        num_frames=60,
        seed=1)
    return path


def build(root, **kw):
    cfg = dict(
        type='H36MVideoPose3DDataset',
        data_root=str(root),
        subjects=['S1'],
        seq_len=9,
        seq_step=2)
    cfg.update(kw)
    return DATASETS.build(cfg)


def load(path, key):
    with np.load(path, allow_pickle=True) as f:
        return f[key].item()


def test_windows_are_clipped_strided_frames(root):
    ds = build(root)
    assert len(ds) == 2 * 4 * 60  # actions x cameras x frames
    assert ds.receptive_field == 17
    pos2d = load(root / CPN, 'positions_2d')
    cams = json.loads((root / 'h36m_cameras.json').read_text())
    order = cams['camera_order']
    for idx in (0, 3, 59, 60 + 30, 7 * 60 + 58):
        info = ds.get_data_info(idx)
        t = info['frame']
        frames = np.clip(t + 2 * np.arange(-4, 5), 0, 59)
        raw = pos2d['S1'][info['action']][order.index(info['camera_id'])]
        np.testing.assert_allclose(info['keypoints'], raw[frames])
        np.testing.assert_allclose(info['lifting_target'][0],
                                   info['keypoints_3d'][4])
        assert info['keypoints'].shape == (9, 17, 2)
        assert info['target_img_path'][0].startswith(
            f"S1_{info['action'].replace(' ', '_')}.{info['camera_id']}_")
        assert info['target_img_path'][0].endswith(f'_{t + 1:06d}.jpg')


def test_world_to_camera_uses_quaternion_and_keeps_17_joints(root):
    ds = build(root, subjects=['S9'], actions=['Walking'])
    cams = json.loads((root / 'h36m_cameras.json').read_text())
    world = load(root / 'data_3d_h36m.npz', 'positions_3d')['S9']['Walking']
    assert world.shape == (60, 32, 3)
    info = ds.get_data_info(2 * 60 + 10)
    ext = cams['extrinsics']['S9'][info['camera_id']]
    R = quaternion_to_matrix(np.array(ext['orientation']))
    t = np.array(ext['translation']) / 1000
    expected = (R.T @ (world[10, list(H36M_KEPT_JOINTS)] - t).T).T
    np.testing.assert_allclose(info['lifting_target'][0], expected, atol=1e-5)
    assert (info['keypoints_3d'][..., 2] > 1).all()  # in front of the camera


def test_mmpose_camera_pkl_gives_the_same_camera_frame(root, tmp_path):
    cameras, _ = load_h36m_cameras(str(root / 'h36m_cameras.json'))
    pkl = {
        key:
        dict(
            R=cam['R'],
            T=cam['T'].reshape(3, 1),
            f=cam['f'].reshape(2, 1),
            c=cam['c'].reshape(2, 1),
            k=cam['k'].reshape(3, 1),
            p=cam['p'].reshape(2, 1),
            w=cam['w'],
            h=cam['h'],
            name=key[1],
            id=key[1])
        for key, cam in cameras.items()
    }
    copy = tmp_path / 'copy'
    shutil.copytree(root, copy)
    with open(copy / 'cameras.pkl', 'wb') as f:
        pickle.dump(pkl, f)
    a = build(root, subjects=['S9']).get_data_info(77)
    b = build(
        copy, subjects=['S9'], camera_file='cameras.pkl').get_data_info(77)
    np.testing.assert_allclose(a['keypoints_3d'], b['keypoints_3d'], atol=1e-5)
    assert a['camera_param']['w'] == b['camera_param']['w']


def test_flip_doubling_and_sample_stride(root):
    ds = build(root, flip_mode='double', sample_stride=4)
    half = 2 * 4 * 15
    assert len(ds) == 2 * half
    a, b = ds.get_data_info(5), ds.get_data_info(half + 5)
    assert not a['flip'] and b['flip']
    np.testing.assert_array_equal(a['keypoints'], b['keypoints'])
    assert a['frame'] == 20
    assert build(
        root,
        actions=['Directions']).get_data_info(0)['action'] == 'Directions 1'


def test_short_videos_are_padded_and_reported(root):
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        ds = build(root, seq_len=27, seq_step=3)
    finally:
        logger.removeHandler(handler)
    text = ' '.join(r.getMessage() for r in records)
    assert '8 videos are shorter than the receptive field' in text
    assert 'padded by repeating' in text
    info = ds.get_data_info(0)
    np.testing.assert_array_equal(info['keypoints'][:13],
                                  np.repeat(info['keypoints'][13:14], 13, 0))


def _rewrite_2d(root, tmp_path, change):
    copy = tmp_path / 'copy'
    shutil.copytree(root, copy)
    with np.load(copy / CPN, allow_pickle=True) as f:
        data = {k: f[k].item() for k in f.files}
    change(data['positions_2d'])
    np.savez_compressed(copy / CPN, **data)
    return copy


def test_nan_joints_error_or_interpolate(root, tmp_path):

    def add_nan(pos):
        pos['S1']['Walking'][2][10:13, 5] = np.nan

    copy = _rewrite_2d(root, tmp_path, add_nan)
    with pytest.raises(AnnotationError) as err:
        build(copy)
    msg = str(err.value)
    assert CPN in msg and "'S1'" in msg and "'Walking'" in msg
    assert 'camera 58860488' in msg and '3 frames' in msg
    ds = build(copy, nan_policy='interpolate', seq_step=1, actions=['Walking'])
    info = ds.get_data_info(2 * 60 + 11)
    assert not np.isnan(info['keypoints']).any()
    clean = build(
        root, seq_step=1, actions=['Walking']).get_data_info(2 * 60 + 11)
    # filled between frames 9 and 13 on a straight line
    w = clean['keypoints'][:, 5]
    expected = w[2] + (w[6] - w[2]) * np.arange(1, 4)[:, None] / 4
    np.testing.assert_allclose(info['keypoints'][3:6, 5], expected, rtol=1e-5)
    poses = np.ones((4, 3, 2))
    poses[:, 2] = np.nan
    with pytest.raises(AnnotationError, match=r'x: joints \[2\] are NaN'):
        fill_nan_frames(poses, 'x')


def test_bad_files_name_file_and_field(root, tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing.npz'):
        build(root, file_3d='nothing.npz')

    def shorten(pos):
        pos['S1']['Walking'][1] = pos['S1']['Walking'][1][:50]

    copy = _rewrite_2d(root, tmp_path, shorten)
    with pytest.raises(AnnotationError, match='50 frames, fewer than the 60'):
        build(copy)
    np.savez(tmp_path / 'wrong.npz', poses=np.zeros(3))
    with pytest.raises(AnnotationError, match="missing field 'positions_2d'"):
        build(root, file_2d=str(tmp_path / 'wrong.npz'))
    with pytest.raises(AnnotationError, match="subject 'S7' not found"):
        build(root, subjects=['S7'])


def test_camera_file_errors_name_the_field(root, tmp_path):
    cams = json.loads((root / 'h36m_cameras.json').read_text())
    del cams['intrinsics']['55011271']['focal_length']
    bad = tmp_path / 'cams.json'
    bad.write_text(json.dumps(cams))
    with pytest.raises(CameraFileError) as err:
        load_h36m_cameras(str(bad))
    assert str(bad) in str(err.value)
    assert "intrinsics['55011271']: missing field 'focal_length'" in str(
        err.value)
    cams = json.loads((root / 'h36m_cameras.json').read_text())
    cams['extrinsics']['S1']['54138969']['translation'] = [1, 2]
    bad.write_text(json.dumps(cams))
    with pytest.raises(CameraFileError, match="'translation' must hold 3"):
        load_h36m_cameras(str(bad))
    bad.write_text(json.dumps({'cameras': []}))
    with pytest.raises(CameraFileError, match="'intrinsics'"):
        load_h36m_cameras(str(bad))
    with pytest.raises(FileNotFoundError, match='camera file'):
        load_h36m_cameras(str(tmp_path / 'none.json'))


def test_action_categories():
    assert h36m_action_category('Walking 1') == 'Walking'
    assert h36m_action_category('WalkDog_1') == 'WalkDog'
    assert h36m_action_category('TakingPhoto') == 'Photo'
    assert h36m_action_category('WalkingDog 1') == 'WalkDog'
    assert h36m_action_category('SittingDown') == 'SittingDown'


def test_mmpose_format_path_gives_the_same_windows(root, tmp_path):
    """mmpose's Human36mDataset (its annotation format) with our codec and
    flip transform yields the windows of our loader."""
    ours = build(root, actions=['Walking'])
    cameras, _ = load_h36m_cameras(str(root / 'h36m_cameras.json'))
    names, part, S = [], [], []
    for v in ours.videos:
        stem = f"S1_Walking.{v['camera_id']}"
        for t in range(60):
            names.append(f'S1/{stem}/{stem}_{t + 1:06d}.jpg')
        part.append(np.concatenate([v['keypoints'], np.ones((60, 17, 1))], -1))
        S.append(np.concatenate([v['keypoints_3d'], np.ones((60, 17, 1))], -1))
    np.savez(
        tmp_path / 'h36m_train.npz',
        imgname=np.array(names),
        part=np.concatenate(part).astype(np.float32),
        S=np.concatenate(S).astype(np.float32),
        center=np.zeros((len(names), 2), np.float32),
        scale=np.ones(len(names), np.float32))
    with open(tmp_path / 'cameras.pkl', 'wb') as f:
        pickle.dump(
            {
                k:
                dict(
                    R=c['R'],
                    T=c['T'].reshape(3, 1),
                    c=c['c'].reshape(2, 1),
                    f=c['f'].reshape(2, 1),
                    w=c['w'],
                    h=c['h'])
                for k, c in cameras.items()
            }, f)
    codec = dict(type='SeqPoseLifting', num_keypoints=17)
    pipeline = [
        dict(type='FlipPoseSequence', mode='from_flag'),
        dict(type='GenerateTarget', encoder=codec),
        dict(type='PackPoseInputs', meta_keys=('target_img_path', 'flip'))
    ]
    mm = DATASETS.build(
        dict(
            type='Human36mDataset',
            data_root=str(tmp_path),
            ann_file='h36m_train.npz',
            seq_len=9,
            seq_step=2,
            pad_video_seq=True,
            causal=False,
            keypoint_2d_src='gt',
            camera_param_file='cameras.pkl',
            pipeline=pipeline))
    a, b = mm.get_data_info(70), ours.get_data_info(70)
    np.testing.assert_allclose(a['keypoints'], b['keypoints'], rtol=1e-6)
    np.testing.assert_allclose(a['keypoints_3d'], b['keypoints_3d'], rtol=1e-6)
    assert a['target_img_path'][0].endswith(
        osp.basename(b['target_img_path'][0]))
    packed = mm[70]
    assert packed['inputs'].shape == (9, 17, 2)
    labels = packed['data_samples'].gt_instance_labels
    assert labels.lifting_target_label_seq.shape == (1, 9, 17, 3)
