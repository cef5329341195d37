"""stage_timing.py on the demo configs (CVTHead with the stand-in head
files, MaskINT tiny) and the stage timer's checks."""
import json
import os.path as osp
import sys

import pytest
import torch

from mmhuman_ext.utils.model_analysis import StageTimer

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
import stage_timing  # noqa: E402

CVTHEAD = osp.join(ROOT, 'configs', 'demo',
                   'cvthead-tiny_1xb4-20e_synthheads-64x64.py')
MASKINT = osp.join(ROOT, 'configs', 'demo',
                   'maskint-tiny_1xb8-200e_synthvideos512-8f-64x96.py')


def test_cvthead_cached_and_re_encoding_frames(tmp_path):
    out = tmp_path / 'stages.json'
    stage_timing.main([
        'cvthead', CVTHEAD, '--standin-head', '--rounds', '2', '--warmup',
        '0', '--out', str(out)
    ])
    cached, full = json.loads(out.read_text())['results']
    assert len(cached['seconds']) == len(full['seconds']) == 2
    # the cached avatar skips the source branch
    assert 'encoder' not in cached['stage_seconds']
    assert {'FLAME', 'point splat', 'U-Net'} <= set(cached['stage_seconds'])
    assert {'f_H (hair / shoulder offsets)', 'encoder', 'vertex transformer',
            'spiral decoder + descriptor head'} <= set(full['stage_seconds'])
    for res in (cached, full):
        assert sum(res['stage_share'].values()) == pytest.approx(1, abs=1e-6)
    assert full['time_ratio_to_cached'] > 0


def test_maskint_pass_stages():
    (res, ) = stage_timing.main([
        'maskint', MASKINT, '--cfg-options',
        'model.data_preprocessor.tokenizer=None',
        'model.data_preprocessor.structure_detector=None'
    ])
    stages = res['stage_seconds']
    assert {'embedding', 'conv down / up', 'norm + head (queried tokens)',
            '  of all layers: MLP', 'other'} <= set(stages)
    layers = [k for k in stages if k.endswith(' layers')]
    assert len(layers) == 2  # spatial and spatio-temporal
    top = sum(v for k, v in stages.items() if not k.startswith(' '))
    assert top == pytest.approx(res['seconds'][0])
    assert stages['  of all layers: MLP'] < sum(stages[k] for k in layers)


def test_stage_timer_counts_each_call_and_names_bad_paths():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU())
    with StageTimer(model, {'linear': ['0'], 'all': ['0', '1']}) as timer:
        model(torch.randn(2, 4))
        model(torch.randn(2, 4))
    assert 0 < timer.seconds['linear'] < timer.seconds['all']
    assert not model[0]._forward_hooks  # hooks removed
    with pytest.raises(ValueError, match="no submodule '0.weight_x'"):
        StageTimer(model, {'x': ['0.weight_x']})
