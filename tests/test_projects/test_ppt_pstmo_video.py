"""projects/ppt_pstmo_video: PPT 2D over video frames -> P-STMO 3D."""
import importlib.util
import os.path as osp

import numpy as np
import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PPT = osp.join(ROOT, 'configs/demo/ppt-s-tiny_1xb16-60e_synthcoco-128x96.py')
PSTMO = osp.join(ROOT,
                 'configs/demo/pstmo-s-d64_1xb64-4e_synthh36m-det-27f.py')


def _load():
    path = osp.join(ROOT, 'projects/ppt_pstmo_video/ppt_pstmo_video.py')
    spec = importlib.util.spec_from_file_location('ppt_pstmo_video', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


video_lib = _load()


def test_coco_to_h36m_joint_mapping():
    coco = np.random.default_rng(0).uniform(0, 100, (3, 17, 2))
    h36m = video_lib.coco_to_h36m(coco)
    pelvis = (coco[:, 11] + coco[:, 12]) / 2
    thorax = (coco[:, 5] + coco[:, 6]) / 2
    np.testing.assert_allclose(h36m[:, 0], pelvis)
    np.testing.assert_allclose(h36m[:, 8], thorax)
    np.testing.assert_allclose(h36m[:, 7], (pelvis + thorax) / 2)
    np.testing.assert_allclose(h36m[:, 9], coco[:, 0])  # neck/nose
    np.testing.assert_allclose(h36m[:, 10], (coco[:, 1] + coco[:, 2]) / 2)
    # H36M right leg 1-3, left leg 4-6, left arm 11-13, right arm 14-16
    for h, c in zip([1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16],
                    [12, 14, 16, 11, 13, 15, 5, 7, 9, 6, 8, 10]):
        np.testing.assert_array_equal(h36m[:, h], coco[:, c])


def test_screen_normalisation_round_trip():
    w, h = 640, 480
    pts = np.array([[0., 0.], [w, h], [w / 2, h / 2], [w, 0.]])
    norm = video_lib.normalize_screen(pts, w, h)
    np.testing.assert_allclose(norm,
                               [[-1, -h / w], [1, h / w], [0, 0], [1, -h / w]])
    rand = np.random.default_rng(1).uniform(0, 500, (4, 17, 2))
    np.testing.assert_allclose(
        video_lib.denormalize_screen(
            video_lib.normalize_screen(rand, w, h), w, h), rand)


def test_windows_repeat_edge_frames():
    kpts = np.arange(5, dtype=float)[:, None, None] * np.ones((5, 2, 2))
    win = video_lib.pose_windows(kpts, seq_len=5, step=2)
    assert win.shape == (5, 5, 2, 2)
    # frame t takes clip(t + 2 k, 0, 4), k = -2..2 (P-STMO's padding)
    expected = [np.clip(t + 2 * np.arange(-2, 3), 0, 4) for t in range(5)]
    np.testing.assert_array_equal(win[:, :, 0, 0], expected)


def test_pipeline_end_to_end_with_random_weights(tmp_path):
    from mmhuman_ext.apis import init_pose_model
    torch.manual_seed(0)
    pose_model = init_pose_model(PPT)
    lifter = init_pose_model(PSTMO)
    T = 5
    video = video_lib.synthetic_video(num_frames=T, image_scale=0.2)
    frames = video['frames']
    h, w = frames.shape[1:3]
    assert frames.shape == (T, h, w, 3) and frames.dtype == np.uint8
    assert video['keypoints_3d'].shape == (T, 17, 3)
    result = video_lib.run_pipeline(pose_model, lifter, frames,
                                    video['bboxes'])
    coco, h36m, win = result['coco'], result['h36m'], result['windows']
    assert coco.shape == (T, 17, 2) and result['scores'].shape == (T, 17)
    np.testing.assert_allclose(
        h36m[:, 0], (coco[:, 11] + coco[:, 12]) / 2, rtol=1e-6)
    N = 27  # the demo lifter: 27 frames, every 3rd
    assert win.shape == (T, N, 17, 2)
    norm = video_lib.normalize_screen(h36m, w, h)
    np.testing.assert_allclose(win[:, N // 2], norm, rtol=1e-6)
    np.testing.assert_allclose(win[2, :N // 2], norm[[0] * 13])
    np.testing.assert_allclose(win[2, N // 2 + 1], norm[4])
    # (random weights may decode keypoints far outside the image)
    np.testing.assert_allclose(
        video_lib.denormalize_screen(win[:, N // 2], w, h), h36m, rtol=1e-4)
    poses = result['poses_3d']
    assert poses.shape == (T, 17, 3) and np.isfinite(poses).all()
    np.testing.assert_array_equal(poses[:, 0], 0)
    # each frame's pose comes from its own window alone
    np.testing.assert_allclose(
        video_lib.lift(lifter, win[3:4])[0], poses[3], atol=1e-5)
    assert np.abs(poses[1] - poses[3]).max() > 0
    out = tmp_path / 'picture.png'
    video_lib.draw_results(
        str(out), frames, result, [0, 4], video['bboxes'],
        video['keypoints_3d'])
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_missing_checkpoint_names_file_and_training_command(tmp_path):
    missing = str(tmp_path / 'ppt.pth')
    with pytest.raises(SystemExit) as err:
        video_lib.main([
            '--pose-config', PPT, '--pose-checkpoint', missing,
            '--lift-config', PSTMO, '--lift-checkpoint', missing
        ])
    message = str(err.value)
    assert message.count(f'missing file: {missing}') == 2
    assert 'tools/train.py configs/demo/ppt-s-tiny_1xb16-60e' in message
    assert 'tools/train.py configs/demo/pstmo-s-mpm-d64' in message


def test_synthetic_video_styles_film_the_same_motion():
    coco = video_lib.synthetic_video(num_frames=3, image_scale=0.1)
    caps = video_lib.synthetic_video(
        num_frames=3, image_scale=0.1, style='capsules')
    assert coco['frames'].shape == caps['frames'].shape == (3, 100, 100, 3)
    np.testing.assert_allclose(coco['keypoints_2d'], caps['keypoints_2d'])
    np.testing.assert_allclose(coco['keypoints_3d'], caps['keypoints_3d'])
    # the person (pelvis in the middle of the box) is in front of the camera
    assert (coco['keypoints_3d'][..., 2] > 3).all()
    centre = coco['bboxes'].reshape(3, 2, 2).mean(1)
    np.testing.assert_allclose(
        centre,
        coco['keypoints_2d'].min(1) / 2 + coco['keypoints_2d'].max(1) / 2)
