"""MultiViewPoseInferencer: V calibrated views in, 2D per view + triangulated
3D out, as pictures / videos / JSON."""
import json
import os.path as osp

import numpy as np
import pytest
import torch

from mmhuman_ext.apis.inferencers import MultiViewPoseInferencer
from mmhuman_ext.apis.inferencers.multiview_pose_inferencer import \
    load_cameras
from mmhuman_ext.utils.video import VideoWriter, read_video_frames
from mmhuman_ext.geometry import project_points, stack_cameras

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRANSFUSION_DEMO = osp.join(
    ROOT, 'configs/demo/transfusion-tiny_1xb8-40e_synthmv-128x128.py')
SIZE = (180, 200)  # h, w


def ring_cameras(num_views=4, radius=4000.):
    """Toolbox-layout cameras on a ring around the origin, looking at it,
    with a little lens distortion."""
    cams = []
    for v in range(num_views):
        a = 2 * np.pi * v / num_views
        centre = np.array([radius * np.cos(a), radius * np.sin(a), 900.])
        fwd = -centre / np.linalg.norm(centre)
        right = np.cross(fwd, [0, 0, 1.])
        right /= np.linalg.norm(right)
        down = np.cross(fwd, right)
        R = np.stack([right, down, fwd])
        cams.append(
            dict(
                R=R.tolist(),
                T=centre.tolist(),
                fx=300.,
                fy=300.,
                cx=SIZE[1] / 2,
                cy=SIZE[0] / 2,
                k=[0.01, -0.005, 0.],
                p=[0.001, 0.]))
    return cams


def pictures(num_views=4, seed=0):
    rng = np.random.default_rng(seed)
    return [
        rng.integers(0, 255, (*SIZE, 3), dtype=np.uint8)
        for _ in range(num_views)
    ]


@pytest.fixture(scope='module')
def inferencer():
    torch.manual_seed(0)
    return MultiViewPoseInferencer(
        TRANSFUSION_DEMO, device='cpu', show_progress=False)


def test_one_instant_writes_a_picture_and_json(inferencer, tmp_path):
    cams_file = tmp_path / 'cameras.json'
    cams_file.write_text(json.dumps(ring_cameras()))
    out = tmp_path / 'out'
    result = inferencer(
        dict(images=pictures(), name='instant'),
        cameras=str(cams_file),
        out_dir=str(out),
        return_vis=True)
    pred, = result['predictions']
    assert len(pred['keypoint_names']) == 17
    assert len(pred['views']) == 4
    for view in pred['views']:
        assert np.asarray(view['keypoints']).shape == (17, 2)
        assert np.asarray(view['keypoint_scores']).shape == (17, )
    assert np.asarray(pred['keypoints_3d']).shape == (17, 3)
    vis, = result['visualization']
    assert vis.shape == (SIZE[0], 4 * SIZE[1], 3)
    assert osp.isfile(out / 'visualizations' / 'instant.png')
    with open(out / 'predictions' / 'instant.json') as f:
        assert json.load(f) == pred


def test_triangulation_recovers_known_joints(inferencer, monkeypatch):
    """With 2D predictions that are exact (distorted) projections of known
    joints, the 3D output is those joints: the cameras reach the
    triangulation unchanged by the crops, and distortion is undone."""
    rng = np.random.default_rng(1)
    joints = rng.uniform(-400, 400, (17, 3)) + [0, 0, 900]
    cams = load_cameras(ring_cameras())
    expected_2d = project_points(
        torch.as_tensor(joints)[None].expand(4, -1, -1),
        stack_cameras(cams)).numpy()

    def exact_2d(data):
        samples = data['data_samples']
        for ds in samples:
            cam = {
                k: torch.as_tensor(v)
                for k, v in ds.metainfo['cameras'].items()
            }
            pix = project_points(
                torch.as_tensor(joints)[None].expand(4, -1, -1), cam)
            ds.set_field(pix.numpy(), 'pred_keypoints')
            ds.set_field(np.ones((4, 17)), 'pred_scores')
        return samples

    monkeypatch.setattr(inferencer.model, 'test_step', exact_2d)
    pred, = inferencer(
        dict(images=pictures()), cameras=ring_cameras())['predictions']
    np.testing.assert_allclose(
        np.stack([v['keypoints'] for v in pred['views']]),
        expected_2d,
        atol=1e-3)
    np.testing.assert_allclose(pred['keypoints_3d'], joints, atol=0.05)


def test_synchronised_videos_give_a_video_and_one_json(inferencer, tmp_path):
    views = []
    for v in range(4):
        path = str(tmp_path / f'cam{v}.mp4')
        with VideoWriter(path, fps=5) as w:
            for t in range(3):
                w.write(pictures(seed=10 * v + t)[0])
        views.append(path)
    out = tmp_path / 'out'
    result = inferencer(views, cameras=ring_cameras(), out_dir=str(out))
    assert len(result['predictions']) == 3
    frames = list(read_video_frames(str(out / 'visualizations' / 'cam0.mp4')))
    assert len(frames) == 3 and frames[0].shape == (SIZE[0], 4 * SIZE[1], 3)
    with open(out / 'predictions' / 'cam0.json') as f:
        saved = json.load(f)
    assert [s['frame_id'] for s in saved] == [0, 1, 2]
    assert np.asarray(saved[2]['keypoints_3d']).shape == (17, 3)


def test_bad_inputs_name_the_problem(inferencer, tmp_path):
    with pytest.raises(ValueError, match='4 views but 3 cameras'):
        inferencer(dict(images=pictures()), cameras=ring_cameras(3))
    with pytest.raises(ValueError, match='no cameras'):
        inferencer(dict(images=pictures()))
    bad = ring_cameras()
    del bad[2]['fx']
    with pytest.raises(
            ValueError, match=r"camera 2: missing camera field "
            r"'fx'"):
        inferencer(dict(images=pictures()), cameras=bad)
    with pytest.raises(FileNotFoundError, match='camera file not found'):
        inferencer(
            dict(images=pictures()), cameras=str(tmp_path / 'none.json'))
    with pytest.raises(TypeError, match='MultiViewTopdownPoseEstimator'):
        MultiViewPoseInferencer(
            osp.join(ROOT,
                     'configs/demo/ppt-s-tiny_1xb16-60e_synthcoco-128x96.py'),
            device='cpu')


def test_multiview_ppt_config():
    """Multi-view PPT (one group of all views, camera rays of 16-pixel
    tokens) through the same inferencer."""
    torch.manual_seed(0)
    inferencer = MultiViewPoseInferencer(
        osp.join(
            ROOT,
            'configs/demo/ppt-s-multiview-tiny_1xb8-10e_synthmv-64x64.py'),
        device='cpu',
        show_progress=False)
    assert inferencer.model.view_mode == 'all'
    pred, = inferencer(
        dict(images=pictures()), cameras=ring_cameras())['predictions']
    assert np.asarray(pred['keypoints_3d']).shape == (17, 3)
    assert np.isfinite(pred['keypoints_3d']).all()
