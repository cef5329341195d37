import json
import os.path as osp

import cv2
import numpy as np
import pytest

from mmhuman_ext.registry import DATASETS

ROOT = osp.join(osp.dirname(__file__), '..', '..')


def write_frames(folder, num, size=(24, 32)):
    import os
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(num):
        img = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
        cv2.imwrite(osp.join(folder, f'{i:05d}.jpg'), img)


def build(tmp_path, prompts, **kwargs):
    ann = tmp_path / 'prompts.json'
    ann.write_text(json.dumps(prompts))
    return DATASETS.build(dict(type='VideoEditBenchmarkDataset',
                               ann_file=str(ann),
                               data_root=str(tmp_path / 'videos'), **kwargs))


def test_items_per_prompt(tmp_path):
    write_frames(str(tmp_path / 'videos' / 'bear'), 20)
    write_frames(str(tmp_path / 'videos' / 'dog'), 9)
    ds = build(tmp_path, {'bear': ['a panda', 'a polar bear'],
                          'dog': ['a wolf']}, clip_len=4, frame_interval=2)
    assert len(ds) == 3
    item = ds[1]
    assert item['inputs'].shape == (4, 3, 24, 32)
    assert 0 <= item['inputs'].min() and item['inputs'].max() <= 1
    assert item['data_samples']['prompt'] == 'a polar bear'
    assert item['data_samples']['frame_inds'] == [0, 2, 4, 6]
    assert ds[2]['data_samples']['video_id'] == 'dog'


def test_missing_video_one_error(tmp_path):
    write_frames(str(tmp_path / 'videos' / 'bear'), 20)
    with pytest.raises(FileNotFoundError) as err:
        build(tmp_path, {'bear': ['a panda'], 'camel': ['a horse'],
                         'goat': ['a sheep']})
    msg = str(err.value)
    assert 'prompts.json' in msg and 'camel, goat' in msg
    assert '<video_id>.mp4' in msg


def test_short_video_and_bad_file(tmp_path):
    write_frames(str(tmp_path / 'videos' / 'bear'), 10)
    with pytest.raises(ValueError, match=r'shorter than one clip \(16 '
                       r'frames.*bear \(10 frames\)'):
        build(tmp_path, {'bear': ['a panda']})
    with pytest.raises(ValueError, match='at least one prompt'):
        build(tmp_path, {'bear': []})


def test_shipped_davis_list():
    path = osp.join(ROOT, 'configs', 'maskint', 'data',
                    'davis2017_edit_prompts.json')
    with open(path) as f:
        prompts = json.load(f)
    assert len(prompts) == 40
    assert all(len(p) == 5 for p in prompts.values())
    # the project page's demo prompts are among them
    flat = {p for ps in prompts.values() for p in ps}
    assert {'a wolf walks on the street', 'a boat sails on green grass',
            'a rhino walks on ice in snowy day'} <= flat
