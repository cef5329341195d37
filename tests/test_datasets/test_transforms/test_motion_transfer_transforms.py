"""Paired pipeline steps of the motion-transfer dataset."""
import numpy as np
import pytest
import torch

from mmhuman_ext.datasets.transforms import (LoadHumanMask,
                                             PackMotionTransferInputs,
                                             PairedColorJitter, PairedResize,
                                             RandomSwapSourceDriving)


def _results(h=40, w=60, seed=0):
    rng = np.random.default_rng(seed)
    res = dict(video_id='b', source_video_id='a', src_idx=0, drv_idx=3,
               mode='animation', source=dict(name='a'),
               driving=dict(name='b'))
    for side in ('source', 'driving'):
        iuv = np.zeros((h, w, 3), np.float32)
        iuv[..., 0] = rng.integers(0, 25, (h, w))
        iuv[..., 1:] = rng.random((h, w, 2))
        res[f'{side}_img'] = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        res[f'{side}_iuv'] = iuv
        res[f'{side}_mask'] = (iuv[..., 0] > 0).astype(np.float32)
        kps = rng.random((18, 3)).astype(np.float32) * [w, h, 1]
        kps[4] = -1
        res[f'{side}_keypoints'] = kps
    return res


def test_paired_resize_nearest_iuv_and_keypoints():
    res = _results()
    before = {k: v.copy() for k, v in res.items()
              if isinstance(v, np.ndarray)}
    out = PairedResize((120, 80))(res)
    for side in ('source', 'driving'):
        assert out[f'{side}_img'].shape == (80, 120, 3)
        iuv = out[f'{side}_iuv']
        assert iuv.shape == (80, 120, 3)
        # nearest: every (I, U, V) triple existed before, no blended labels
        old = {tuple(p) for p in before[f'{side}_iuv'].reshape(-1, 3)}
        assert all(tuple(p) in old for p in iuv.reshape(-1, 3)[::97])
        np.testing.assert_array_equal(iuv[::2, ::2],
                                      before[f'{side}_iuv'])
        kps = out[f'{side}_keypoints']
        np.testing.assert_allclose(kps[:, :2][kps[:, 2] >= 0],
                                   before[f'{side}_keypoints'][:, :2][
                                       kps[:, 2] >= 0] * 2)
        assert (kps[4] == -1).all()


def test_color_jitter_same_change_on_both_frames():
    res = _results()
    res['driving_img'] = res['source_img'].copy()
    iuv = res['source_iuv'].copy()
    torch.manual_seed(1)
    out = PairedColorJitter(0.4, 0.4, 0.4, 0.1)(res)
    assert not np.array_equal(out['source_img'], _results()['source_img'])
    np.testing.assert_array_equal(out['source_img'], out['driving_img'])
    np.testing.assert_array_equal(out['source_iuv'], iuv)


def test_random_swap_exchanges_everything():
    res = _results()
    src_img, drv_iuv = res['source_img'], res['driving_iuv']
    out = RandomSwapSourceDriving(prob=1.0)(res)
    assert out['driving_img'] is src_img and out['source_iuv'] is drv_iuv
    assert (out['src_idx'], out['drv_idx']) == (3, 0)
    assert (out['source_video_id'], out['video_id']) == ('b', 'a')
    assert out['source'] == dict(name='b')
    kept = RandomSwapSourceDriving(prob=0.0)(_results())
    assert kept['src_idx'] == 0


def test_pack_shapes_and_meta():
    out = PackMotionTransferInputs()(_results())
    x, meta = out['inputs'], out['data_samples'].metainfo
    assert x['source_img'].shape == (3, 40, 60)
    assert x['source_img'].dtype == torch.uint8
    assert x['driving_iuv'].shape == (3, 40, 60)
    assert x['driving_mask'].shape == (1, 40, 60)
    assert meta['video_id'] == 'b' and meta['mode'] == 'animation'
    assert meta['driving_keypoints'].shape == (18, 3)


def test_mask_fallback_is_dilated_silhouette(tmp_path):
    res = _results()
    iuv = np.zeros((40, 60, 3), np.float32)
    iuv[20, 30, 0] = 5
    for side in ('source', 'driving'):
        res[f'{side}_iuv'] = iuv
        res[side] = dict(video_dir=str(tmp_path), stem='000000')
        del res[f'{side}_mask']
    with pytest.warns(UserWarning, match='dilated DensePose silhouette'):
        out = LoadHumanMask(dilate=2)(res)
    mask = out['driving_mask']
    assert mask.sum() == 25 and mask[18:23, 28:33].all()
    with pytest.raises(FileNotFoundError, match='mask file'):
        LoadHumanMask(fallback='error')(res)
