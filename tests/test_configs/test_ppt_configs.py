"""configs/ppt: exact parameter counts and the paper's recipe."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmhuman_ext.models.layers import (HumanTokenIdentification,
                                       PostNormTransformerLayer)
from mmhuman_ext.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))



def _cfg(name):
    return Config.fromfile(osp.join(ROOT, 'configs', 'ppt', name + '.py'))


# trainable parameters of the official model classes (docs/ppt.md); the
# frozen 16x16x192 sine table (49,152 values) is a buffer, not counted
@pytest.mark.parametrize('name,params', [
    ('ppt-s_4xb32-300e_coco-256x192', 6_620_736),
    ('tokenpose-s_4xb32-300e_coco-256x192', 6_620_736),
    ('ppt-b_4xb32-300e_coco-256x192', 13_465_216),
    ('tokenpose-b_4xb32-300e_coco-256x192', 13_465_216),
    ('ppt-l-d6_4xb32-300e_coco-256x192', 20_300_064),
    ('tokenpose-l-d6_4xb32-300e_coco-256x192', 20_300_064),
    ('ppt-s_4xb32-300e_mpii-256x256', 7_760_640),
    ('ppt-b_4xb32-300e_mpii-256x256', 14_433_088),
    ('ppt-s_4xb32-300e_coco-256x256', 7_760_832),
    ('tokenpose-s_4xb32-300e_coco-256x256', 7_760_832),
    ('tokenpose-s_4xb32-300e_mpii-256x256', 7_760_640),
    ('tokenpose-b_4xb32-300e_mpii-256x256', 14_433_088),
    ('ppt-s-r08_4xb32-300e_coco-256x192', 6_620_736),
    ('ppt-s-r06_4xb32-300e_coco-256x192', 6_620_736),
    ('ppt-s-r08_4xb32-300e_mpii-256x256', 7_760_640),
    ('ppt-s-r06_4xb32-300e_mpii-256x256', 7_760_640),
    ('ppt-l-d6-prune3_4xb32-300e_coco-256x192', 20_300_064),
])
def test_parameter_counts(name, params):
    model = MODELS.build(_cfg(name).model)
    assert sum(p.numel() for p in model.parameters()
               if p.requires_grad) == params
    assert model.head.pos_embed.numel() == 16 * 16 * 192


@pytest.mark.parametrize('name', [
    'ppt-s_4xb32-300e_coco-256x192', 'ppt-b_4xb32-300e_coco-256x192',
    'ppt-l-d6_4xb32-300e_coco-256x192', 'ppt-s_4xb32-300e_mpii-256x256',
    'ppt-b_4xb32-300e_mpii-256x256'
])
def test_recipe(name):
    cfg = _cfg(name)
    head = cfg.model.head
    mpii = 'mpii' in name
    assert head.keep_ratio == 0.7
    assert head.qk_scale == ('dim' if name.startswith('ppt-s') else 'head')
    assert head.prune_layers == ((1, 3, 4) if 'l-d6' in name else (3, 6, 9))
    assert head.num_keypoints == (16 if mpii else 17)
    codec = cfg.codec
    assert codec.unbiased and codec.blur_kernel_size == 11 and codec.sigma == 2
    assert codec.input_size == ((256, 256) if mpii else (192, 256))
    assert head.heatmap_size == codec.heatmap_size
    assert [4 * s for s in head.feat_size] == list(codec.input_size)
    assert cfg.model.test_cfg == dict(
        flip_test=True, flip_mode='heatmap', shift_heatmap=False)
    assert head.loss.loss_weight == 0.5
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-3)
    assert cfg.param_scheduler[0].milestones == [200, 260]
    assert cfg.train_cfg.max_epochs == 300
    assert cfg.train_dataloader.batch_size == 32
    hook, = [h for h in cfg.custom_hooks if h.type == 'KeepRatioScheduleHook']
    # the schedule's target is the model's keep ratio, written once
    assert 'final_ratio' not in hook
    assert (hook.warmup_epochs, hook.decay_epochs) == (10, 100)
    # the official clipped-normal scale / rotation (JointsDataset.py)
    bbox, = [
        t for t in cfg.train_pipeline
        if t.type == 'ClippedNormalBBoxTransform'
    ]
    assert bbox.rotate_prob == 0.6 and bbox.rotate_clip == 2
    assert (bbox.rotate_sigma, bbox.scale_sigma) == ((30, 0.25) if mpii else
                                                     (45, 0.35))
    assert not any(t.type == 'RandomBBoxTransform'
                   for t in cfg.train_pipeline)
    assert any(t.type == 'RandomHalfBody' for t in cfg.train_pipeline) != mpii
    assert cfg.test_dataloader.dataset.pipeline == cfg.val_pipeline


@pytest.mark.parametrize('variant', ['s', 'b', 'l-d6'])
def test_tokenpose_is_ppt_without_pruning(variant):
    tokenpose = _cfg(f'tokenpose-{variant}_4xb32-300e_coco-256x192')
    ppt = _cfg(f'ppt-{variant}_4xb32-300e_coco-256x192')
    assert tokenpose.model.head.keep_ratio == 1.0
    assert not any(h.type == 'KeepRatioScheduleHook'
                   for h in tokenpose.custom_hooks)
    tokenpose.model.head.keep_ratio = 0.7
    assert tokenpose.model == ppt.model


def test_hti_mixed_into_post_norm_encoder():
    """projects/hti_post_norm: one layer_cfg entry puts HTI into a DETR /
    TransPose-style post-norm encoder."""
    cfg = Config.fromfile(
        osp.join(ROOT, 'projects', 'hti_post_norm', 'configs',
                 'tokenpose-postnorm-hti_4xb32-300e_coco-256x192.py'))
    model = MODELS.build(cfg.model).eval()
    encoder = model.head.transformer
    assert all(
        isinstance(layer, PostNormTransformerLayer)
        for layer in encoder.layers)
    assert [
        type(m).__name__ for m in model.modules()
        if isinstance(m, HumanTokenIdentification)
    ] == ['HumanTokenIdentification']
    tokens = torch.randn(1, 17 + 256, 192)
    with torch.no_grad():
        out, kept = encoder(tokens, model.head.pos_embed, return_indices=True)
    assert [k.shape[1] for k in kept] == [180, 126, 89]
    assert out.shape == (1, 17 + 89, 192)


def test_usable_from_an_mmpose_scope():
    """An mmpose config (default_scope='mmpose') reaches the PPT parts with
    the ``mmhuman_ext.`` prefix."""
    from mmengine.registry import DefaultScope
    from mmpose.registry import MODELS as MMPOSE_MODELS
    model_cfg = _cfg('ppt-s_4xb32-300e_coco-256x192').model
    model_cfg.backbone.type = 'mmhuman_ext.TruncatedHRNet'
    model_cfg.head.type = 'mmhuman_ext.PPTHead'
    with DefaultScope.overwrite_default_scope('mmpose'):
        model = MMPOSE_MODELS.build(model_cfg)
    assert type(model.head).__name__ == 'PPTHead'
    assert type(model).__module__.startswith('mmpose.')


def test_macs_match_the_official_model():
    """MACs of one 256x192 image, attention products included (math SDPA
    kernel, so FlopCounterMode sees them): the official classes give
    2.726 G for TokenPose-S and 2.186 G for PPT-S (r = 0.7; docs/ppt.md);
    ours adds only the keypoint rows of the attention in the 3 pruning
    layers."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode
    model = MODELS.build(_cfg('ppt-s_4xb32-300e_coco-256x192').model).eval()
    image = torch.zeros(1, 3, 256, 192)
    macs = []
    for ratio in (1.0, 0.7):
        model.head.keep_ratio = ratio
        with torch.no_grad(), sdpa_kernel(SDPBackend.MATH), \
                FlopCounterMode(display=False) as counter:
            model(image, None, mode='tensor')
        macs.append(counter.get_total_flops() / 2e9)
    assert macs[0] == pytest.approx(2.726, abs=1e-3)
    assert 2.186 <= macs[1] <= 2.186 + 3e-3
    assert 0.18 < 1 - macs[1] / macs[0] < 0.22


def test_keep_ratio_override_trains_and_tests_at_that_ratio(
        tmp_path, monkeypatch):
    """``--cfg-options model.head.keep_ratio=0.8`` on the PPT demo config:
    the schedule decays to 0.8 and validation and test prune at 0.8 (the
    hook takes its target from the model)."""
    from mmhuman_ext.utils.run import build_runner
    monkeypatch.setenv('MMHUMAN_EXT_DATA', str(tmp_path / 'data'))
    # the Runner formats the config with yapf for every log line and
    # checkpoint (slow on a busy CPU); a plain dump suffices here
    monkeypatch.setattr(Config, 'pretty_text',
                        property(lambda self: repr(self.to_dict())))
    path = osp.join(ROOT, 'configs', 'demo',
                    'ppt-s-tiny_1xb16-60e_synthcoco-128x96.py')
    cfg = Config.fromfile(path)
    cfg.merge_from_dict({'model.head.keep_ratio': 0.8})  # as --cfg-options
    tiny = dict(num_train=8, num_val=4, img_size=(128, 96), seed=3)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg.merge_from_dict({
            f'{loader}.dataset.generator_cfg': tiny,
            f'{loader}.batch_size': 4,
            f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False
        })
    cfg.merge_from_dict({
        'train_cfg.max_epochs': 2,
        'train_cfg.val_interval': 2,
        'custom_hooks.1.warmup_epochs': 0,
        'custom_hooks.1.decay_epochs': 1,
        'default_hooks.checkpoint.interval': 2,
        'visualizer.vis_backends': [dict(type='LocalVisBackend')],
        'work_dir': str(tmp_path / 'work')
    })
    seen = []

    def record(runner):
        runner.model.head.transformer.register_forward_pre_hook(
            lambda enc, args: seen.append((enc.training, enc.keep_ratio)))

    runner = build_runner(cfg, path)
    record(runner)
    runner.train()
    train = [r for t, r in seen if t]
    assert train[0] == 1.0 and train[-1] == pytest.approx(0.8)
    assert min(train) == pytest.approx(0.8)
    assert {r for t, r in seen if not t} == {0.8}  # validation
    seen.clear()
    cfg.load_from = str(tmp_path / 'work' / 'epoch_2.pth')
    runner = build_runner(cfg, path)
    record(runner)
    runner.test()
    assert seen and {r for _, r in seen} == {0.8}


@pytest.mark.parametrize('name,ratio,prune,hooked', [
    ('tokenpose-s_4xb32-300e_mpii-256x256', 1.0, (3, 6, 9), False),
    ('tokenpose-b_4xb32-300e_mpii-256x256', 1.0, (3, 6, 9), False),
    ('tokenpose-s_4xb32-300e_coco-256x256', 1.0, (3, 6, 9), False),
    ('ppt-s-r08_4xb32-300e_coco-256x192', 0.8, (3, 6, 9), True),
    ('ppt-s-r06_4xb32-300e_coco-256x192', 0.6, (3, 6, 9), True),
    ('ppt-s-r08_4xb32-300e_mpii-256x256', 0.8, (3, 6, 9), True),
    ('ppt-s-r06_4xb32-300e_mpii-256x256', 0.6, (3, 6, 9), True),
    ('ppt-l-d6-prune3_4xb32-300e_coco-256x192', 0.7, (3, ), True),
])
def test_table_row_variants(name, ratio, prune, hooked):
    """Tables 3.2-3.4 rows: the keep ratio and pruning layers of the row,
    the schedule only where tokens are pruned."""
    cfg = _cfg(name)
    assert cfg.model.head.keep_ratio == ratio
    assert tuple(cfg.model.head.prune_layers) == prune
    hooks = [h.type for h in cfg.custom_hooks]
    assert ('KeepRatioScheduleHook' in hooks) == hooked


def test_multiview_table_rows():
    """Table 3.5 / 3.7 rows: #V = 2 fuses fixed pairs; the TokenPose rows
    do not prune; #V = 1 rows do not fuse."""
    two = _cfg('ppt-s-multiview-2v_4xb8-20e_h36m-256x256').model
    assert two.view_mode == 'pairs' and two.test_pairs == [(0, 2), (1, 3)]
    both = _cfg('tokenpose-s-multiview_4xb8-20e_h36m-256x256').model
    assert both.head.keep_ratio == 1.0 and both.head.fusion_start_layer == 10
    for name in ('tokenpose-s-multiview-nofusion_4xb8-20e_h36m-256x256',
                 'tokenpose-s-multiview-nofusion_4xb8-20e_skipose-256x256'):
        model = _cfg(name).model
        assert model.head.keep_ratio == 1.0
        assert model.head.fusion_start_layer == 12
        assert not model.head.use_3d_pe
    assert _cfg('tokenpose-s-multiview-nofusion_4xb8-20e_skipose-256x256'
                ).model.num_views == 6
