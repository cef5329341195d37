"""Config file names follow the OpenMMLab pattern of the house:
``{method}-{variant}_{N}xb{batch}-{schedule}_{dataset}-{input}.py``.

A schedule is epochs (``20e``), iterations (``300i``) or thousands of
iterations (``100ki``). A config that trains nothing (no
``train_dataloader``, such as an inference pipeline) drops the
``{N}xb{batch}-{schedule}`` field."""
import glob
import os.path as osp
import re

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    osp.relpath(p, ROOT)
    for p in glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))
    if osp.basename(osp.dirname(p)) != '_base_')
WORD = r'[a-z0-9]+(?:-[a-z0-9]+)*'
INPUT = r'\d+(?:x\d+|to\d+|f)'
TRAINED = re.compile(
    rf'^{WORD}_\d+xb\d+-\d+(?:e|i|ki)_{WORD}-{INPUT}\.py$')
INFERENCE = re.compile(rf'^{WORD}_{WORD}-{INPUT}\.py$')


def test_names_are_checked():
    assert len(CONFIGS) > 80


@pytest.mark.parametrize('path', CONFIGS)
def test_config_name_follows_the_pattern(path):
    name = osp.basename(path)
    if TRAINED.match(name):
        return
    with open(osp.join(ROOT, path)) as f:
        trains = re.search(r'^train_dataloader\s*=', f.read(), re.M)
    assert not trains and INFERENCE.match(name), (
        f'{path}: expected {{method}}-{{variant}}_{{N}}xb{{batch}}-'
        f'{{epochs}}e_{{dataset}}-{{input}}.py')


def test_the_pattern_refuses_an_extra_field():
    assert not TRAINED.match('ppt-s_multiview_4xb8-20e_h36m-256x256.py')
    assert not TRAINED.match('topdown-heatmap_small_1xb16-16e_coco-1x1.py')
    assert TRAINED.match('ppt-s-multiview_4xb8-20e_h36m-256x256.py')
