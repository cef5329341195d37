"""KeepRatioScheduleHook: the PPT keep-ratio schedule and its log."""
import glob
import json
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn

from mmhuman_ext.engine.hooks import KeepRatioScheduleHook
from mmhuman_ext.engine.hooks.keep_ratio_schedule_hook import \
    scheduled_keep_ratio
from mmhuman_ext.models.layers import HumanTokenIdentification


@pytest.mark.parametrize('epoch,expected', [(0, 1.0), (5, 1.0), (9, 1.0),
                                            (10, 1.0), (60, 0.85), (110, 0.7),
                                            (250, 0.7)])
def test_schedule_values(epoch, expected):
    assert scheduled_keep_ratio(epoch, 0, 500, 0.7) == pytest.approx(expected)


def test_schedule_is_a_per_iteration_cosine():
    ratios = [
        scheduled_keep_ratio(e, i, 4, 0.7) for e in range(8, 112)
        for i in range(4)
    ]
    assert all(a >= b for a, b in zip(ratios, ratios[1:]))
    # a quarter of the way through the decay: r + (1 - r)(1 + cos(pi/4))/2
    quarter = 0.7 + 0.3 * (1 + 2**-0.5) / 2
    assert scheduled_keep_ratio(35, 0, 4, 0.7) == pytest.approx(quarter)
    assert scheduled_keep_ratio(35, 2, 4, 0.7) < quarter


class _Toy(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 1)
        self.hti = HumanTokenIdentification(keep_ratio=0.7)
        self.seen = []

    def forward(self, inputs, data_samples=None, mode='tensor'):
        self.seen.append((self.training, self.hti.keep_ratio))
        out = self.fc(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss=out.pow(2).mean())
        return [dict(value=v) for v in out]


def _fake_runner(model, epoch):
    hub = MessageHub.get_instance('keep_ratio_test')
    return SimpleNamespace(
        model=model,
        epoch=epoch,
        message_hub=hub,
        train_dataloader=[None] * 10)


def test_hook_sets_modules_and_logs():
    model = _Toy()
    hook = KeepRatioScheduleHook(warmup_epochs=10, decay_epochs=100)
    runner = _fake_runner(model, 60)
    hook.before_run(runner)
    assert hook.final_ratio == 0.7  # taken from the model
    hook.before_train_iter(runner, 0)
    assert model.hti.keep_ratio == pytest.approx(0.85)
    assert runner.message_hub.get_scalar('train/keep_ratio').current() == \
        pytest.approx(0.85)
    hook.before_val_epoch(runner)
    assert model.hti.keep_ratio == 0.7
    runner.epoch = 3
    hook.before_train_iter(runner, 4)
    assert model.hti.keep_ratio == 1.0
    hook.before_test_epoch(runner)
    assert model.hti.keep_ratio == 0.7


def test_hook_errors():
    with pytest.raises(ValueError, match=r'\(0, 1\]'):
        KeepRatioScheduleHook(final_ratio=1.5)
    with pytest.raises(ValueError, match='decay_epochs'):
        KeepRatioScheduleHook(decay_epochs=0)
    with pytest.raises(RuntimeError, match='no HumanTokenIdentification'):
        KeepRatioScheduleHook().before_run(_fake_runner(nn.Linear(1, 1), 0))
    model = _Toy()
    model.other = HumanTokenIdentification(keep_ratio=0.5)
    with pytest.raises(ValueError, match='different keep ratios'):
        KeepRatioScheduleHook().before_run(_fake_runner(model, 0))


def test_model_keep_ratio_is_the_one_source_of_truth():
    """An explicit final_ratio must repeat the model's value; a different
    one is refused instead of silently winning at test time."""
    model = _Toy()  # built with keep ratio 0.7
    hook = KeepRatioScheduleHook(final_ratio=0.7)
    hook.before_run(_fake_runner(model, 0))
    assert hook.final_ratio == 0.7
    model.hti.keep_ratio = 0.8  # e.g. --cfg-options model.head.keep_ratio
    hook = KeepRatioScheduleHook()
    runner = _fake_runner(model, 200)
    hook.before_run(runner)
    hook.before_train_iter(runner, 0)
    assert model.hti.keep_ratio == 0.8
    hook.before_test_epoch(runner)
    assert model.hti.keep_ratio == 0.8
    with pytest.raises(ValueError,
                       match=r'final_ratio=0.7 disagrees with the model\'s '
                       r'keep ratio 0.8'):
        KeepRatioScheduleHook(final_ratio=0.7).before_run(runner)


def test_schedule_in_a_training_log(tmp_path):
    """2 iterations per epoch, 1 warm-up and 1 decay epoch: the training log
    shows 1.0, 1.0 | 1.0, 0.85 | 0.7, 0.7; validation runs at 0.7."""
    model = _Toy()
    data = [dict(inputs=torch.ones(2))] * 4
    loader = dict(
        dataset=data,
        batch_size=2,
        sampler=dict(type='DefaultSampler', shuffle=False))
    runner = Runner(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=loader,
        val_dataloader=loader,
        val_evaluator=dict(
            type='mmengine.DumpResults',
            out_file_path=str(tmp_path / 'val.pkl')),
        val_cfg=dict(),
        train_cfg=dict(by_epoch=True, max_epochs=3, val_interval=3),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        custom_hooks=[
            dict(
                type='KeepRatioScheduleHook',
                final_ratio=0.7,
                warmup_epochs=1,
                decay_epochs=1)
        ],
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=1), checkpoint=None),
        default_scope='mmhuman_ext')
    runner.train()
    train = [r for t, r in model.seen if t]
    assert train == pytest.approx([1.0, 1.0, 1.0, 0.85, 0.7, 0.7])
    assert {r for t, r in model.seen if not t} == {0.7}
    scalars, = glob.glob(osp.join(tmp_path, '*', 'vis_data', 'scalars.json'))
    with open(scalars) as f:
        logged = [json.loads(line).get('keep_ratio') for line in f]
    assert [r for r in logged if r is not None] == pytest.approx(train)
    log, = glob.glob(osp.join(tmp_path, '*', '*.log'))
    with open(log) as f:
        assert 'keep_ratio: 0.8500' in f.read()
