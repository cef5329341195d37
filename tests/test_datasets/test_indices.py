"""mmengine's standard ``indices=`` (first n samples, or these samples)
works on every dataset class of ours."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from mmhuman_ext.datasets.synthetic.motion3d import write_videopose3d_h36m
from mmhuman_ext.datasets.synthetic.videos import ensure_synthetic_videos
from mmhuman_ext.registry import DATASETS


def _check(cfg, key):
    """``indices=n - 1`` keeps all but the last sample, ``indices=[n - 1,
    0]`` those two, in that order; ``key`` names a sample."""
    full = DATASETS.build(dict(cfg))
    n = len(full)
    assert n >= 2
    names = [key(full.get_data_info(i)) for i in range(n)]
    first = DATASETS.build(dict(cfg, indices=n - 1))
    assert [key(first.get_data_info(i)) for i in range(len(first))] == \
        names[:-1]
    picked = DATASETS.build(dict(cfg, indices=[n - 1, 0]))
    assert [key(picked.get_data_info(i)) for i in range(len(picked))] == \
        [names[-1], names[0]]


def test_pose_window_datasets(tmp_path):
    write_videopose3d_h36m(str(tmp_path), subjects=['S1'],
                           actions=['Walking'], num_frames=12, seed=0)
    _check(dict(type='H36MVideoPose3DDataset', data_root=str(tmp_path),
                subjects=['S1'], seq_len=3),
           lambda d: (d['camera_id'], d['frame']))
    rng = np.random.default_rng(0)
    seq = {'data_2d': rng.uniform(0, 2048, (8, 17, 2)),
           'data_3d': rng.normal(0, 500, (8, 17, 3))}
    np.savez(tmp_path / 'data_train_3dhp.npz',
             data={'S1 Seq1': [{'0': seq}, 25.]})
    _check(dict(type='MPIInf3DHPSeqDataset', data_root=str(tmp_path),
                ann_file='data_train_3dhp.npz', seq_len=3),
           lambda d: (d['subject'], d['frame']))


def test_motion_transfer_and_head_datasets(puppet_small_data,
                                           cvthead_small_data):
    _check(dict(type='DensePoseVideoPairDataset', data_root=puppet_small_data,
                split='test', mode='reconstruction', pipeline=[]),
           lambda d: (d['video_id'], d['drv_idx']))
    _check(dict(type='VoxCelebReenactDataset', data_root=cvthead_small_data,
                mode='self_test', num_test_frames=2, pipeline=[]),
           lambda d: (d['video'], d['src_frame'], d['drv_video'],
                      d['drv_frame']))


def test_video_clip_datasets(tmp_path):
    root = ensure_synthetic_videos(str(tmp_path / 'videos'), num_train=3,
                                   num_val=1, num_frames=8,
                                   frame_size=(16, 24), seed=0)
    _check(dict(type='VideoFramesClipDataset', data_root=root,
                ann_file='train.json', clip_len=4, pipeline=[]),
           lambda d: d['video_id'])
    folder = tmp_path / 'bench' / 'bear'
    os.makedirs(folder)
    for i in range(6):
        cv2.imwrite(osp.join(folder, f'{i:05d}.jpg'),
                    np.zeros((16, 16, 3), np.uint8))
    ann = tmp_path / 'prompts.json'
    ann.write_text(json.dumps({'bear': ['a', 'b', 'c']}))
    _check(dict(type='VideoEditBenchmarkDataset', ann_file=str(ann),
                data_root=str(tmp_path / 'bench'), clip_len=4, pipeline=[]),
           lambda d: d['prompt'])


@pytest.mark.parametrize('flip_mode', ['none', 'double'])
def test_pose_window_indices_apply_before_flip_doubling(tmp_path, flip_mode):
    write_videopose3d_h36m(str(tmp_path), subjects=['S1'],
                           actions=['Walking'], num_frames=12, seed=0)
    ds = DATASETS.build(dict(type='H36MVideoPose3DDataset',
                             data_root=str(tmp_path), subjects=['S1'],
                             seq_len=3, flip_mode=flip_mode, indices=3))
    assert len(ds) == 3 * (2 if flip_mode == 'double' else 1)
