"""What the tools check before and around a run (mmhuman_ext.utils.run)."""
import glob
import os.path as osp
import shutil
import sys
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config

from mmhuman_ext.utils.run import (check_writable, find_resume_checkpoint,
                                   guard_checkpoint_fit, unused_key_warnings,
                                   use_reliability_hooks)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_resume_in_an_empty_work_dir_says_nothing_was_found(tmp_path):
    found, message = find_resume_checkpoint(str(tmp_path))
    assert found is None
    assert 'nothing to resume' in message and str(tmp_path) in message
    assert 'None' not in message


def test_resume_after_the_work_dir_was_moved(tmp_path):
    old = tmp_path / 'old'
    old.mkdir()
    (old / 'epoch_2.pth').write_bytes(b'x')
    (old / 'last_checkpoint').write_text(str(old / 'epoch_2.pth'))
    shutil.move(str(old), str(tmp_path / 'new'))
    found, message = find_resume_checkpoint(str(tmp_path / 'new'))
    assert found == str(tmp_path / 'new' / 'epoch_2.pth')
    assert 'moved' in message
    (tmp_path / 'new' / 'epoch_2.pth').unlink()
    with pytest.raises(FileNotFoundError, match='epoch_2.pth'):
        find_resume_checkpoint(str(tmp_path / 'new'))


def test_train_tool_resume_without_checkpoint_starts_from_scratch(tmp_path):
    sys.path.insert(0, osp.join(ROOT, 'tools'))
    try:
        from train import merge_args, parse_args
    finally:
        sys.path.pop(0)
    config = osp.join(ROOT, 'tests/data/configs/tiny_topdown_gn.py')
    args = parse_args([config, '--work-dir', str(tmp_path), '--resume'])
    cfg = merge_args(Config.fromfile(config), args)
    assert cfg.resume is False and cfg.load_from is None


def test_config_keys_that_nothing_reads_get_a_close_match():
    cfg = Config(dict(load_form='a.pth', max_epochs=5, custom_hook=[],
                      train_cfg=dict(max_epochs=20), codec=dict()))
    warnings = unused_key_warnings(cfg)
    assert len(warnings) == 3, warnings
    text = '\n'.join(warnings)
    assert "'load_form'" in text and "did you mean 'load_from'" in text
    assert 'train_cfg.max_epochs is 20' in text
    assert "did you mean 'custom_hooks'" in text
    # a variable that the section uses says nothing
    assert unused_key_warnings(
        Config(dict(max_epochs=20, train_cfg=dict(max_epochs=20)))) == []


def test_shipped_configs_give_no_unused_key_warning():
    configs = glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                        recursive=True)
    configs = [c for c in configs if '_base_' not in c]
    assert configs
    for path in configs:
        assert unused_key_warnings(Config.fromfile(path)) == [], path


def test_reliability_hooks_replace_mmengine_checkpoint_hook():
    cfg = Config(dict(default_hooks=dict(checkpoint=dict(
        type='CheckpointHook', interval=2)), custom_hooks=[]))
    use_reliability_hooks(cfg)
    assert cfg.default_hooks.checkpoint.type == \
        'mmhuman_ext.SafeCheckpointHook'
    assert cfg.default_hooks.checkpoint.interval == 2
    assert [h['type'] for h in cfg.custom_hooks] == [
        'mmhuman_ext.NonFiniteLossHook'
    ]
    use_reliability_hooks(cfg)  # idempotent
    assert len(cfg.custom_hooks) == 1


def _fake_runner(model, checkpoint):
    logged = []
    return SimpleNamespace(
        model=model, load_checkpoint=lambda filename, **kw: checkpoint,
        logger=SimpleNamespace(info=logged.append)), logged


def test_a_checkpoint_of_another_model_is_refused():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    other = dict(state_dict={'module.0.weight': torch.zeros(5, 3),
                             'backbone.conv.weight': torch.zeros(1)})
    runner, logged = _fake_runner(model, other)
    guard_checkpoint_fit(runner)
    with pytest.raises(ValueError) as info:
        runner.load_checkpoint('other.pth')
    message = str(info.value)
    assert "loaded 0 of the model's 4 tensors" in message
    assert '1 of another shape' in message and '--partial-load' in message
    runner, logged = _fake_runner(model, other)
    guard_checkpoint_fit(runner, allow_partial=True)
    runner.load_checkpoint('other.pth')
    assert "loaded 0 of the model's 4 tensors" in logged[0]


def test_a_fitting_checkpoint_reports_the_count():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    runner, logged = _fake_runner(model, dict(state_dict=model.state_dict()))
    guard_checkpoint_fit(runner)
    runner.load_checkpoint('same.pth')
    assert "loaded 4 of the model's 4 tensors" in logged[0]


def test_an_unwritable_output_fails_before_the_run(tmp_path):
    (tmp_path / 'a_file').write_text('x')
    with pytest.raises(SystemExit, match='cannot write into'):
        check_writable(str(tmp_path / 'a_file' / 'metrics.json'), '--out')
    with pytest.raises(SystemExit, match='is a folder'):
        check_writable(str(tmp_path), '--out')
    check_writable(str(tmp_path / 'sub' / 'metrics.json'), '--out')
