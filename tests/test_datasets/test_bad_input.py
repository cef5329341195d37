"""Malformed annotations and images name the file and the entry."""
import json
import shutil

import pytest

from mmhuman_ext.datasets.annotation_errors import AnnotationError
from mmhuman_ext.datasets.synthetic.coco_figures import ensure_coco_figures
from mmhuman_ext.registry import DATASETS

ANN = 'annotations/person_keypoints_val.json'


@pytest.fixture
def coco_copy(tmp_path):
    src = ensure_coco_figures(num_train=8, num_val=4, img_size=(128, 96),
                              seed=3)
    root = tmp_path / 'coco'
    shutil.copytree(src, root)
    return root


def _build(root, pipeline=()):
    return DATASETS.build(
        dict(type='CocoDataset', data_root=str(root), ann_file=ANN,
             data_prefix=dict(img='val/'), pipeline=list(pipeline)))


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
    assert 'keypoints (3 x num_keypoints numbers)' in message


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
