"""ORFNT editor on a tiny model of the real architecture: one train step of
every stage, freezing, inference with and without the source cache,
prediction fields, ablation switches and bad input."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.structures import BaseDataElement

from mmhuman_ext.registry import MODELS


def tiny_cfg(stage='joint', in_size=32, upscale=2, **kw):
    cfg = dict(
        type='ORFNTMotionTransfer', train_stage=stage,
        data_preprocessor=dict(type='MotionTransferDataPreprocessor',
                               in_size=in_size),
        motion_net=dict(type='DensePoseFlowNet', base_channels=4,
                        tex_signal_ch=12, geo_signal_ch=8),
        warp_generator=dict(type='MultiScaleWarpingGenerator',
                            channels=(16, 8, 8), bottleneck_blocks=1),
        texture_branch=dict(
            type='NeuralTextureBranch', encoder_channels=(8, 8, 16, 16, 16),
            code_channels=16, tex_signal_ch=12, geo_signal_ch=8,
            translator_channels=16, num_res_blocks=1,
            atlas_up_channels=(16, 16, 16), tex_channels=4,
            geo_up_channels=(16, 8, 8, 8)),
        blender=dict(type='BlenderNet', base_channels=8, upscale=upscale),
        discriminator=dict(type='ResNetPatchDiscriminator', base_channels=4,
                           max_channels=8, num_down=3),
        vgg=dict(type='VGG19FeatureExtractor',
                 layers=('relu1_1', 'relu2_1', 'relu3_1')),
        loss_cfg=dict(
            corr=dict(type='PerceptualCorrectnessLoss',
                      layers=('relu3_1', 'relu2_1', 'relu2_1')),
            aff=dict(type='AffineRegularizationLoss'),
            tv=dict(type='FlowTVLoss'),
            cons=dict(type='MultiScaleFlowConsistencyLoss'),
            uv=dict(type='DensePoseUVLoss'), seg=dict(type='DensePoseSegLoss'),
            ml1=dict(type='MaskedL1Loss'),
            per=dict(type='PyramidPerceptualLoss', scales=(1, 0.5)),
            rec=dict(type='mmagic.L1Loss'), bce=dict(type='MaskBCELoss'),
            gan=dict(type='mmagic.GANLoss', gan_type='lsgan')))
    cfg.update(kw)
    return cfg


def _sample(seed, size=64, iuv_size=48):
    gen = torch.Generator().manual_seed(seed)

    def iuv():
        parts = torch.randint(0, 25, (1, iuv_size, iuv_size),
                              generator=gen).float()
        return torch.cat([parts, torch.rand(2, iuv_size, iuv_size,
                                            generator=gen)])

    return dict(
        source_img=torch.randint(0, 256, (3, size, size), dtype=torch.uint8,
                                 generator=gen),
        driving_img=torch.randint(0, 256, (3, size, size), dtype=torch.uint8,
                                  generator=gen),
        source_iuv=iuv(), driving_iuv=iuv(),
        source_mask=torch.rand(1, size, size, generator=gen),
        driving_mask=torch.rand(1, size, size, generator=gen))


def _batch(n=2):
    samples = [_sample(i) for i in range(n)]
    inputs = {k: torch.stack([s[k] for s in samples]) for k in samples[0]}
    metas = [BaseDataElement(metainfo=dict(video_id=f'v{i}', drv_idx=i))
             for i in range(n)]
    return dict(inputs=inputs, data_samples=metas)


def _optim(model):
    return OptimWrapperDict(
        generator=OptimWrapper(torch.optim.Adam(
            model.generator.parameters(), 1e-3)),
        discriminator=OptimWrapper(torch.optim.Adam(
            model.discriminator.parameters(), 1e-3)))


STAGE_LOSSES = dict(
    geometry={'loss_uv', 'loss_seg', 'loss_ml1', 'loss_bce_nt'},
    warping={'loss_corr', 'loss_aff', 'loss_tv', 'loss_cons', 'loss_uv',
             'loss_seg', 'loss_per_2d', 'loss_rec_2d', 'loss_bce_2d'},
    blender_sr={'loss_per', 'loss_rec', 'loss_bce', 'loss_gan_g',
                'loss_d_real', 'loss_d_fake'},
)
STAGE_LOSSES['joint'] = STAGE_LOSSES['geometry'] | STAGE_LOSSES[
    'warping'] | STAGE_LOSSES['blender_sr']
STAGE_LOSSES['e2e'] = STAGE_LOSSES['joint']


@pytest.mark.parametrize('stage', list(STAGE_LOSSES))
def test_train_step_of_every_stage_updates_only_its_modules(stage):
    torch.manual_seed(0)
    if stage == 'e2e':
        cfg = tiny_cfg(stage, in_size=64, upscale=1)
    else:
        cfg = tiny_cfg(stage)
    model = MODELS.build(cfg)
    optim = _optim(model)
    frozen = {n: p.detach().clone() for n, p in
              model.generator.named_parameters() if not p.requires_grad}
    trainable = {n: p.detach().clone() for n, p in
                 model.generator.named_parameters() if p.requires_grad}
    frozen_stats = {n: b.clone() for n, b in model.generator.named_buffers()
                    if n.rsplit('.', 1)[0] in {
                        m.rsplit('.', 1)[0] for m in frozen}}
    d_before = copy.deepcopy(model.discriminator.state_dict())
    batch = _batch()
    for _ in range(3):
        log = model.train_step(batch, optim)
    keys = {k for k in log if k not in ('loss', 'loss_d')}
    assert keys == STAGE_LOSSES[stage]
    assert all(torch.isfinite(v) for v in log.values())
    for n, p in model.generator.named_parameters():
        if n in frozen:
            assert torch.equal(p, frozen[n]), n
    # BatchNorm statistics of frozen networks do not move either
    for n, b in model.generator.named_buffers():
        if n in frozen_stats:
            assert torch.equal(b, frozen_stats[n]), n
    changed = [n for n, p in model.generator.named_parameters()
               if n in trainable and not torch.equal(p, trainable[n])]
    assert changed
    d_changed = any(not torch.equal(v, d_before[k])
                    for k, v in model.discriminator.state_dict().items())
    assert d_changed == ('loss_d_real' in keys)


def test_stage_trainable_sets():
    model = MODELS.build(tiny_cfg('geometry'))

    def trainable(module):
        return {n.split('.')[0] for n, p in module.named_parameters()
                if p.requires_grad}

    g = model.generator
    assert trainable(g) == {'motion_net', 'texture_branch'}
    assert trainable(g.motion_net) == {
        'enc0', 'enc1', 'enc2', 'enc3', 'enc4', 'tex_signal_head',
        'geo_signal_head'}
    model.set_train_stage('warping')
    assert trainable(g) == {'motion_net', 'warp_generator'}
    model.set_train_stage('joint')
    assert trainable(g) == {'motion_net', 'warp_generator',
                            'texture_branch', 'blender'}
    assert not any(p.requires_grad for p in g.blender.sr.parameters())
    model.set_train_stage('blender_sr')
    assert trainable(g) == {'blender'}
    assert all(p.requires_grad for p in g.blender.sr.parameters())
    with pytest.raises(ValueError, match='train_stage must be one of'):
        model.set_train_stage('stage3')


def test_animate_with_and_without_the_source_cache():
    torch.manual_seed(0)
    model = MODELS.build(tiny_cfg()).eval()
    s = _sample(0)
    src = s['source_img'][None].float() / 127.5 - 1
    drivers = torch.stack([_sample(i)['driving_iuv'] for i in range(3)])
    out = model.animate(src, s['source_iuv'][None], drivers)
    assert out['fake'].shape == (3, 3, 64, 64)
    assert out['mask'].shape == (3, 1, 64, 64)
    assert out['fake'].abs().max() <= 1
    cache = model.encode_source(src, s['source_iuv'][None])
    cached = model.animate(src, s['source_iuv'][None], drivers,
                           source_cache=cache)
    torch.testing.assert_close(cached['fake'], out['fake'])
    one = model.animate(src, s['source_iuv'][None], drivers[1:2])
    torch.testing.assert_close(one['fake'][0], out['fake'][1], atol=1e-5,
                               rtol=1e-4)
    # the tensor mode used by the benchmarks gives the same frames
    inputs = model.data_preprocessor(dict(inputs=dict(
        source_img=s['source_img'][None], source_iuv=s['source_iuv'][None],
        driving_iuv=drivers[:1])))['inputs']
    image, _ = model(inputs, mode='tensor')
    torch.testing.assert_close(image[0], out['fake'][0], atol=1e-5,
                               rtol=1e-4)


def test_predict_fields_and_metainfo():
    model = MODELS.build(tiny_cfg('blender_sr')).eval()
    batch = _batch()
    with torch.no_grad():
        preds = model.val_step(batch)
    assert len(preds) == 2
    p = preds[1]
    assert p.video_id == 'v1' and p.drv_idx == 1
    assert p.pred_img.shape == p.gt_img.shape == p.src_img.shape == (3, 64,
                                                                     64)
    assert p.pred_mask.shape == (1, 64, 64)
    assert p.pred_iuv.shape == (3, 32, 32)
    expected_gt = batch['inputs']['driving_img'][1].float() / 127.5 - 1
    torch.testing.assert_close(p.gt_img, expected_gt)


def test_output_size_is_derived_and_a_disagreeing_one_refused():
    model = MODELS.build(tiny_cfg(in_size=32, upscale=2))
    assert model.out_size == model.data_preprocessor.out_size == 64
    assert MODELS.build(tiny_cfg(in_size=64, upscale=1)).out_size == 64
    # a configured value that agrees is kept, one that disagrees is refused
    cfg = tiny_cfg(in_size=32, upscale=2)
    cfg['data_preprocessor']['out_size'] = 64
    assert MODELS.build(cfg).data_preprocessor.out_size == 64
    cfg['data_preprocessor']['out_size'] = 256
    with pytest.raises(ValueError, match=(
            r'data_preprocessor.out_size=256 disagrees with the output size '
            r'64 = model.data_preprocessor.in_size \(32\) x '
            r'model.blender.upscale \(2\)')):
        MODELS.build(cfg)


def test_predict_refuses_ground_truth_of_another_size():
    model = MODELS.build(tiny_cfg('blender_sr')).eval()
    data = model.data_preprocessor(_batch())
    inputs = data['inputs']
    # the low-resolution driving image is never taken as the ground truth
    inputs['drv_img_out'] = inputs['drv_img']
    with torch.no_grad(), pytest.raises(
            ValueError, match=r'drv_img_out"\] is 32 px but the model '
            'output is 64 px'):
        model(inputs, data['data_samples'], mode='predict')


def test_preprocessor_alone_needs_the_output_size():
    pre = MODELS.build(dict(type='MotionTransferDataPreprocessor',
                            in_size=32))
    with pytest.raises(ValueError, match='out_size is unset'):
        pre(_batch())


@pytest.mark.parametrize('switch,fused', [
    (dict(use_texture_branch=False), 8),
    (dict(use_warp_branch=False), 4),
])
def test_branch_ablations_build_and_train(switch, fused):
    model = MODELS.build(tiny_cfg('joint', **switch))
    assert model.generator.blender.in_channels == fused
    log = model.train_step(_batch(), _optim(model))
    assert torch.isfinite(log['loss'])
    if 'use_warp_branch' in switch:
        assert 'loss_per_2d' not in log and 'loss_uv' in log
        with pytest.raises(ValueError, match='needs the warping branch'):
            model.set_train_stage('warping')
    else:
        assert 'loss_uv' not in log and 'loss_per_2d' in log
        with pytest.raises(ValueError, match='needs the texture branch'):
            model.set_train_stage('geometry')


def test_occlusion_and_single_scale_switches_run():
    for kw in (dict(occlusion=False), dict(single_scale=True)):
        cfg = tiny_cfg('warping')
        cfg['warp_generator'] = dict(cfg['warp_generator'], **kw)
        model = MODELS.build(cfg)
        assert torch.isfinite(model.train_step(_batch(), _optim(model))[
            'loss'])


def test_bad_input_and_config_errors():
    model = MODELS.build(tiny_cfg())
    batch = _batch()
    batch['inputs']['driving_iuv'][0, 0, 0, 0] = 30
    with pytest.raises(ValueError, match=r'inputs\["driving_iuv"\]: part ids'):
        model.train_step(batch, _optim(model))
    batch = _batch()
    del batch['inputs']['source_iuv']
    with pytest.raises(ValueError, match=r'inputs\["source_iuv"\] is missing'):
        model.train_step(batch, _optim(model))
    cfg = tiny_cfg()
    cfg['blender'] = dict(cfg['blender'], in_channels=64)
    with pytest.raises(ValueError, match='blender.in_channels=64 but the '
                       'branches in use give 12'):
        MODELS.build(cfg)
    with pytest.raises(ValueError, match='unknown loss_cfg keys'):
        MODELS.build(tiny_cfg(loss_cfg=dict(l2=dict(type='FlowTVLoss'))))


def test_checkpoint_keys_do_not_depend_on_the_ddp_wrapping():
    model = MODELS.build(tiny_cfg())
    plain = model.state_dict()

    class Wrapper(torch.nn.Module):  # stands for MMDistributedDataParallel

        def __init__(self, module):
            super().__init__()
            self.module = module

    model._modules['generator'] = Wrapper(model._modules['generator'])
    model._modules['discriminator'] = Wrapper(model._modules['discriminator'])
    wrapped = model.state_dict()
    assert list(wrapped) == list(plain)
    fresh = MODELS.build(tiny_cfg())
    fresh.load_state_dict(wrapped)
    for key, value in plain.items():
        assert torch.equal(fresh.state_dict()[key], value)
