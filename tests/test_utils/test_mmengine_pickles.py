"""Every pickle read through mmengine's ``load`` (mmpose's detection
``bbox_file``, annotation pickles, ``tools/test.py --dump`` results) goes
through the restricted unpickler once our components are registered: the
formats users pass load as before, a file whose unpickling would run a
command is refused and the command never runs."""
import io
import json
import os
import pickle
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.evaluator import DumpResults
from mmengine.fileio import PickleHandler, dump, load
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from mmhuman_ext.datasets.annotation_errors import AnnotationError
from mmhuman_ext.datasets.synthetic.coco_figures import ensure_coco_figures
from mmhuman_ext.registry import DATASETS
from mmhuman_ext.utils.safe_pickle import (CorruptPickleError,
                                           UnsafePickleError)

ANN = 'annotations/person_keypoints_val.json'


class _CreatesMarker:
    """Unpickling this runs ``touch <marker>``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def _crafted(tmp_path, payload_wraps_real=None):
    """A pickle that runs ``touch marker`` and then yields
    ``payload_wraps_real`` (a real detection list), as the probe's did; the
    plain unpickler is shown to run it."""
    marker = tmp_path / 'marker'
    payload = [_CreatesMarker(marker), payload_wraps_real]
    PickleHandler().load_from_fileobj(io.BytesIO(pickle.dumps(payload)))
    assert marker.exists(), 'the crafted payload must be live'
    marker.unlink()
    path = tmp_path / 'dets.pkl'
    path.write_bytes(pickle.dumps(payload))
    return path, marker


def _detections(root):
    data = json.loads((root / ANN).read_text())
    return [dict(image_id=a['image_id'], bbox=list(map(float, a['bbox'])),
                 score=0.9, category_id=1) for a in data['annotations']]


@pytest.fixture(scope='module')
def coco_root():
    return Path(ensure_coco_figures(num_train=8, num_val=4,
                                    img_size=(128, 96), seed=3))


def test_mmengine_load_uses_the_restricted_unpickler(tmp_path):
    path, marker = _crafted(tmp_path, [1, 2])
    with pytest.raises(UnsafePickleError) as info:
        load(str(path))
    assert str(path) in str(info.value)  # the file is named
    assert 'posix.system' in str(info.value)
    with open(path, 'rb') as f:  # file objects too
        with pytest.raises(UnsafePickleError):
            load(f, file_format='pkl')
    assert not marker.exists()


def test_detection_pkl_loads_and_feeds_coco_dataset(coco_root, tmp_path):
    """A detection ``.pkl`` (numpy boxes and scores) gives the same data
    list as the same detections in JSON."""
    dets = _detections(coco_root)
    pkl = tmp_path / 'dets.pkl'
    dump([dict(d, bbox=np.asarray(d['bbox'], np.float32),
               score=np.float32(d['score'])) for d in dets], str(pkl))
    (tmp_path / 'dets.json').write_text(json.dumps(dets))
    lists = []
    for path in (pkl, tmp_path / 'dets.json'):
        dataset = DATASETS.build(
            dict(type='CocoDataset', data_root=str(coco_root), ann_file=ANN,
                 data_prefix=dict(img='val/'), test_mode=True,
                 bbox_file=str(path)))
        lists.append([dataset.get_data_info(i) for i in range(len(dataset))])
    assert len(lists[0]) == len(dets)
    for a, b in zip(*lists):
        np.testing.assert_allclose(a['bbox'], b['bbox'], rtol=1e-6)
        assert a['img_path'] == b['img_path']


def test_crafted_detection_pkl_is_refused_by_coco_dataset(
        coco_root, tmp_path):
    path, marker = _crafted(tmp_path, _detections(coco_root))
    with pytest.raises(UnsafePickleError) as info:
        DATASETS.build(
            dict(type='CocoDataset', data_root=str(coco_root), ann_file=ANN,
                 data_prefix=dict(img='val/'), test_mode=True,
                 bbox_file=str(path)))
    assert isinstance(info.value, AnnotationError)
    assert str(path) in str(info.value) and 'system' in str(info.value)
    assert not marker.exists()


def test_annotation_pkl_loads(tmp_path):
    """An annotation pickle (numpy arrays, tensors, OrderedDict, sets inside
    plain containers, protocol 2 as mmengine writes and the current one)."""
    ann = OrderedDict(
        imgname=np.array(['a.jpg', 'b.jpg']),
        keypoints=np.random.rand(2, 17, 3).astype(np.float32),
        center=torch.rand(2, 2), scale=np.float64(1.5),
        ids={1, 2}, meta=dict(size=torch.Size([2, 17]), name='h36m'))
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        path = tmp_path / f'ann{protocol}.pkl'
        path.write_bytes(pickle.dumps(ann, protocol=protocol))
        back = load(str(path))
        assert list(back) == list(ann)
        np.testing.assert_array_equal(back['keypoints'], ann['keypoints'])
        assert torch.equal(back['center'], ann['center'])
        assert back['ids'] == {1, 2} and back['meta']['size'] == (2, 17)


def test_result_dump_loads(tmp_path):
    """Predictions dumped by ``DumpResults`` (``tools/test.py --dump``) as
    pose data samples become dicts of arrays and tensors."""
    sample = PoseDataSample(metainfo=dict(img_path='x.jpg', id=3))
    sample.pred_instances = InstanceData(
        keypoints=np.random.rand(1, 17, 2), keypoint_scores=np.ones((1, 17)),
        bboxes=torch.rand(1, 4))
    out = tmp_path / 'preds.pkl'
    metric = DumpResults(out_file_path=str(out))
    metric.process({}, [sample.to_dict()])
    metric.compute_metrics(metric.results)
    back = load(str(out))
    np.testing.assert_array_equal(back[0]['pred_instances']['keypoints'],
                                  sample.pred_instances.keypoints)
    assert torch.equal(back[0]['pred_instances']['bboxes'],
                       sample.pred_instances.bboxes)


def test_truncated_pickle_is_named(tmp_path):
    path = tmp_path / 'dets.pkl'
    path.write_bytes(pickle.dumps([dict(a=np.zeros(100))])[:40])
    with pytest.raises(CorruptPickleError, match='truncated') as info:
        load(str(path))
    assert str(path) in str(info.value)
