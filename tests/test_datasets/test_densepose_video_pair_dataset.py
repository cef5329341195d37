"""DensePoseVideoPairDataset: modes, frame formats, IUV channel orders and
one clear error per kind of bad input."""
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from mmhuman_ext.datasets import DensePoseVideoPairDataset
from mmhuman_ext.datasets.motion_transfer_inputs import read_iuv

PIPELINE = [
    dict(type='LoadFramePair'),
    dict(type='LoadDensePoseIUV'),
    dict(type='LoadHumanMask'),
    dict(type='PairedResize', size=(256, 256)),
    dict(type='PackMotionTransferInputs'),
]


def _dataset(root, **kwargs):
    kwargs.setdefault('pipeline', PIPELINE)
    return DensePoseVideoPairDataset(data_root=root, **kwargs)


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_train_pair_packs_the_contract(puppet_small_data):
    ds = _dataset(puppet_small_data, split='train', mode='train_pair')
    assert len(ds) == 3
    np.random.seed(0)
    out = ds[1]
    x, meta = out['inputs'], out['data_samples'].metainfo
    assert x['source_img'].shape == (3, 256, 256)
    assert x['source_img'].dtype == torch.uint8
    assert x['driving_iuv'].shape == (3, 256, 256)
    assert x['driving_iuv'].dtype == torch.float32
    assert x['driving_mask'].shape == (1, 256, 256)
    assert 0 <= x['driving_mask'].min() and x['driving_mask'].max() <= 1
    labels = x['driving_iuv'][0]
    assert torch.equal(labels, labels.round()) and labels.max() <= 24
    # nearest resize keeps only labels of the original map
    raw = read_iuv(osp.join(puppet_small_data, 'train', meta['video_id'],
                            'iuv', f'{meta["drv_idx"]:06d}.png'))
    assert set(labels.unique().tolist()) <= set(np.unique(raw[..., 0]))
    assert meta['video_id'] == meta['source_video_id'] == 'puppet001'
    assert meta['mode'] == 'train_pair'
    assert meta['driving_keypoints'].shape == (18, 3)
    # pairs are two distinct frames, drawn afresh on every fetch
    pairs = set()
    for _ in range(20):
        m = ds[0]['data_samples'].metainfo
        assert m['src_idx'] != m['drv_idx']
        pairs.add((m['src_idx'], m['drv_idx']))
    assert len(pairs) > 5


def test_keypoints_scaled_with_frames(puppet_small_data):
    ds = _dataset(puppet_small_data, split='test', mode='reconstruction')
    meta = ds[0]['data_samples'].metainfo
    from mmhuman_ext.datasets.motion_transfer_inputs import read_openpose_json
    raw = read_openpose_json(osp.join(
        puppet_small_data, 'test', meta['video_id'], 'kps',
        f'{meta["drv_idx"]:06d}.json'))
    kps = meta['driving_keypoints'].numpy()
    found = raw[:, 2] >= 0
    np.testing.assert_allclose(kps[found, :2], raw[found, :2] * 4, rtol=1e-6)
    assert (kps[~found] == -1).all()


def test_reconstruction_mode(puppet_small_data):
    ds = _dataset(puppet_small_data, split='test', mode='reconstruction')
    items = [ds.get_data_info(i) for i in range(len(ds))]
    assert len(items) == 2 * 5
    for name in ('puppet000', 'puppet001'):
        mine = [it for it in items if it['video_id'] == name]
        assert all(it['src_idx'] == 0 and it['source_video_id'] == name
                   for it in mine)
        assert [it['drv_idx'] for it in mine] == [1, 2, 3, 4, 5]
    capped = _dataset(puppet_small_data, split='test', mode='reconstruction',
                      max_test_frames=2)
    assert [capped.get_data_info(i)['drv_idx'] for i in range(2)] == [1, 5]


def test_animation_mode_reads_pairs(puppet_small_data):
    ds = _dataset(puppet_small_data, split='train', mode='animation')
    import csv
    with open(osp.join(puppet_small_data, 'animation_pairs_train.csv')) as f:
        pairs = [(r['source'], r['driving']) for r in csv.DictReader(f)]
    assert len(ds) == len(pairs) * 6
    items = [ds.get_data_info(i) for i in range(len(ds))]
    seen = []
    for it in items:
        assert it['src_idx'] == 0
        if (it['source_video_id'], it['video_id']) not in seen:
            seen.append((it['source_video_id'], it['video_id']))
    assert seen == pairs
    first = [it['drv_idx'] for it in items[:6]]
    assert first == list(range(6))
    again = _dataset(puppet_small_data, split='train', mode='animation')
    assert [again.get_data_info(i) for i in range(len(again))][5][
        'drv_idx'] == items[5]['drv_idx']
    out = ds[0]
    assert out['data_samples'].metainfo['source_video_id'] == pairs[0][0]


def _write_mp4(path, frames_bgr):
    import av
    with av.open(path, 'w') as container:
        stream = container.add_stream('libx264', rate=10)
        stream.width, stream.height = 64, 64
        stream.pix_fmt = 'yuv420p'
        for f in frames_bgr:
            container.mux(stream.encode(
                av.VideoFrame.from_ndarray(f, format='bgr24')))
        container.mux(stream.encode())


def test_mp4_and_stacked_frames_load_like_pngs(puppet_small_data, tmp_path):
    root = _copy(puppet_small_data, str(tmp_path / 'copy'))
    vdir = osp.join(root, 'test', 'puppet000')
    frames = [cv2.imread(osp.join(vdir, 'frames', f'{t:06d}.png'))
              for t in range(6)]
    # mp4 beside the annotations (lossy: compare loosely)
    _write_mp4(osp.join(vdir, 'puppet000.mp4'), frames)
    shutil.rmtree(osp.join(vdir, 'frames'))
    ds = _dataset(root, split='test', mode='reconstruction',
                  pipeline=[dict(type='LoadFramePair')])
    res = ds[2]  # puppet000, driving frame 3
    assert res['drv_idx'] == 3
    ref = frames[3][..., ::-1].astype(float)
    assert np.abs(res['driving_img'].astype(float) - ref).mean() < 8
    # FOMM stacked PNG in the split folder
    vdir1 = osp.join(root, 'test', 'puppet001')
    frames1 = [cv2.imread(osp.join(vdir1, 'frames', f'{t:06d}.png'))
               for t in range(6)]
    cv2.imwrite(osp.join(root, 'test', 'puppet001.png'),
                np.concatenate(frames1, 1))
    shutil.rmtree(osp.join(vdir1, 'frames'))
    ds = _dataset(root, split='test', mode='reconstruction',
                  pipeline=[dict(type='LoadFramePair')])
    res = ds[5 + 3]
    assert res['video_id'] == 'puppet001' and res['drv_idx'] == 4
    np.testing.assert_array_equal(res['driving_img'], frames1[4][..., ::-1])
    np.testing.assert_array_equal(res['source_img'], frames1[0][..., ::-1])


def test_iuv_channel_orders_and_npz(puppet_small_data, tmp_path):
    path = osp.join(puppet_small_data, 'train', 'puppet000', 'iuv',
                    '000002.png')
    cv2_order = read_iuv(path, 'IUV_cv2')
    # the same file read as RGB gives the channels reversed (the pitfall)
    as_rgb = np.asarray(Image.open(path).convert('RGB'))
    np.testing.assert_array_equal(as_rgb[..., 2], cv2_order[..., 0])
    # a file written with RGB semantics (PIL) reads back the same
    arr = np.stack([cv2_order[..., 0], np.round(cv2_order[..., 1] * 255),
                    np.round(cv2_order[..., 2] * 255)], -1).astype(np.uint8)
    Image.fromarray(arr, 'RGB').save(tmp_path / 'rgb.png')
    np.testing.assert_allclose(read_iuv(str(tmp_path / 'rgb.png'),
                                        'IUV_rgb'), cv2_order, atol=1e-6)
    # reading a cv2 file with the wrong order trips the label check
    with pytest.raises(ValueError, match='channel_order'):
        read_iuv(path, 'IUV_rgb')
    # npz with float U, V and with integer U, V
    np.savez(tmp_path / 'f.npz', I=cv2_order[..., 0].astype(np.uint8),
             U=cv2_order[..., 1], V=cv2_order[..., 2])
    np.testing.assert_allclose(read_iuv(str(tmp_path / 'f.npz')), cv2_order,
                               atol=1e-6)
    np.savez(tmp_path / 'i.npz', I=arr[..., 0], U=arr[..., 1], V=arr[..., 2])
    np.testing.assert_allclose(read_iuv(str(tmp_path / 'i.npz')), cv2_order,
                               atol=1e-6)
    # the dataset reads an IUV_rgb tree
    root = _copy(puppet_small_data, str(tmp_path / 'rgbtree'))
    for dirpath, _, files in os.walk(root):
        if osp.basename(dirpath) == 'iuv':
            for f in files:
                a = cv2.imread(osp.join(dirpath, f))
                Image.fromarray(a).save(osp.join(dirpath, f))  # R,G,B=I,U,V
    ds = _dataset(root, split='train', mode='reconstruction',
                  iuv_channel_order='IUV_rgb')
    ref = _dataset(puppet_small_data, split='train', mode='reconstruction')
    assert torch.equal(ds[3]['inputs']['driving_iuv'],
                       ref[3]['inputs']['driving_iuv'])


def test_bad_inputs_one_clear_error_each(puppet_small_data, tmp_path):
    root = _copy(puppet_small_data, str(tmp_path / 'bad'))
    vdir = osp.join(root, 'test', 'puppet001')
    # IUV of the wrong size
    good = cv2.imread(osp.join(vdir, 'iuv', '000002.png'))
    cv2.imwrite(osp.join(vdir, 'iuv', '000002.png'), good[:32, :40])
    ds = _dataset(root, split='test', mode='reconstruction')
    with pytest.raises(ValueError, match=r'000002.png.*40x32.*64x64'):
        ds[5 + 1]
    # part labels > 24
    bad = good.copy()
    bad[0, 0, 0] = 30
    cv2.imwrite(osp.join(vdir, 'iuv', '000002.png'), bad)
    with pytest.raises(ValueError, match=r'000002.png.*field I.*30'):
        ds[5 + 1]
    cv2.imwrite(osp.join(vdir, 'iuv', '000002.png'), good)
    # a frame without its DensePose file
    os.remove(osp.join(vdir, 'iuv', '000004.png'))
    with pytest.raises(FileNotFoundError,
                       match=r"'puppet001'.*frame 4.*000004.png"):
        _dataset(root, split='test', mode='reconstruction')
    cv2.imwrite(osp.join(vdir, 'iuv', '000004.png'), good)
    # a pairs CSV naming a missing video
    csv_path = osp.join(root, 'pairs.csv')
    with open(csv_path, 'w') as f:
        f.write('source,driving\npuppet000,puppet001\npuppet000,nobody\n')
    with pytest.raises(ValueError,
                       match=r"pairs.csv line 3: driving video 'nobody'"):
        _dataset(root, split='test', mode='animation', pairs_csv=csv_path)
    # FOMM-style names with extensions are accepted
    with open(csv_path, 'w') as f:
        f.write('distance,source,driving\n0.1,puppet000.mp4,puppet001.mp4\n')
    ds = _dataset(root, split='test', mode='animation', pairs_csv=csv_path)
    assert len(ds) == 6
    with pytest.raises(ValueError, match='mode must be one of'):
        _dataset(root, mode='pairs')


def test_id_sampling_groups_videos_by_identity(puppet_small_data, tmp_path):
    root = str(tmp_path / 'ids')
    os.makedirs(osp.join(root, 'train'))
    for src, dst in (('puppet000', 'anna#1'), ('puppet001', 'anna#2'),
                     ('puppet002', 'ben#1')):
        shutil.copytree(osp.join(puppet_small_data, 'train', src),
                        osp.join(root, 'train', dst))
    ds = _dataset(root, split='train', mode='train_pair', id_sampling=True)
    assert len(ds) == 2
    np.random.seed(0)
    seen = {ds.get_data_info(0)['video_id'] for _ in range(20)}
    assert seen == {'anna#1', 'anna#2'}
    assert len(_dataset(root, split='train', mode='train_pair')) == 3
