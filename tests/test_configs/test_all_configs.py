"""Every config under configs/ loads and builds its model.

Generic over all methods: a config's model is built from the config alone,
with random weights (no checkpoint is loaded: ``init_cfg`` acts only in
``init_weights``). A model that must read a user-supplied file when it is
built (e.g. CVTHead's FLAME model, which cannot ship with the code) may
instead fail with a ``FileNotFoundError`` (or another ``OSError``, as
diffusers raises for a missing pretrained folder) that names the missing
file; the test then checks that message, so no config is skipped. Where a metafile of
``model-index.yml`` records a config's parameter count, the built model
must have exactly that many parameters.
"""
import glob
import os.path as osp
import re

import pytest
import yaml
from mmengine.config import Config
from torch import nn

from mmhuman_ext.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                         recursive=True)
    if '_base_' not in osp.relpath(p, ROOT).split(osp.sep))
# a path-like token (a file or a folder), as the loaders' messages give it
PATH = re.compile(r"[\w.~-]*(?:/[\w.~-]+)+")


def recorded_parameters():
    """``{config path: Parameters}`` from every metafile of model-index.yml."""
    with open(osp.join(ROOT, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    out = {}
    for metafile in index['Import']:
        with open(osp.join(ROOT, metafile)) as f:
            for model in yaml.safe_load(f)['Models']:
                params = model.get('Metadata', {}).get('Parameters')
                if params is not None:
                    out[osp.join(ROOT, model['Config'])] = params
    return out


RECORDED = recorded_parameters()


def test_the_config_tree_is_found():
    names = {osp.relpath(p, osp.join(ROOT, 'configs')) for p in CONFIGS}
    for expected in ('ppt/ppt-s_4xb32-300e_coco-256x192.py',
                     'transfusion/transfusion_4xb4-20e_h36m-256x256.py',
                     'pstmo/pstmo-s_1xb160-80e_h36m-cpn-243f.py'):
        assert expected in names


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, ROOT) for p in CONFIGS])
def test_config_loads_and_builds_its_model(path):
    cfg = Config.fromfile(path)
    assert 'model' in cfg, f'{path}: no model'
    try:
        model = MODELS.build(cfg.model)
    except OSError as exc:
        message = str(exc)
        named = [p for p in PATH.findall(message)
                 if not osp.exists(p) and not osp.exists(osp.join(ROOT, p))]
        assert named, (f'{path}: the model needs a file, but the message '
                       f'names no missing path: {message}')
        return
    assert isinstance(model, nn.Module)
    params = sum(p.numel() for p in model.parameters())
    assert params > 0
    if path in RECORDED:
        assert params == RECORDED[path], 'metafile Parameters'

