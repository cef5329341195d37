import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest

from mmhuman_ext.registry import DATASETS

PIPE = [dict(type='LoadReenactPair', img_size=32),
        dict(type='PackReenactInputs')]


def build(root, mode, **kw):
    return DATASETS.build(dict(type='VoxCelebReenactDataset', data_root=root,
                               mode=mode, pipeline=PIPE, **kw))


def test_on_disk_layout(cvthead_small_data):
    root = cvthead_small_data
    train = json.load(open(osp.join(root, 'train_imgs.json')))
    test = json.load(open(osp.join(root, 'test_imgs.json')))
    subj = {n.split('#')[0] for n in train} & {n.split('#')[0] for n in test}
    assert not subj  # identity-disjoint split
    name = sorted(train)[0]
    assert train[name] == [0, 1, 3]  # frame 2 plays a failed detection
    z = np.load(osp.join(root, 'deca', f'{name}.npz'))
    assert z['shape'].shape == (4, 100) and z['exp'].shape == (4, 50)
    assert z['pose'].shape == (4, 6) and z['tform'].shape == (4, 3, 3)


def test_train_pairs_sorted_and_distinct(cvthead_small_data):
    ds = build(cvthead_small_data, 'train')
    assert len(ds) == 2
    np.random.seed(0)
    seen = set()
    for _ in range(12):
        item = ds[0]
        meta, inputs = item['data_samples'], item['inputs']
        assert meta['src_frame'] < meta['drv_frame']
        assert meta['src_frame'] in (0, 1, 3) and meta['drv_frame'] != 2
        seen.add((meta['src_frame'], meta['drv_frame']))
    assert len(seen) > 1
    assert inputs['src_img'].shape == (3, 32, 32)
    assert inputs['src_img'].min() >= -1 and inputs['src_img'].max() <= 1
    assert set(inputs['src_mask'].unique().tolist()) <= {0., 1.}
    assert inputs['drv_codes']['tform'].shape == (3, 3)


def test_self_and_cross_protocols(cvthead_small_data):
    ds = build(cvthead_small_data, 'self_test', num_test_frames=3)
    # per test video: step = 3 // 3 = 1, frames [0, 1, 3]: 2 drivers each
    assert len(ds) == 4
    info = [ds.get_data_info(i) for i in range(4)]
    assert [(i['src_frame'], i['drv_frame']) for i in info[:2]] == [(0, 1),
                                                                    (0, 3)]
    cross = build(cvthead_small_data, 'cross_test', cross_seed=0)
    assert len(cross) == 2
    for i in range(2):
        item = cross[i]
        meta = item['data_samples']
        assert meta['video'].split('#')[0] != meta['drv_video'].split('#')[0]
        assert (item['inputs']['drv_codes']['tform'] ==
                item['inputs']['src_codes']['tform']).all()
    again = build(cvthead_small_data, 'cross_test', cross_seed=0)
    assert [again.get_data_info(i)['drv_frame'] for i in range(2)] == \
        [cross.get_data_info(i)['drv_frame'] for i in range(2)]


def test_tform_from_landmarks_when_codes_lack_it(cvthead_small_data,
                                                 tmp_path):
    root = tmp_path / 'vox'
    shutil.copytree(cvthead_small_data, root)
    name = sorted(json.load(open(root / 'test_imgs.json')))[0]
    path = root / 'deca' / f'{name}.npz'
    z = dict(np.load(path))
    tform = z.pop('tform')
    np.savez(path, **z)
    ds = build(str(root), 'self_test', num_test_frames=3)
    item = ds[0]
    np.testing.assert_allclose(item['inputs']['src_codes']['tform'].numpy(),
                               tform[0], rtol=1e-5, atol=1e-4)


def test_missing_codes_are_clear(cvthead_small_data, tmp_path):
    root = tmp_path / 'vox'
    shutil.copytree(cvthead_small_data, root)
    name = sorted(json.load(open(root / 'test_imgs.json')))[0]
    path = root / 'deca' / f'{name}.npz'
    z = dict(np.load(path))
    keep = z['frame_ids'] != 0
    np.savez(path, **{k: v[keep] for k, v in z.items()})
    ds = build(str(root), 'self_test', num_test_frames=3)
    with pytest.raises(KeyError, match='no codes for frame 0.*no usable'):
        ds[0]
    z['exp'][:] = np.nan
    np.savez(path, **z)
    with pytest.raises(ValueError, match="non-finite 'exp'"):
        ds[0]
    os.remove(root / 'test_imgs.json')
    with pytest.raises(FileNotFoundError, match='test_imgs.json'):
        build(str(root), 'self_test')
