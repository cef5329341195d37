"""Safe checkpoint loading on torch >= 2.6 and crash-safe checkpoint
writes."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.fileio.backends import LocalBackend
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner, load_checkpoint

from mmhuman_ext.utils.checkpoint import (CorruptCheckpointError,
                                          UnsafeCheckpointError,
                                          load_checkpoint_file)


class _ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)

    def forward(self, x, y, mode='tensor'):
        pred = self.linear(x)
        if mode == 'loss':
            return dict(loss=((pred - y)**2).mean())
        return [dict(pred=p) for p in pred]


def _runner(work_dir, max_epochs, resume=False):
    gen = torch.Generator().manual_seed(0)
    data = [dict(x=torch.randn(2, generator=gen), y=torch.randn(1, generator=gen))
            for _ in range(8)]
    loader = dict(dataset=data, batch_size=4, collate_fn=dict(
        type='default_collate'), sampler=dict(type='DefaultSampler',
                                               shuffle=False))
    torch.manual_seed(0)
    return Runner(
        model=_ToyModel(), work_dir=str(work_dir), train_dataloader=loader,
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[1]),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        resume=resume, default_scope='mmengine', randomness=dict(seed=0),
        experiment_name=f'toy_{max_epochs}_{resume}')


def test_runner_checkpoint_resumes(tmp_path):
    straight = _runner(tmp_path / 'straight', 3)
    straight.train()
    first = _runner(tmp_path / 'split', 2)
    first.train()
    ckpt = load_checkpoint_file(tmp_path / 'split' / 'epoch_2.pth')
    # the runner's checkpoint holds exactly the non-tensor types we allow
    assert isinstance(ckpt['message_hub']['log_scalars']['train/loss'],
                      HistoryBuffer)
    resumed = _runner(tmp_path / 'split', 3, resume=True)
    resumed.train()
    assert resumed.iter == straight.iter == 6
    for a, b in zip(straight.model.parameters(),
                    resumed.model.parameters()):
        torch.testing.assert_close(a, b)


def test_load_from_and_numpy_values(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(state_dict=_ToyModel().state_dict(),
                    meta=dict(array=np.arange(3), value=np.float32(2.5),
                              empty=np.array([]))),
               path)
    model = _ToyModel()
    ckpt = load_checkpoint(model, str(path))
    assert ckpt['meta']['value'] == np.float32(2.5)
    np.testing.assert_array_equal(ckpt['meta']['array'], np.arange(3))
    assert ckpt['meta']['empty'].shape == (0, )


class _RunsCode:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class _GetattrOther:

    def __reduce__(self):
        return (getattr, (HistoryBuffer, 'update'))


def test_code_in_a_checkpoint_is_refused_and_not_run(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, payload=_RunsCode(marker)), path)
    with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
        load_checkpoint(_ToyModel(), str(path))
    assert not marker.exists()


def test_only_statistic_getattr_is_allowed(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save(dict(payload=_GetattrOther()), path)
    with pytest.raises(UnsafeCheckpointError, match="'update'"):
        load_checkpoint_file(path)


def test_missing_checkpoint_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint_file(tmp_path / 'nope.pth')


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / 'epoch_1.pth'
    LocalBackend().put(b'good checkpoint', path)

    with pytest.raises(TypeError):
        LocalBackend().put(object(), path)  # write fails midway
    assert path.read_bytes() == b'good checkpoint'
    assert os.listdir(tmp_path) == ['epoch_1.pth']


def test_process_killed_while_saving_keeps_previous_checkpoint(tmp_path):
    """A SIGKILL between writing and renaming leaves the old file usable."""
    path = tmp_path / 'latest.pth'
    torch.save(dict(state_dict=dict(w=torch.ones(3))), path)
    script = f'''
import os, signal, torch
from mmhuman_ext.utils import apply_compat
apply_compat()
from mmengine.runner import save_checkpoint
os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
save_checkpoint(dict(state_dict=dict(w=torch.zeros(1_000_000))), {str(path)!r})
'''
    proc = subprocess.run([sys.executable, '-c', script])
    assert proc.returncode == -9
    ckpt = load_checkpoint_file(path)
    torch.testing.assert_close(ckpt['state_dict']['w'], torch.ones(3))


def test_truncated_checkpoint_names_the_file(tmp_path):
    path = tmp_path / 'epoch_3.pth'
    torch.save(dict(state_dict=dict(w=torch.ones(1000))), path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(CorruptCheckpointError,
                       match=r'epoch_3\.pth \(300 bytes\).*truncated'):
        load_checkpoint_file(path)
