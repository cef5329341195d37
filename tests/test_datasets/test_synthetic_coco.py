"""Built-in COCO-style pose data: generator, cache, dataset and demo config."""
import filecmp
import json
import os
import os.path as osp
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from xtcocotools.coco import COCO

from mmhuman_ext.datasets.synthetic import cache, coco_figures
from mmhuman_ext.datasets.synthetic.coco_figures import (OCCLUDER_ID,
                                                         ensure_coco_figures,
                                                         render_image)
from mmhuman_ext.registry import DATASETS, MODELS

DEMO_CONFIG = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', 'demo',
    'topdown-heatmap-small_1xb16-16e_synthcoco-128x96.py')
TINY = dict(num_train=4, num_val=3, img_size=(160, 120), seed=0)


@pytest.fixture(scope='module')
def tiny_root(tmp_path_factory):
    return ensure_coco_figures(
        str(tmp_path_factory.mktemp('coco') / 'figures'), **TINY)


def _files(root):
    out = []
    for folder, _, names in os.walk(root):
        out += [osp.relpath(osp.join(folder, n), root) for n in names]
    return sorted(out)


def test_same_seed_same_bytes_other_seed_differs(tmp_path, tiny_root):
    again = ensure_coco_figures(str(tmp_path / 'again'), **TINY)
    names = _files(tiny_root)
    assert names == _files(again)
    assert len([n for n in names if n.endswith('.jpg')]) == 7
    _, mismatch, errors = filecmp.cmpfiles(
        tiny_root, again, names, shallow=False)
    assert mismatch == [] and errors == []

    other = ensure_coco_figures(
        str(tmp_path / 'other'), **dict(TINY, seed=1))
    ann = 'annotations/person_keypoints_train.json'
    assert not filecmp.cmp(
        osp.join(tiny_root, ann), osp.join(other, ann), shallow=False)
    assert not filecmp.cmp(
        osp.join(tiny_root, 'train/000000000001.jpg'),
        osp.join(other, 'train/000000000001.jpg'),
        shallow=False)


def test_files_are_valid_coco_keypoints(tiny_root):
    for split, num in (('train', 4), ('val', 3)):
        coco = COCO(
            osp.join(tiny_root, f'annotations/person_keypoints_{split}.json'))
        assert len(coco.getImgIds()) == num
        cat = coco.loadCats(1)[0]
        assert cat['name'] == 'person' and len(cat['keypoints']) == 17
        assert [6, 12] in cat['skeleton'] and len(cat['skeleton']) == 19
        anns = coco.loadAnns(coco.getAnnIds())
        assert anns and len({a['id'] for a in anns}) == len(anns)
        for img in coco.loadImgs(coco.getImgIds()):
            pixels = cv2.imread(osp.join(tiny_root, split, img['file_name']))
            assert pixels.shape == (img['height'], img['width'], 3)
        for ann in anns:
            assert ann['category_id'] == 1 and ann['iscrowd'] == 0
            kpts = np.array(ann['keypoints']).reshape(17, 3)
            assert set(kpts[:, 2]) <= {0, 1, 2}
            assert ann['num_keypoints'] == (kpts[:, 2] > 0).sum()
            assert (kpts[kpts[:, 2] == 0] == 0).all()
            x, y, w, h = ann['bbox']
            assert 0 < ann['area'] <= w * h
            shown = kpts[kpts[:, 2] == 2, :2]
            assert (shown >= [x - 0.5, y - 0.5]).all()
            assert (shown <= [x + w - 0.5, y + h - 0.5]).all()

    dets = json.load(
        open(
            osp.join(tiny_root,
                     'person_detection_results/COCO_val_detections.json')))
    val_ids = set(coco.getImgIds())
    assert dets and all(d['image_id'] in val_ids for d in dets)
    assert all(d['category_id'] == 1 and 0 < d['score'] <= 1 for d in dets)
    assert all(len(d['bbox']) == 4 and min(d['bbox'][2:]) > 0 for d in dets)


def test_visibility_flags_follow_what_each_pixel_shows():
    flags = np.zeros(3)
    under_occluder = 0
    for i in range(40):
        img_w, img_h = 128, 96
        image, id_map, people = render_image(
            np.random.default_rng([7, i]), img_w, img_h)
        assert image.shape == (img_h, img_w, 3) and image.dtype == np.uint8
        for person_id, person in enumerate(people, 1):
            kpts = person['keypoints']
            flags += np.bincount(kpts[:, 2].astype(int), minlength=3)
            px = np.floor(kpts[:, :2] + 0.5).astype(int)
            for (x, y), v in zip(px, kpts[:, 2]):
                if v == 0:
                    assert x == y == 0
                    continue
                assert 0 <= x < img_w and 0 <= y < img_h
                assert (id_map[y, x] == person_id) == (v == 2)
                under_occluder += v == 1 and id_map[y, x] == OCCLUDER_ID
    # every case occurs: visible, occluded (also by objects), outside
    assert (flags > 0).all() and under_occluder > 0


def test_visibility_rule():
    id_map = np.zeros((10, 20), np.uint8)
    id_map[:, :10] = 3
    id_map[4:6, 4:6] = OCCLUDER_ID
    kpts = np.array([[2., 2.], [4.6, 4.4], [12., 3.], [25., 3.], [3., -1.]])
    vis = coco_figures._keypoint_visibility(kpts, id_map, person_id=3)
    assert vis.tolist() == [2, 1, 1, 0, 0]


def test_cache_is_reused(tmp_path, monkeypatch):
    monkeypatch.setenv('MMHUMAN_EXT_DATA', str(tmp_path))
    root = ensure_coco_figures(**TINY)
    assert root.startswith(
        str(tmp_path / 'synthetic' / f'coco_figures-{coco_figures.VERSION}-'))
    files = [osp.join(root, f) for f in _files(root)]
    mtimes = [os.stat(f).st_mtime_ns for f in files]

    def fail(*args):
        raise AssertionError('the cached data were written again')

    monkeypatch.setattr(coco_figures, 'write_coco_figures', fail)
    assert ensure_coco_figures(**TINY) == root
    assert [os.stat(f).st_mtime_ns for f in files] == mtimes
    with pytest.raises(ValueError, match='generated with'):
        ensure_coco_figures(root, **dict(TINY, num_val=2))


def _ensure_in_subprocess(root):
    return ensure_coco_figures(root, **TINY)


def test_concurrent_callers_share_one_copy(tmp_path):
    root = str(tmp_path / 'shared')
    with ProcessPoolExecutor(2, mp_context=get_context('fork')) as pool:
        paths = list(pool.map(_ensure_in_subprocess, [root, root]))
    assert paths == [root, root]
    assert os.listdir(tmp_path) == ['shared']  # no temporary folder left
    assert osp.isfile(osp.join(root, cache.MARKER))


def test_refuses_a_foreign_folder(tmp_path):
    (tmp_path / 'notes.txt').write_text('mine')
    with pytest.raises(FileExistsError, match='not a complete'):
        ensure_coco_figures(str(tmp_path), **TINY)


def _dataset_cfg(cfg, loader, tmp_path):
    ds = cfg[loader].dataset
    ds.data_root = str(tmp_path)
    ds.generator_cfg = TINY
    return ds


def test_dataset_builds_with_demo_pipeline(tmp_path):
    cfg = Config.fromfile(DEMO_CONFIG)
    train_set = DATASETS.build(
        _dataset_cfg(cfg, 'train_dataloader', tmp_path / 'data'))
    assert len(train_set) > 0
    sample = train_set[0]
    assert sample['inputs'].shape == (3, 128, 96)
    assert sample['inputs'].dtype == torch.uint8
    gt = sample['data_samples']
    assert gt.gt_fields.heatmaps.shape == (17, 32, 24)
    assert gt.gt_instance_labels.keypoint_weights.shape == (1, 17)
    assert gt.metainfo['dataset_name'] == 'coco'

    val_set = DATASETS.build(
        _dataset_cfg(cfg, 'val_dataloader', tmp_path / 'data'))
    dets = json.load(
        open(
            osp.join(tmp_path, 'data',
                     'person_detection_results/COCO_val_detections.json')))
    assert len(val_set) == len(dets)
    sample = val_set[0]
    assert sample['inputs'].shape == (3, 128, 96)
    assert 'flip_indices' in sample['data_samples'].metainfo


def test_demo_model_builds_and_runs():
    cfg = Config.fromfile(DEMO_CONFIG)
    assert cfg.default_scope == 'mmhuman_ext'
    model = MODELS.build(cfg.model)
    model.eval()
    with torch.no_grad():
        heatmaps = model(torch.rand(2, 3, 128, 96), None, mode='tensor')
    assert heatmaps.shape == (2, 17, 32, 24)
