"""VoxCeleb-style data are checked when the dataset is built: empty or
missing frames and codes of the wrong width name the file and the field."""
import os.path as osp
import shutil

import numpy as np
import pytest

from mmhuman_ext.registry import DATASETS


@pytest.fixture
def heads(cvthead_small_data, tmp_path):
    root = tmp_path / 'heads'
    shutil.copytree(cvthead_small_data, root)
    return root


def _build(root):
    return DATASETS.build(dict(type='VoxCelebReenactDataset',
                               data_root=str(root), mode='train'))


def _first_video(root):
    return sorted(p.name for p in (root / 'frames').iterdir())[0]


def test_an_empty_frame_fails_when_the_dataset_is_built(heads):
    assert len(_build(heads)) == 2
    frame = heads / 'frames' / _first_video(heads) / '00001.png'
    frame.write_bytes(b'')
    with pytest.raises(FileNotFoundError) as info:
        _build(heads)
    assert str(frame) in str(info.value) and '0 bytes' in str(info.value)


@pytest.mark.parametrize('field, width', [('exp', 40), ('shape', 99)])
def test_codes_of_another_width_name_file_and_field(heads, field, width):
    video = _first_video(heads)
    path = heads / 'deca' / f'{video}.npz'
    with np.load(path) as z:
        codes = {k: z[k] for k in z.files}
    codes[field] = codes[field][:, :width]
    np.savez(path, **codes)
    with pytest.raises(ValueError) as info:
        _build(heads)
    message = str(info.value)
    assert osp.basename(str(path)) in message
    assert f"field '{field}' has shape (4, {width})" in message
