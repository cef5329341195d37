"""Registries: scopes, mixing packages in one config, use from mmpose/mmagic."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmhuman_ext import registry as ours

TINY = 'tests/data/configs/tiny_topdown_gn.py'


def test_registries_are_children_of_mmpose_in_our_scope():
    from mmpose import registry as mmpose_registry
    for name in ('MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS',
                 'KEYPOINT_CODECS', 'VISUALIZERS'):
        reg = getattr(ours, name)
        assert reg.scope == 'mmhuman_ext'
        assert reg.parent is getattr(mmpose_registry, name)
    # our names and mmpose's bare names resolve in our scope
    assert ours.HOOKS.get('AverageLogVarsHook').__module__.startswith(
        'mmhuman_ext')
    assert ours.MODELS.get('TopdownPoseEstimator').__module__.startswith(
        'mmpose')


def _train_one_epoch(cfg, work_dir):
    cfg.work_dir = str(work_dir)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=10)
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.test_dataloader = cfg.test_evaluator = cfg.test_cfg = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.experiment_name = f'{cfg.default_scope}_{id(cfg)}'
    runner = Runner.from_cfg(cfg)
    before = copy.deepcopy(runner.model.state_dict())
    runner.train()
    after = runner.model.state_dict()
    return runner, any(not torch.equal(before[k], after[k]) for k in before
                       if after[k].is_floating_point())


def test_one_config_mixes_ours_mmpose_mmdet_and_mmagic(tmp_path):
    cfg = Config.fromfile(TINY)
    cfg.model.backbone = dict(  # mmdet's ResNet, by scope prefix
        type='mmdet.ResNet', depth=18, base_channels=8, num_stages=1,
        strides=(1, ), dilations=(1, ), out_indices=(0, ),
        norm_cfg=dict(type='GN', num_groups=4))
    cfg.model.head.loss = dict(type='mmpose.KeypointMSELoss',
                               use_target_weight=True)
    pipeline = cfg.train_dataloader.dataset.pipeline
    pipeline[0] = dict(type='mmagic.LoadImageFromFile', key='img')
    assert cfg.train_dataloader.dataset.type == 'SyntheticCocoDataset'
    assert dict(type='AverageLogVarsHook') in cfg.custom_hooks
    runner, changed = _train_one_epoch(cfg, tmp_path)
    from mmdet.models.backbones import ResNet as MMDetResNet
    from mmagic.datasets.transforms import LoadImageFromFile
    assert isinstance(runner.model.backbone, MMDetResNet)
    assert isinstance(runner.train_dataloader.dataset.pipeline.transforms[0],
                      LoadImageFromFile)
    assert changed


def test_our_components_from_a_plain_mmpose_config(tmp_path):
    cfg = Config.fromfile(TINY)
    cfg.default_scope = 'mmpose'
    cfg.custom_imports = dict(imports=['mmhuman_ext'],
                              allow_failed_imports=False)
    cfg.train_dataloader.dataset.type = 'mmhuman_ext.SyntheticCocoDataset'
    cfg.custom_hooks = [dict(type='mmhuman_ext.AverageLogVarsHook')]
    cfg = Config.fromstring(cfg.pretty_text, '.py')  # as if read from disk
    runner, changed = _train_one_epoch(cfg, tmp_path)
    assert type(runner.train_dataloader.dataset).__name__ == \
        'SyntheticCocoDataset'
    assert any(type(h).__name__ == 'AverageLogVarsHook'
               for h in runner.hooks)
    assert changed


def test_our_components_from_a_plain_mmagic_config():
    from mmagic.registry import DATASETS, HOOKS, MODELS
    cfg = Config(dict(
        default_scope='mmagic',
        custom_imports=dict(imports=['mmhuman_ext']),
        model=dict(type='BaseEditModel',
                   generator=dict(type='SRCNNNet'),
                   pixel_loss=dict(type='L1Loss')),
        custom_hooks=[dict(type='mmhuman_ext.AverageLogVarsHook')],
        dataset=dict(type='mmhuman_ext.SyntheticCocoDataset',
                     generator_cfg=dict(num_train=8, num_val=4,
                                        img_size=(128, 96), seed=3),
                     ann_file='annotations/person_keypoints_val.json',
                     data_prefix=dict(img='val/'), test_mode=True,
                     pipeline=[dict(type='mmagic.LoadImageFromFile',
                                    key='img')])))
    with DefaultScope.overwrite_default_scope('mmagic'):
        model = MODELS.build(cfg.model)
        hook = HOOKS.build(cfg.custom_hooks[0])
        dataset = DATASETS.build(cfg.dataset)
    assert type(model).__module__.startswith('mmagic')
    assert type(hook).__module__.startswith('mmhuman_ext')
    sample = dataset[0]
    assert sample['img'].ndim == 3 and len(sample['bbox']) == 1


def test_unknown_name_message_lists_scopes():
    from mmhuman_ext.utils.errors import explain_unknown_type
    with pytest.raises(KeyError) as info, \
            DefaultScope.overwrite_default_scope('mmhuman_ext'):
        ours.MODELS.build(dict(type='HeatmapHaed'))
    message = explain_unknown_type(info.value)
    assert 'mmhuman_ext -> mmpose -> mmengine' in message
    assert 'HeatmapHead' in message
