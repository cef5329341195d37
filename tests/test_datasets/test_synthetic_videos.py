import filecmp
import json
import os
import os.path as osp

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from mmhuman_ext.datasets.synthetic.videos import (_render, _sample_video,
                                                   write_synthetic_videos)


def test_written_layout_and_determinism(tmp_path):
    a, b = tmp_path / 'a', tmp_path / 'b'
    for root in (a, b):
        os.makedirs(root)
        write_synthetic_videos(str(root), dict(train=2, val=1),
                               num_frames=6, frame_size=(32, 48), seed=3)
    with open(a / 'train.json') as f:
        entries = json.load(f)['videos']
    assert [e['video_id'] for e in entries] == ['train_0000', 'train_0001']
    e = entries[0]
    assert e['num_frames'] == 6 and e['frames'] == 'frames/train_0000'
    assert len(os.listdir(a / e['frames'])) == 6
    edge = cv2.imread(str(a / e['structure'] / '00000.png'),
                      cv2.IMREAD_GRAYSCALE)
    assert edge.shape == (32, 48) and set(np.unique(edge)) <= {0, 255}
    with np.load(a / e['flow'], allow_pickle=False) as data:
        assert data['flow'].shape == (5, 2, 32, 48)
    with open(a / 'prompts.json') as f:
        prompts = json.load(f)
    assert set(prompts) == {'train_0000', 'train_0001', 'val_0000'}
    assert all(len(p) == 5 for p in prompts.values())
    cmp = filecmp.dircmp(a / 'frames' / 'val_0000', b / 'frames' / 'val_0000')
    assert not cmp.diff_files and len(cmp.same_files) == 6


def test_flow_warps_the_next_frame_onto_this_one():
    """Sampling frame t+1 at p + flow(p) reproduces frame t away from
    occlusion boundaries, much better than no motion does."""
    video = _sample_video(np.random.default_rng([0, 0, 4]), 6, (64, 96))
    f0, flow = _render(video, 2)
    f1, _ = _render(video, 3)
    assert np.abs(flow).max() > 0.4  # the camera pans
    img1 = torch.from_numpy(f1).permute(2, 0, 1)[None].float()
    H, W = f0.shape[:2]
    yy, xx = torch.meshgrid(torch.arange(H), torch.arange(W), indexing='ij')
    fl = torch.from_numpy(flow).float()
    grid = torch.stack([(xx + fl[0]) / (W - 1) * 2 - 1,
                        (yy + fl[1]) / (H - 1) * 2 - 1], -1)[None]
    warped = F.grid_sample(img1, grid, align_corners=True)[0].permute(1, 2, 0)
    ref = torch.from_numpy(f0).float()
    err = (warped - ref).abs().mean(-1)
    inner = torch.zeros(H, W, dtype=torch.bool)
    inner[4:-4, 4:-4] = True
    static_err = (img1[0].permute(1, 2, 0) - ref).abs().mean(-1)
    assert err[inner].median() < 2
    assert err[inner].mean() < 0.5 * static_err[inner].mean()


def test_objects_bounce_inside_the_frame():
    video = _sample_video(np.random.default_rng([1, 0, 0]), 200, (64, 96))
    for obj in video['objects']:
        c = obj['centres']
        assert (c[:, 0] >= obj['size'] - 1e-9).all()
        assert (c[:, 0] <= 96 - obj['size'] + 1e-9).all()
        assert (c[:, 1] <= 64 - obj['size'] + 1e-9).all()


def test_ensure_reuses_the_folder(tmp_path):
    from mmhuman_ext.datasets.synthetic.videos import ensure_synthetic_videos
    root = ensure_synthetic_videos(str(tmp_path / 'v'), num_train=1,
                                   num_val=1, num_frames=4,
                                   frame_size=(16, 24))
    stamp = osp.getmtime(osp.join(root, 'train.json'))
    assert ensure_synthetic_videos(str(tmp_path / 'v'), num_train=1,
                                   num_val=1, num_frames=4,
                                   frame_size=(16, 24)) == root
    assert osp.getmtime(osp.join(root, 'train.json')) == stamp
