"""tools/test.py evaluates only a checkpoint that fills every tensor of the
model (``--partial-load`` to accept another), training keeps its half-rule;
``--cfg-options`` that set a section's value give no false warning."""
import os
import os.path as osp
import subprocess
import sys
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config

from mmhuman_ext.registry import MODELS
from mmhuman_ext.utils.run import guard_checkpoint_fit, unused_key_warnings

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'tests/data/configs/tiny_topdown_gn.py')


def _model():
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 4),
                               torch.nn.Linear(4, 2))


def _runner(model, state):
    logged = []
    return SimpleNamespace(
        model=model, load_checkpoint=lambda filename, **kw: dict(
            state_dict=state), logger=SimpleNamespace(info=logged.append)), \
        logged


def test_strict_refuses_a_checkpoint_without_the_last_layer():
    model = _model()
    state = {k: v for k, v in model.state_dict().items()
             if not k.startswith('2.')}  # 4 of 6 tensors: above half
    runner, logged = _runner(model, state)
    guard_checkpoint_fit(runner)  # training: the half-rule accepts it
    runner.load_checkpoint('a.pth')
    assert "loaded 4 of the model's 6 tensors" in logged[0]
    runner, logged = _runner(model, state)
    guard_checkpoint_fit(runner, strict=True, hint='pass --partial-load')
    with pytest.raises(ValueError) as info:
        runner.load_checkpoint('a.pth')
    message = str(info.value)
    assert "a.pth: loaded 4 of the model's 6 tensors" in message
    assert "missing e.g. ['2.weight', '2.bias']" in message
    assert message.endswith('pass --partial-load')
    runner, logged = _runner(model, state)
    guard_checkpoint_fit(runner, strict=True, allow_partial=True)
    runner.load_checkpoint('a.pth')
    assert "missing e.g. ['2.weight', '2.bias']" in logged[0]


def test_strict_refuses_extra_tensors_and_accepts_an_exact_fit():
    model = _model()
    runner, logged = _runner(model, dict(model.state_dict(),
                                         **{'3.weight': torch.zeros(1)}))
    guard_checkpoint_fit(runner, strict=True)
    with pytest.raises(ValueError, match=r"not in the model e.g. \['3.w"):
        runner.load_checkpoint('a.pth')
    runner, logged = _runner(model, model.state_dict())
    guard_checkpoint_fit(runner, strict=True)
    runner.load_checkpoint('a.pth')
    assert "loaded 6 of the model's 6 tensors" in logged[0]


def test_test_tool_refuses_a_checkpoint_missing_the_final_layer(tmp_path):
    model = MODELS.build(Config.fromfile(CONFIG).model)
    state = model.state_dict()
    last = [k for k in state if k.startswith('head.')][-2:]
    assert len(state) - len(last) >= len(state) / 2
    ckpt = tmp_path / 'no_head.pth'
    torch.save(dict(state_dict={k: v for k, v in state.items()
                                if k not in last}), ckpt)
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    out = subprocess.run(
        [sys.executable, 'tools/test.py', CONFIG, str(ckpt), '--work-dir',
         str(tmp_path / 'wd'), '--out', str(tmp_path / 'metrics.json')],
        cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert f'missing e.g. {last}' in out.stderr
    assert '--partial-load' in out.stderr
    assert not (tmp_path / 'metrics.json').exists()


def test_cfg_options_setting_the_section_give_no_false_warning(tmp_path):
    config = tmp_path / 'cfg.py'
    config.write_text('max_epochs = 20\n'
                      'train_cfg = dict(max_epochs=max_epochs)\n')
    cfg = Config.fromfile(str(config))
    options = {'train_cfg.max_epochs': 1}
    cfg.merge_from_dict(options)
    assert unused_key_warnings(cfg, options) == []
    # the wrong place still warns
    cfg = Config.fromfile(str(config))
    options = {'max_epochs': 1}
    cfg.merge_from_dict(options)
    (warning, ) = unused_key_warnings(cfg, options)
    assert 'top-level max_epochs = 1' in warning
