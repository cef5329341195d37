"""CVTHead's two-stage recipe end to end through tools/train.py: the stage-1
demo config trains, the stage-2 demo config finds the checkpoint stage 1
wrote (its load_from names stage 1's default work dir) and continues from it
with the stage-2 losses and fresh optimizers. Both run on the small built-in
heads (the demo configs with the data paths and sizes made small)."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmhuman_ext.utils.checkpoint import load_checkpoint_file

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
S1 = 'cvthead-tiny_1xb4-20e_synthheads-64x64.py'
S2 = 'cvthead-tiny-s2_1xb4-2e_synthheads-64x64.py'


def _small_overrides(root: str) -> str:
    from conftest import CVTHEAD_SMALL
    return f"""
small_root = {root + '/'!r}
small_gen = {CVTHEAD_SMALL!r}
model = dict(
    frame_size=(64, 64),
    generator=dict(hierarchy=dict(path=small_root + 'flame/hierarchy.npz')),
    flame=dict(model_path=small_root + 'flame/generic_model.pkl'),
    hair_deformer=dict(
        net_ckpt=small_root + 'flame/linear_hair.pth',
        mean_path=small_root + 'flame/mean_deform.pt',
        basis_path=small_root + 'flame/u_full.pt'))
train_dataloader = dict(batch_size=2, dataset=dict(
    times=2, dataset=dict(data_root=small_root, generator_cfg=small_gen)))
val_dataloader = dict(batch_size=4, dataset=dict(
    data_root=small_root, generator_cfg=small_gen, num_test_frames=3))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=1))
"""


def _train(config: str, cwd: str):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'train.py'), config],
        cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _scalars(work_dir: str):
    path, = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        return [json.loads(line) for line in f]


def test_stage1_then_stage2_through_train_py(tmp_path, cvthead_small_data):
    overrides = _small_overrides(cvthead_small_data)
    configs = {}
    for name, sub in ((S1, 's1'), (S2, 's2')):
        folder = tmp_path / sub
        folder.mkdir()
        base = osp.join(ROOT, 'configs', 'demo', name)
        # same file name as the demo config, so the default work dirs match
        (folder / name).write_text(f'_base_ = [{base!r}]\n{overrides}')
        configs[sub] = str(folder / name)
    run_dir = tmp_path / 'run'
    run_dir.mkdir()
    # stage 2 before stage 1: a clear error naming the missing checkpoint
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    early = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'train.py'), configs['s2']],
        cwd=run_dir, env=env, capture_output=True, text=True)
    assert early.returncode != 0
    assert 'work_dirs/cvthead-tiny_1xb4-20e_synthheads-64x64' in early.stderr

    _train(configs['s1'], str(run_dir))
    s1_dir = run_dir / 'work_dirs' / S1[:-3]
    s1_ckpt = (s1_dir / 'last_checkpoint').read_text().strip()
    assert osp.basename(s1_ckpt) == 'epoch_1.pth'
    rows = _scalars(str(s1_dir))
    assert any('loss_l1' in r for r in rows)
    assert not any('loss_gan_g' in r for r in rows)

    _train(configs['s2'], str(run_dir))
    s2_dir = run_dir / 'work_dirs' / S2[:-3]
    log, = glob.glob(str(s2_dir / '*' / '*.log'))
    with open(log) as f:
        text = f.read()
    assert f'Load checkpoint from {s1_ckpt}' in text
    rows = _scalars(str(s2_dir))
    assert any('loss_gan_g' in r and 'loss_fm' in r for r in rows)
    assert any('reenact/L1' in r for r in rows)
    # stage 2 starts from stage 1's generator and discriminator (f_H, frozen,
    # is carried over unchanged) with fresh optimizers at the stage-2 lr
    s1 = load_checkpoint_file(s1_ckpt)
    s2 = load_checkpoint_file(str(s2_dir / 'epoch_1.pth'))
    for key, value in s1['state_dict'].items():
        if key.startswith('hair_deformer.'):
            assert torch.equal(value, s2['state_dict'][key]), key
    assert s2['optimizer']['generator']['param_groups'][0]['lr'] == \
        pytest.approx(1e-4)
    assert s1['optimizer']['generator']['param_groups'][0]['lr'] == \
        pytest.approx(5e-4)
    steps = [r['step'] for r in rows if 'loss_gan_g' in r]
    assert min(steps) == 1  # a new run, not a resumed one
