import json
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch

from mmhuman_ext.datasets import VideoFramesClipDataset, VideoTokenClipDataset
from mmhuman_ext.datasets.synthetic.videos import ensure_synthetic_videos
from mmhuman_ext.datasets.transforms import SampleClipIndices

FRAME_PIPELINE = [
    dict(type='SampleClipIndices'),
    dict(type='LoadVideoFrames', with_structure=True),
    dict(type='ResizeVideo', scale=(32, 48)),
    dict(type='PackMaskINTInputs')
]


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    return ensure_synthetic_videos(
        str(tmp_path_factory.mktemp('maskint') / 'videos'), num_train=2,
        num_val=1, num_frames=20, frame_size=(32, 48), mp4=True, seed=0)


def _frames_dataset(root, ann='train.json', **kwargs):
    cfg = dict(data_root=root, ann_file=ann, clip_len=8,
               frame_intervals=(1, 2, 4), pipeline=FRAME_PIPELINE)
    cfg.update(kwargs)
    return VideoFramesClipDataset(**cfg)


def test_frame_folders(videos):
    ds = _frames_dataset(videos)
    assert len(ds) == 2
    item = ds[0]
    frames = item['inputs']['frames']
    assert frames.shape == (8, 3, 32, 48) and frames.dtype == torch.uint8
    assert item['inputs']['structure_maps'].shape == (8, 1, 32, 48)
    inds = item['data_samples']['frame_inds']
    s = item['data_samples']['frame_interval']
    assert s in (1, 2) and torch.equal(torch.diff(inds),
                                       torch.full((7, ), s))
    first = cv2.imread(
        osp.join(videos, 'frames', 'train_0000',
                 f'{int(inds[0]):05d}.png'))[..., ::-1]
    assert np.array_equal(frames[0].permute(1, 2, 0).numpy(), first)


def test_mp4_matches_frames(videos, tmp_path):
    with open(osp.join(videos, 'val.json')) as f:
        entries = json.load(f)['videos']
    for e in entries:
        del e['frames']
    ann = tmp_path / 'val_mp4.json'
    ann.write_text(json.dumps(dict(videos=entries)))
    ds = _frames_dataset(videos, str(ann), test_mode=True,
                         frame_intervals=(2, ))
    ref = _frames_dataset(videos, 'val.json', test_mode=True,
                          frame_intervals=(2, ))
    a, b = ds[0]['inputs']['frames'], ref[0]['inputs']['frames']
    assert torch.equal(ds[0]['data_samples']['frame_inds'],
                       torch.arange(0, 16, 2))
    # lossy (crf 12) h264 of the same frames
    assert (a.float() - b.float()).abs().mean() < 6


def test_test_mode_clips_are_deterministic(videos):
    ds = _frames_dataset(videos, 'val.json', test_mode=True,
                         clips_per_video=3, frame_intervals=(1, ))
    starts = [int(ds[i]['data_samples']['frame_inds'][0]) for i in range(3)]
    assert starts == [0, 6, 12]  # 20 frames, clips of 8: free = 12
    assert torch.equal(ds[1]['inputs']['frames'], ds[1]['inputs']['frames'])


def test_interval_falls_back_to_what_fits():
    t = SampleClipIndices()
    for _ in range(20):
        out = t(dict(num_frames=10, clip_len=4, frame_intervals=(1, 2, 4)))
        assert out['frame_interval'] in (1, 2)
        assert out['frame_inds'][-1] <= 9


def test_short_video_is_one_clear_error(videos, tmp_path):
    entry = dict(video_id='tiny', num_frames=5, frames='frames/train_0000')
    ann = tmp_path / 'short.json'
    ann.write_text(json.dumps(dict(videos=[entry])))
    with pytest.raises(ValueError, match='tiny has 5 frames, shorter than '
                       'one clip of 8'):
        _frames_dataset(videos, str(ann))


def test_frame_size_not_divisible_by_8(videos):
    pipeline = [dict(type='SampleClipIndices'),
                dict(type='LoadVideoFrames'),
                dict(type='ResizeVideo', scale=(30, 48)),
                dict(type='PackMaskINTInputs')]
    ds = _frames_dataset(videos, pipeline=pipeline)
    with pytest.raises(ValueError, match=r'30x48, not divisible by 8'):
        ds[0]


def test_bad_annotation_files(videos, tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.json'):
        _frames_dataset(videos, str(tmp_path / 'missing.json'))
    ann = tmp_path / 'no_frames.json'
    ann.write_text(json.dumps(dict(videos=[dict(video_id='x',
                                                num_frames=20)])))
    with pytest.raises(ValueError, match='"frames"'):
        _frames_dataset(videos, str(ann))
    ann.write_text(json.dumps(dict(videos=[dict(video_id='x')])))
    with pytest.raises(ValueError, match='num_frames'):
        _frames_dataset(videos, str(ann))


def test_missing_frames_on_disk(videos, tmp_path):
    root = tmp_path / 'copy'
    shutil.copytree(videos, root)
    shutil.rmtree(root / 'frames' / 'train_0001')
    ds = _frames_dataset(str(root))
    with pytest.raises(FileNotFoundError, match='train_0001'):
        ds[1]


def test_token_cache_dataset(tmp_path):
    color = np.arange(10 * 2 * 3, dtype=np.uint16).reshape(10, 2, 3)
    np.savez(tmp_path / 'v.npz', color=color, structure=color + 1)
    (tmp_path / 'train.json').write_text(json.dumps(dict(videos=[dict(
        video_id='v', num_frames=10, token_path='v.npz')])))
    ds = VideoTokenClipDataset(
        data_root=str(tmp_path), ann_file='train.json', clip_len=4,
        frame_intervals=(3, ), pipeline=[
            dict(type='SampleClipIndices'), dict(type='LoadTokenClip'),
            dict(type='PackMaskINTInputs')])
    item = ds[0]
    inds = item['data_samples']['frame_inds']
    assert inds.tolist() == [0, 3, 6, 9]
    assert torch.equal(item['inputs']['color_tokens'],
                       torch.from_numpy(color[inds.numpy()].astype(np.int64)))
    assert torch.equal(item['inputs']['structure_tokens'],
                       item['inputs']['color_tokens'] + 1)
    np.savez(tmp_path / 'v.npz', color=color)
    with pytest.raises(KeyError, match='structure'):
        ds[0]


def test_reversed_training_clips():
    always, never = SampleClipIndices(reverse_prob=1.0), SampleClipIndices()
    for _ in range(10):
        clip = dict(num_frames=30, clip_len=5, frame_intervals=(1, 2, 4))
        back = always(dict(clip))['frame_inds']
        assert (np.diff(back) < 0).all() and len(back) == 5
        assert (np.diff(never(dict(clip))['frame_inds']) > 0).all()
    # test clips never play backwards
    test_clip = dict(num_frames=30, clip_len=5, frame_intervals=(2, ),
                     clip_index=1, num_clips=2)
    assert (np.diff(always(test_clip)['frame_inds']) > 0).all()
    with pytest.raises(ValueError, match='reverse_prob'):
        SampleClipIndices(reverse_prob=1.5)
