"""SafeCheckpointHook: write, then point last_checkpoint, then delete; a
failed save (full disk) keeps everything; NaN never saved. NonFiniteLossHook
stops at the first NaN loss naming epoch, iteration and last checkpoint."""
import errno
import math
import os

import pytest
import torch
from mmengine.hooks import CheckpointHook
from mmengine.model import BaseModel
from mmengine.runner import Runner

from mmhuman_ext.engine.hooks import NonFiniteLossHook, SafeCheckpointHook
from mmhuman_ext.engine.hooks.safe_checkpoint_hook import (
    CheckpointSaveError, NonFiniteTrainingError)
from mmhuman_ext.utils.checkpoint import load_checkpoint_file


class _Toy(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)

    def forward(self, x, y, mode='tensor'):
        pred = self.linear(x)
        if mode == 'loss':
            return dict(loss=((pred - y)**2).mean())
        return [dict(pred=p, y=t) for p, t in zip(pred, y)]


def _runner(work_dir, max_epochs=2, hook=SafeCheckpointHook, nan_at=None,
            name='toy', **hook_kw):
    """4 iterations per epoch; ``nan_at`` puts a NaN into that sample."""
    gen = torch.Generator().manual_seed(0)
    data = [dict(x=torch.randn(2, generator=gen),
                 y=torch.randn(1, generator=gen)) for _ in range(8)]
    if nan_at is not None:
        data[nan_at]['x'][0] = float('nan')
    loader = dict(dataset=data, batch_size=2,
                  collate_fn=dict(type='default_collate'),
                  sampler=dict(type='DefaultSampler', shuffle=False))
    return Runner(
        model=_Toy(), work_dir=str(work_dir), train_dataloader=loader,
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=dict(type=hook, interval=1,
                                           **hook_kw)),
        custom_hooks=[dict(type=NonFiniteLossHook)],
        default_scope='mmengine', experiment_name=f'{name}_{work_dir.name}')


def _last_checkpoint(work_dir):
    return (work_dir / 'last_checkpoint').read_text().strip()


@pytest.fixture
def disk_full_for(monkeypatch):
    """Make every write of a file whose name contains ``pattern`` fail with
    ENOSPC at fsync (after part of it was written), as a full disk does."""

    def install(pattern):
        real_fsync = os.fsync

        def fsync(fd):
            if pattern in os.readlink(f'/proc/self/fd/{fd}'):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real_fsync(fd)

        monkeypatch.setattr(os, 'fsync', fsync)

    return install


def test_keeps_only_the_newest_and_points_last_checkpoint_at_it(tmp_path):
    _runner(tmp_path, max_epochs=3, max_keep_ckpts=1).train()
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['epoch_3.pth']
    assert _last_checkpoint(tmp_path) == str(tmp_path / 'epoch_3.pth')


def test_failed_save_keeps_previous_checkpoint_and_last_checkpoint(
        tmp_path, disk_full_for):
    """Full disk while writing epoch 2 (max_keep_ckpts=1): epoch 1 stays,
    last_checkpoint names it, the error names the path and the reason."""
    runner = _runner(tmp_path, max_keep_ckpts=1)
    disk_full_for('epoch_2.pth')
    with pytest.raises(CheckpointSaveError) as info:
        runner.train()
    message = str(info.value)
    assert str(tmp_path / 'epoch_2.pth') in message
    assert 'No space left on device' in message
    assert str(tmp_path / 'epoch_1.pth') in message  # the last good one
    assert _last_checkpoint(tmp_path) == str(tmp_path / 'epoch_1.pth')
    ckpt = load_checkpoint_file(tmp_path / 'epoch_1.pth')
    assert ckpt['meta']['epoch'] == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith('.tmp')
            ] == []


def test_mmengine_hook_loses_the_only_checkpoint(tmp_path, disk_full_for):
    """What SafeCheckpointHook fixes: mmengine's hook deletes epoch 1 before
    writing epoch 2, so the same fault leaves no checkpoint at all."""
    from mmhuman_ext.utils import apply_compat
    apply_compat()
    runner = _runner(tmp_path, max_keep_ckpts=1, hook=CheckpointHook)
    disk_full_for('epoch_2.pth')
    with pytest.raises(OSError):
        runner.train()
    assert not list(tmp_path.glob('*.pth'))


def test_stale_partial_files_are_removed_by_the_next_save(tmp_path):
    stale = tmp_path / '.epoch_7.pth.k2j4h1z9.tmp'
    stale.write_bytes(b'half a checkpoint')
    other = tmp_path / '.notes.txt.k2j4h1z9.tmp'  # not a checkpoint's
    other.write_bytes(b'x')
    _runner(tmp_path, max_epochs=1).train()
    assert not stale.exists()
    assert other.exists()


def test_nan_loss_stops_at_once_and_names_the_last_checkpoint(tmp_path):
    # sample 2 is in the second batch of 2 of the first epoch
    runner = _runner(tmp_path, max_epochs=3, nan_at=2)
    with pytest.raises(NonFiniteTrainingError) as info:
        runner.train()
    message = str(info.value)
    assert 'epoch 1, iteration 2' in message
    assert 'none saved yet' in message
    assert not list(tmp_path.glob('*.pth'))


def test_nan_in_second_epoch_keeps_epoch_one(tmp_path):
    runner = _runner(tmp_path, max_epochs=3)
    runner.train_loop.run_epoch = _nan_from_epoch(runner, 1)
    with pytest.raises(NonFiniteTrainingError) as info:
        runner.train()
    assert 'epoch 2, iteration 1' in str(info.value)
    assert str(tmp_path / 'epoch_1.pth') in str(info.value)
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['epoch_1.pth']


def _nan_from_epoch(runner, epoch):
    """Wrap the loop's run_epoch: from ``epoch`` (0-based) on, the weights
    are NaN, so the next loss is NaN."""
    original = runner.train_loop.run_epoch

    def run_epoch():
        if runner.epoch >= epoch:
            with torch.no_grad():
                runner.model.linear.weight.fill_(float('nan'))
        original()

    return run_epoch


def test_nan_weights_and_nan_scores_are_never_saved(tmp_path):
    runner = _runner(tmp_path, max_epochs=1, save_best='acc', rule='greater')
    runner.train()
    hook = next(h for h in runner.hooks if isinstance(h, SafeCheckpointHook))
    hook._save_best_checkpoint(runner, dict(acc=0.5))
    best = sorted(p.name for p in tmp_path.glob('best_*.pth'))
    assert best == ['best_acc_epoch_1.pth']
    hook._save_best_checkpoint(runner, dict(acc=math.nan))
    assert sorted(p.name for p in tmp_path.glob('best_*.pth')) == best
    with torch.no_grad():
        runner.model.linear.weight.fill_(float('nan'))
    with pytest.raises(NonFiniteTrainingError, match='linear.weight'):
        hook._save_best_checkpoint(runner, dict(acc=0.9))
    with pytest.raises(NonFiniteTrainingError, match='epoch_1.pth'):
        hook._save_checkpoint(runner)
    assert sorted(p.name for p in tmp_path.glob('best_*.pth')) == best
    assert runner.message_hub.get_info('best_score') == 0.5
