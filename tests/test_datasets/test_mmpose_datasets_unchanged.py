"""Our registration changes nothing in mmpose's own datasets for inputs
they accept: PoseTrack18 video (a list of frame paths per sample),
DeepFashion (its subsets read annotations with more keypoints) and COCO
(including a detection file) give the same data lists as plain mmpose in a
fresh process; what looks wrong is logged, not raised."""
import json
import logging
import os.path as osp
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.logging import MMLogger
from mmpose.datasets.datasets.base import BaseCocoStyleDataset

from mmhuman_ext.datasets.annotation_errors import AnnotationError
from mmhuman_ext.datasets.synthetic.coco_figures import ensure_coco_figures
from mmhuman_ext.registry import DATASETS

COCO_ANN = 'annotations/person_keypoints_val.json'


def _image(path, size=(64, 48)):
    img = np.full((size[1], size[0], 3), 128, np.uint8)
    cv2.imwrite(str(path), img)


def _posetrack(root):
    """Two videos of 5 frames; PoseTrack18 keeps 17 keypoints."""
    images, anns = [], []
    rng = np.random.default_rng(0)
    for v, vid in enumerate(('000001', '000002')):
        folder = root / 'images' / 'val' / vid
        folder.mkdir(parents=True)
        for t in range(5):
            _image(folder / f'{t:06d}.jpg')
            image_id = int(f'1{vid}{t:04d}')
            images.append(dict(file_name=f'images/val/{vid}/{t:06d}.jpg',
                               nframes=5, frame_id=image_id, vid_id=vid,
                               id=image_id, width=64, height=48,
                               is_labeled=True))
            kpts = np.c_[rng.uniform(5, 40, (17, 2)), np.ones(17)]
            anns.append(dict(keypoints=kpts.ravel().tolist(), track_id=v,
                             image_id=image_id, bbox=[4., 3., 40., 30.],
                             category_id=1, id=image_id * 10, iscrowd=False,
                             num_keypoints=17))
    (root / 'val.json').write_text(json.dumps(dict(
        categories=[dict(id=1, name='person', supercategory='person',
                         keypoints=[], skeleton=[])],
        images=images, annotations=anns)))


def _deepfashion(root):
    """Two images whose annotations hold 8 keypoints (the full subset);
    mmpose reads them with the upper (6) and lower (4) subsets too."""
    root.mkdir()
    images, anns = [], []
    rng = np.random.default_rng(1)
    for i in range(2):
        _image(root / f'img_{i:08d}.jpg', (200, 250))
        images.append(dict(id=i + 1, file_name=f'img_{i:08d}.jpg',
                           height=250, width=200))
        kpts = np.c_[rng.uniform(20, 180, (8, 2)), np.ones(8)]
        anns.append(dict(keypoints=kpts.ravel().tolist(), num_keypoints=8,
                         bbox=[20., 20., 150., 200.], iscrowd=0,
                         area=30000, category_id=1, id=i + 1,
                         image_id=i + 1))
    (root / 'fld.json').write_text(json.dumps(dict(
        categories=[dict(id=1, name='person')], images=images,
        annotations=anns)))


def _coco_detections(coco):
    data = json.loads((coco / COCO_ANN).read_text())
    return [dict(image_id=a['image_id'], bbox=a['bbox'], score=0.8,
                 category_id=1) for a in data['annotations']]


def _configs(root, coco):
    """``(class name, kwargs)`` of every case."""
    video = dict(ann_file=str(root / 'posetrack' / 'val.json'),
                 data_root=str(root / 'posetrack'), data_prefix=dict(img=''),
                 frame_sampler_mode='fixed', frame_indices=[-1, 0, 1],
                 frame_weights=[0.25, 0.5, 0.25], pipeline=[])
    fashion = dict(ann_file='fld.json', data_root=str(root / 'fld'),
                   pipeline=[])
    cases = [('PoseTrack18VideoDataset', video),
             ('PoseTrack18VideoDataset', dict(video, test_mode=True))]
    cases += [('DeepFashionDataset', dict(fashion, subset=subset,
                                          data_mode=mode))
              for subset in ('', 'upper', 'lower')
              for mode in ('topdown', 'bottomup')]
    coco_cfg = dict(data_root=str(coco), ann_file=COCO_ANN,
                    data_prefix=dict(img='val/'), pipeline=[])
    cases += [('CocoDataset', coco_cfg),
              ('CocoDataset', dict(coco_cfg, data_mode='bottomup')),
              ('CocoDataset', dict(coco_cfg, test_mode=True,
                                   bbox_file=str(root / 'dets.json')))]
    return cases


def _plain(value):
    """JSON-able copy of a data info (arrays as lists)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _data_lists(cases):
    """The data list of every case, built from mmpose's classes."""
    import mmpose.datasets as mmpose_datasets
    lists = []
    for name, cfg in cases:
        dataset = getattr(mmpose_datasets, name)(**cfg)
        lists.append([_plain(dataset.get_data_info(i))
                      for i in range(len(dataset))])
    return lists


PLAIN_MMPOSE = '''
import json, sys
sys.path.insert(0, {tests!r})
from test_mmpose_datasets_unchanged import _configs, _data_lists
from pathlib import Path
import mmpose.datasets.datasets.base as base
cases = _configs(Path({root!r}), Path({coco!r}))
lists = _data_lists(cases)
assert not getattr(base.BaseCocoStyleDataset, '_mmhuman_ext_errors', False)
print(json.dumps(lists))
'''


@pytest.fixture(scope='module')
def fixtures(tmp_path_factory):
    root = tmp_path_factory.mktemp('mmpose_fixtures')
    coco = Path(ensure_coco_figures(num_train=8, num_val=4,
                                    img_size=(128, 96), seed=3))
    _posetrack(root / 'posetrack')
    _deepfashion(root / 'fld')
    (root / 'dets.json').write_text(json.dumps(_coco_detections(coco)))
    return root, coco


def test_same_data_lists_as_plain_mmpose(fixtures):
    root, coco = fixtures
    script = PLAIN_MMPOSE.format(tests=osp.dirname(__file__),
                                 root=str(root), coco=str(coco))
    out = subprocess.run([sys.executable, '-c', script], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    plain = json.loads(out.stdout.strip().splitlines()[-1])
    assert getattr(BaseCocoStyleDataset, '_mmhuman_ext_errors', False)
    ours = json.loads(json.dumps(_data_lists(_configs(root, coco))))
    assert [len(x) for x in ours] == [len(x) for x in plain]
    assert all(len(x) for x in ours)
    assert ours == plain
    # the video samples hold lists of frame paths, which were checked
    assert isinstance(ours[0][0]['img_path'], list)


class _Messages(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _logged(build):
    logger = MMLogger.get_current_instance()
    handler = _Messages()
    logger.addHandler(handler)
    try:
        build()
    finally:
        logger.removeHandler(handler)
    return '\n'.join(handler.messages)


def test_doubtful_input_is_logged_for_mmpose_and_raised_for_ours(fixtures):
    """48 keypoint numbers and NaN: mmpose's CocoDataset keeps its own
    behaviour (a warning naming the annotation); our SyntheticCocoDataset on
    the same files refuses them."""
    root, coco = fixtures
    copy = root / 'coco_bad'
    shutil.copytree(coco, copy)
    data = json.loads((copy / COCO_ANN).read_text())
    data['annotations'][2]['keypoints'] = \
        data['annotations'][2]['keypoints'][:48]
    data['annotations'][1]['bbox'][0] = float('nan')
    (copy / COCO_ANN).write_text(json.dumps(data))
    cfg = dict(data_root=str(copy), ann_file=COCO_ANN,
               data_prefix=dict(img='val/'), pipeline=[])
    text = _logged(lambda: DATASETS.build(dict(type='CocoDataset', **cfg)))
    assert f'annotation id {data["annotations"][2]["id"]}' in text
    assert 'holds 48 numbers; expected 3 x 17 = 51' in text
    assert 'bbox holds NaN/inf' in text
    with pytest.raises(AnnotationError, match='bbox holds NaN/inf'):
        DATASETS.build(dict(type='SyntheticCocoDataset', generator_cfg=dict(
            num_train=8, num_val=4, img_size=(128, 96), seed=3), **cfg))


def test_video_frames_are_checked_by_header(fixtures, tmp_path):
    """A text file saved as a frame of a video sample is named when the
    dataset is built (a warning for mmpose's class)."""
    root, _ = fixtures
    shutil.copytree(root / 'posetrack', tmp_path / 'posetrack')
    bad = tmp_path / 'posetrack/images/val/000002/000003.jpg'
    bad.write_text('not a picture')
    name, cfg = _configs(tmp_path, root)[0]
    text = _logged(lambda: DATASETS.build(dict(type=name, **cfg)))
    assert str(bad) in text and 'not a JPG image' in text


def test_mmpose_errors_keep_their_type_and_gain_the_names(fixtures):
    """A detection without its box fails in mmpose with a bare KeyError;
    it still is a KeyError, now naming the file, the entry and the field."""
    root, coco = fixtures
    dets = _coco_detections(coco)
    del dets[1]['bbox']
    (root / 'bad_dets.json').write_text(json.dumps(dets))
    with pytest.raises(KeyError) as info:
        DATASETS.build(dict(type='CocoDataset', data_root=str(coco),
                            ann_file=COCO_ANN, data_prefix=dict(img='val/'),
                            test_mode=True,
                            bbox_file=str(root / 'bad_dets.json')))
    assert isinstance(info.value, AnnotationError)
    assert "bad_dets.json: detection 1 lacks ['bbox']" in str(info.value)
