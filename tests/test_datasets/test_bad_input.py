"""Malformed annotations and images name the file and the entry."""
import json
import logging
import os.path as osp
import shutil

import pytest
from mmengine.logging import MMLogger

from mmhuman_ext.datasets.annotation_errors import AnnotationError
from mmhuman_ext.datasets.synthetic.coco_figures import ensure_coco_figures
from mmhuman_ext.registry import DATASETS

ANN = 'annotations/person_keypoints_val.json'


class LogCapture(logging.Handler):
    """Collect the messages of ``logger`` inside a ``with`` block."""

    def __init__(self, logger):
        super().__init__()
        self.logger, self.messages = logger, []

    def emit(self, record):
        self.messages.append(record.getMessage())

    def __enter__(self):
        self.logger.addHandler(self)
        return self.messages

    def __exit__(self, *exc):
        self.logger.removeHandler(self)


GENERATOR = dict(num_train=8, num_val=4, img_size=(128, 96), seed=3)


@pytest.fixture
def coco_copy(tmp_path):
    src = ensure_coco_figures(**GENERATOR)
    root = tmp_path / 'coco'
    shutil.copytree(src, root)
    return root


def _build(root, pipeline=(), **kwargs):
    """Our COCO dataset class: doubtful input is an error (mmpose's own
    ``CocoDataset`` logs it, see test_mmpose_datasets_unchanged.py)."""
    return DATASETS.build(
        dict(type='SyntheticCocoDataset', generator_cfg=GENERATOR,
             data_root=str(root), ann_file=ANN, data_prefix=dict(img='val/'),
             pipeline=list(pipeline), **kwargs))


def test_malformed_keypoints_name_file_and_annotation(coco_copy):
    data = json.loads((coco_copy / ANN).read_text())
    bad = data['annotations'][1]
    bad['keypoints'] = bad['keypoints'][:-1]
    (coco_copy / ANN).write_text(json.dumps(data))
    with pytest.raises(AnnotationError) as info:
        _build(coco_copy)
    message = str(info.value)
    assert str(coco_copy / ANN) in message
    assert f'annotation id {bad["id"]}' in message
    assert 'expected 3 x 17 = 51' in message


def test_short_bbox_names_the_entry(coco_copy):
    data = json.loads((coco_copy / ANN).read_text())
    data['annotations'][0]['bbox'] = data['annotations'][0]['bbox'][:3]
    (coco_copy / ANN).write_text(json.dumps(data))
    with pytest.raises(AnnotationError,
                       match=f'annotation id {data["annotations"][0]["id"]}'):
        _build(coco_copy)


def test_unreadable_annotation_file_is_named(coco_copy):
    (coco_copy / ANN).write_text('{"images": [')
    with pytest.raises(AnnotationError, match='person_keypoints_val.json'):
        _build(coco_copy)


def test_corrupt_image_names_the_file(coco_copy):
    dataset = _build(coco_copy, [dict(type='LoadImage')])
    path = dataset.get_data_info(0)['img_path']
    with open(path, 'wb') as f:
        f.write(b'\xff\xd8\xff\xe0 not a jpeg')
    with pytest.raises(Exception, match=path.replace('.', r'\.')):
        dataset[0]


def test_wrong_keypoint_count_is_caught_at_load(coco_copy):
    """16 keypoints (48 numbers) reshape fine in mmpose and failed later in a
    worker; now the annotation is named when the dataset is built."""
    data = json.loads((coco_copy / ANN).read_text())
    bad = data['annotations'][2]
    bad['keypoints'] = bad['keypoints'][:48]
    (coco_copy / ANN).write_text(json.dumps(data))
    with pytest.raises(AnnotationError) as info:
        _build(coco_copy)
    assert f'annotation id {bad["id"]}' in str(info.value)
    assert 'holds 48 numbers; expected 3 x 17 = 51' in str(info.value)


@pytest.mark.parametrize('field', ['keypoints', 'bbox'])
def test_non_finite_annotation_is_refused(coco_copy, field):
    data = json.loads((coco_copy / ANN).read_text())
    bad = data['annotations'][1]
    bad[field][0] = float('nan')
    (coco_copy / ANN).write_text(json.dumps(data))  # JSON 'NaN' parses
    with pytest.raises(AnnotationError,
                       match=f'annotation id {bad["id"]}.*{field} holds '
                       'NaN/inf'):
        _build(coco_copy)


def test_dropped_annotations_are_counted_with_the_reason(coco_copy):
    data = json.loads((coco_copy / ANN).read_text())
    dropped = data['annotations'][0]
    dropped['bbox'][2] = 0  # zero width
    (coco_copy / ANN).write_text(json.dumps(data))
    logger = MMLogger.get_current_instance()
    with LogCapture(logger) as records:
        dataset = _build(coco_copy)
    assert len(dataset) == len(data['annotations']) - 1
    text = '\n'.join(records)
    assert f'1 of {len(data["annotations"])} annotations not used' in text
    assert f'1 zero-size box (after clipping to the image) (ids ' \
        f'[{dropped["id"]}])' in text


@pytest.mark.parametrize('change, expected', [
    (lambda d: d.pop('bbox'), "detection 1 lacks ['bbox']"),
    (lambda d: d.pop('score'), "detection 1 lacks ['score']"),
    (lambda d: d.update(bbox=[1, 2, float('inf'), 4]),
     'expected 4 finite numbers'),
])
def test_detection_file_fields_are_named(coco_copy, change, expected):
    data = json.loads((coco_copy / ANN).read_text())
    dets = [dict(image_id=a['image_id'], bbox=a['bbox'], score=0.9,
                 category_id=1) for a in data['annotations']]
    change(dets[1])
    (coco_copy / 'dets.json').write_text(json.dumps(dets))
    with pytest.raises(AnnotationError) as info:
        _build(coco_copy, test_mode=True,
               bbox_file=str(coco_copy / 'dets.json'))
    assert 'dets.json' in str(info.value) and expected in str(info.value)


def test_empty_image_is_caught_when_the_dataset_is_built(coco_copy):
    dataset = _build(coco_copy)
    path = dataset.get_data_info(0)['img_path']
    open(path, 'wb').close()
    with pytest.raises(AnnotationError, match='0 bytes.*' + osp.basename(
            path).replace('.', r'\.')):
        _build(coco_copy)


def test_text_file_as_image_is_caught_when_the_dataset_is_built(coco_copy):
    """Checked by the file header: an image that cannot be decoded is named
    at build time, not an epoch later in a worker."""
    dataset = _build(coco_copy)
    path = dataset.get_data_info(1)['img_path']
    with open(path, 'w') as f:
        f.write('a text file named .jpg')
    with pytest.raises(AnnotationError,
                       match='not a JPG image.*' + osp.basename(path)):
        _build(coco_copy)
