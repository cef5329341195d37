"""ORFNT networks: parameter counts of the default configuration, shapes,
identity flow at initialisation, occlusion gating, texture sampling and its
gradients, discriminator."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmhuman_ext.models.editors.motion_transfer.densepose_encoding import \
    encode_iuv_parts
from mmhuman_ext.models.editors.motion_transfer.texture_branch import \
    DifferentiableTextureMapper
from mmhuman_ext.registry import MODELS

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..', '..'))
CONFIG = osp.join(ROOT, 'configs/motion_transfer/'
                  'orfnt-s4-blender-sr_1xb8-200ki_ted-128to256.py')


def _default_model():
    cfg = Config.fromfile(CONFIG).model
    cfg.vgg.weights_path = None
    return MODELS.build(cfg)


def _random_iuv(b, size, gen=None):
    parts = torch.randint(0, 25, (b, 1, size, size), generator=gen).float()
    return torch.cat([parts, torch.rand(b, 2, size, size, generator=gen)], 1)


def test_default_generator_size_and_breakdown():
    model = _default_model()
    counts = model.parameter_breakdown()
    assert counts == {
        'motion_net': 11_734_667,
        'warp_generator': 7_329_988,
        'texture_branch': 14_781_133,
        'blender': 1_046_532,
        'generator (total)': 34_892_320,
        'discriminator': counts['discriminator'],
    }
    # paper: 34.84 M for the inference model
    assert 30e6 < counts['generator (total)'] < 40e6
    assert abs(counts['generator (total)'] - 34.84e6) / 34.84e6 < 0.01


def test_default_shapes_at_128_to_256():
    torch.manual_seed(0)
    model = _default_model().eval()
    b = 2
    src_dp = encode_iuv_parts(_random_iuv(b, 128))
    drv_dp = encode_iuv_parts(_random_iuv(b, 128))
    src = torch.rand(b, 3, 128, 128) * 2 - 1
    with torch.no_grad():
        out = model.generator(src, src_dp, drv_dp)
    assert out['tex_signal'].shape == (b, 384, 8, 8)
    assert out['geo_signal'].shape == (b, 256, 8, 8)
    for flow, occ, s in zip(out['flows'], out['occlusions'], (32, 64, 128)):
        assert flow.shape == (b, 2, s, s)
        assert occ.shape == (b, 1, s, s)
        assert 0 <= occ.min() and occ.max() <= 1
        # zero-initialised flow heads: the untrained MotionNet is the
        # identity warp
        assert flow.abs().max() == 0
    tex = out['texture']
    assert tex['atlas'].shape == (b, 24, 16, 64, 64)
    assert tex['seg_logits'].shape == (b, 25, 128, 128)
    torch.testing.assert_close(tex['part_prob'].sum(1),
                               torch.ones(b, 128, 128))
    for key in ('u', 'v'):
        assert tex[key].shape == (b, 24, 128, 128)
        assert 0 < tex[key].min() and tex[key].max() < 1
    assert tex['feature'].shape == (b, 16, 128, 128)
    assert out['warp']['feature'].shape == (b, 64, 128, 128)
    assert out['image'].shape == (b, 3, 256, 256)
    assert out['mask'].shape == (b, 1, 256, 256)
    assert out['image'].abs().max() <= 1
    assert 0 <= out['mask'].min() and out['mask'].max() <= 1


def _tiny_warp(**kw):
    return MODELS.build(dict(type='MultiScaleWarpingGenerator',
                             channels=(8, 6, 4), bottleneck_blocks=1, **kw))


def _pyramid(b=1, size=16):
    return [torch.randn(b, c, size // 4 * 2**i, size // 4 * 2**i)
            for i, c in enumerate((8, 6, 4))]


def test_occlusion_gating():
    torch.manual_seed(0)
    gen = _tiny_warp()
    feats = _pyramid()
    flows = [torch.randn(1, 2, f.shape[-1], f.shape[-1]) * 0.1
             for f in feats]
    zeros = [torch.zeros(1, 1, f.shape[-1], f.shape[-1]) for f in feats]
    ones = [torch.ones_like(z) for z in zeros]
    from mmhuman_ext.models.layers.flow_warp import warp_by_flow

    # o = 0: each level sees only its warped source feature
    out0 = gen(feats, flows, zeros)
    h = gen.res3(warp_by_flow(feats[2], flows[2]))
    torch.testing.assert_close(out0['feature'], h)
    # o = 1: the finest level sees only Up(h_2)
    out1 = gen(feats, flows, ones)
    h1 = gen.res1(torch.zeros_like(feats[0]))
    h2 = gen.res2(gen.up2(h1))
    torch.testing.assert_close(out1['feature'], gen.res3(gen.up3(h2)))
    # occlusion=False behaves like o = 0
    gen.occlusion = False
    torch.testing.assert_close(gen(feats, flows, ones)['feature'],
                               out0['feature'])


def test_single_scale_warps_only_the_finest_level():
    torch.manual_seed(0)
    gen = _tiny_warp(single_scale=True)
    feats = _pyramid()
    flows = [torch.randn(1, 2, f.shape[-1], f.shape[-1]) for f in feats]
    occ = [torch.full((1, 1, f.shape[-1], f.shape[-1]), 0.5) for f in feats]
    coarse_changed = [flows[0] * 5, flows[1] * 5, flows[2]]
    torch.testing.assert_close(gen(feats, flows, occ)['feature'],
                               gen(feats, coarse_changed, occ)['feature'])
    gen.single_scale = False
    assert not torch.allclose(gen(feats, flows, occ)['feature'],
                              gen(feats, coarse_changed, occ)['feature'])


def _ramp_atlas(parts=24, size=32):
    ramp = torch.linspace(0, 1, size)
    atlas = torch.zeros(1, parts, 3, size, size)
    atlas[0, :, 0] = ramp[None, None, :]  # u along columns (x)
    atlas[0, :, 1] = ramp[None, :, None]  # v along rows (y)
    atlas[0, :, 2] = (torch.arange(1, parts + 1) / 24.).view(parts, 1, 1)
    return atlas


def test_texture_sampling_of_ramps_reproduces_uv_and_part():
    size, h = 32, 20
    gen = torch.Generator().manual_seed(0)
    iuv = _random_iuv(1, h, gen)
    parts = iuv[:, 0].long()
    onehot = torch.nn.functional.one_hot(parts, 25).permute(0, 3, 1, 2)
    onehot = onehot[:, 1:].float()
    u = iuv[:, 1:2].expand(-1, 24, -1, -1)
    v = iuv[:, 2:3].expand(-1, 24, -1, -1)
    out = DifferentiableTextureMapper()(_ramp_atlas(size=size), u, v, onehot)
    fg = parts[0] > 0
    tol = 1 / size
    assert (out[0, 0][fg] - iuv[0, 1][fg]).abs().max() <= tol
    assert (out[0, 1][fg] - iuv[0, 2][fg]).abs().max() <= tol
    assert (out[0, 2][fg] - parts[0][fg] / 24.).abs().max() <= 1e-6
    assert out[0][:, ~fg].abs().max() == 0


def test_swapping_u_and_v_transposes_the_result():
    atlas = torch.randn(1, 2, 3, 8, 8)
    u = torch.rand(1, 2, 5, 5)
    v = torch.rand(1, 2, 5, 5)
    prob = torch.softmax(torch.randn(1, 2, 5, 5), 1)
    mapper = DifferentiableTextureMapper()
    a = mapper(atlas, u, v, prob)
    b = mapper(atlas.transpose(-1, -2), v, u, prob)
    torch.testing.assert_close(a, b)


def test_texture_mapping_gradcheck():
    gen = torch.Generator().manual_seed(0)
    atlas = torch.randn(1, 2, 2, 4, 4, dtype=torch.float64,
                        generator=gen).requires_grad_()
    # keep coordinates off texel borders, where bilinear is not smooth
    u = (torch.rand(1, 2, 3, 3, dtype=torch.float64, generator=gen) * 0.2
         + 0.4).requires_grad_()
    v = (torch.rand(1, 2, 3, 3, dtype=torch.float64, generator=gen) * 0.2
         + 0.1).requires_grad_()
    prob = torch.softmax(torch.randn(1, 2, 3, 3, dtype=torch.float64,
                                     generator=gen), 1).requires_grad_()
    assert torch.autograd.gradcheck(DifferentiableTextureMapper(),
                                    (atlas, u, v, prob))


def test_mapper_names_bad_shapes():
    with pytest.raises(ValueError, match='needs u, v, part_prob'):
        DifferentiableTextureMapper()(torch.zeros(1, 24, 3, 8, 8),
                                      torch.zeros(1, 23, 4, 4),
                                      torch.zeros(1, 23, 4, 4),
                                      torch.zeros(1, 23, 4, 4))


def test_resnet_discriminator_patch_map():
    disc = MODELS.build(dict(type='ResNetPatchDiscriminator'))
    assert disc(torch.randn(2, 3, 256, 256)).shape == (2, 1, 16, 16)
    assert disc(torch.randn(1, 3, 128, 128)).shape == (1, 1, 8, 8)
    names = [n for n, _ in disc.named_parameters()]
    assert all(n.endswith(('weight_orig', 'bias')) for n in names)


def test_blender_sr_and_channel_check():
    blender = MODELS.build(dict(type='BlenderNet', in_channels=80,
                                base_channels=8))
    x = torch.randn(1, 80, 16, 16)
    assert blender(x)['image'].shape == (1, 3, 32, 32)
    assert blender(x, use_sr=False)['image'].shape == (1, 3, 16, 16)
    with pytest.raises(ValueError, match='expects 80 input channels'):
        blender(torch.randn(1, 64, 16, 16))


@pytest.mark.parametrize('kind', ['MultiScaleWarpingGenerator', 'BlenderNet',
                                  'NeuralTextureBranch'])
def test_norm_cfg_none_makes_each_sample_independent_of_its_batch(kind):
    """Default BN: in training mode a sample's output depends on the other
    samples of the batch; ``norm_cfg=None`` (the CPU demo) removes every
    normalisation layer, so it no longer does."""
    small = dict(
        MultiScaleWarpingGenerator=dict(channels=(16, 8, 8),
                                        bottleneck_blocks=1),
        BlenderNet=dict(in_channels=8, base_channels=8),
        NeuralTextureBranch=dict(
            encoder_channels=(8, 8, 8, 8, 8), code_channels=8,
            tex_signal_ch=4, geo_signal_ch=4, translator_channels=8,
            num_res_blocks=1, atlas_up_channels=(8, 8, 8), tex_channels=4,
            geo_up_channels=(8, 8, 8, 8)))[kind]
    gen = torch.Generator().manual_seed(0)

    def run(net, x):
        if kind == 'MultiScaleWarpingGenerator':
            feats = net.encode(x)
            flows = [torch.zeros(len(x), 2, *f.shape[-2:]) for f in feats]
            return net(feats, flows)['image']
        if kind == 'BlenderNet':
            return net(x)['image']
        code = net.encode_source(x)
        sig = torch.ones(len(x), 4, 1, 1)
        return net(code, sig, sig)['image']

    channels = dict(BlenderNet=8, NeuralTextureBranch=75).get(kind, 3)
    x = torch.rand(3, channels, 32, 32, generator=gen) * 2 - 1
    outs = {}
    for name, norm_cfg in (('bn', dict(type='BN')), ('none', None)):
        torch.manual_seed(0)
        net = MODELS.build(dict(type=kind, norm_cfg=norm_cfg, **small))
        net.train()
        has_bn = any(isinstance(m, torch.nn.BatchNorm2d)
                     for m in net.modules())
        assert has_bn == (norm_cfg is not None)
        outs[name] = (run(net, x)[:1], run(net, x[:2])[:1])
    assert not torch.allclose(*outs['bn'], atol=1e-4)
    torch.testing.assert_close(*outs['none'], atol=1e-5, rtol=1e-5)
