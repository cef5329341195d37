"""ORFNT speed paths give the outputs of the straightforward computation:
the fused nearest-upsampling + 3x3 convolution and the transposed
convolution as a plain one (values and gradients), the part-by-part
texture blend, the pixel shuffle, and the whole generator with
and without the source cache, on random weights and random BatchNorm
statistics."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from mmhuman_ext.models.editors.motion_transfer import blocks
from mmhuman_ext.models.editors.motion_transfer.blocks import (
    PixelShuffle, SubPixelConvTranspose2d, UpBlock, phase_conv,
    upsample_phases)
from mmhuman_ext.models.editors.motion_transfer.texture_branch import \
    DifferentiableTextureMapper
from mmhuman_ext.registry import MODELS

ROOT = osp.abspath(osp.join(osp.dirname(__file__), *['..'] * 4))
CONFIG = osp.join(ROOT, 'configs/motion_transfer/'
                  'orfnt-s4-blender-sr_1xb8-200ki_ted-128to256.py')


def _reference_up(x, weight, bias):
    return F.conv2d(F.interpolate(x, scale_factor=2.0, mode='nearest'),
                    weight, bias, padding=1)


def _randomize(model, gen):
    """Random convolutions of unit gain (the default initialisation shrinks
    the signal layer by layer, and the flow heads start at zero) and random
    BatchNorm statistics and affine parameters: activations stay O(1) and
    the output depends on the driving frame."""
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            fan_in = m.weight[0].numel()
            m.weight.data.copy_(
                torch.randn(m.weight.shape, generator=gen) *
                fan_in**-0.5)
            m.bias.data.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)


@pytest.mark.parametrize('shape', [(2, 5, 7, 9), (1, 16, 4, 4),
                                   (1, 3, 1, 6)])
def test_upsample_phases_equal_upsampling_then_conv(shape):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(*shape, generator=gen, requires_grad=True)
    weight = torch.randn(6, shape[1], 3, 3, generator=gen,
                         requires_grad=True)
    bias = torch.randn(6, generator=gen, requires_grad=True)
    fast = phase_conv(x, upsample_phases(weight), bias.repeat(4))
    ref = _reference_up(x, weight, bias)
    assert fast.shape == (shape[0], 6, 2 * shape[2], 2 * shape[3])
    torch.testing.assert_close(fast, ref, atol=1e-5, rtol=1e-5)
    # a border-heavy upstream gradient: every tap and phase is exercised
    g = torch.randn(ref.shape, generator=gen)
    fast_grads = torch.autograd.grad((fast * g).sum(), (x, weight, bias))
    ref_grads = torch.autograd.grad((ref * g).sum(), (x, weight, bias))
    for a, b in zip(fast_grads, ref_grads):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize('shape', [(2, 5, 7, 9), (1, 3, 1, 4)])
def test_sub_pixel_transposed_conv_equals_conv_transpose2d(shape):
    gen = torch.Generator().manual_seed(5)
    fast = SubPixelConvTranspose2d(shape[1], 6)
    ref = torch.nn.ConvTranspose2d(shape[1], 6, 4, 2, 1)
    ref.load_state_dict(fast.state_dict())
    x = torch.randn(*shape, generator=gen, requires_grad=True)
    out, expected = fast(x), ref(x)
    assert out.shape == expected.shape == (shape[0], 6, 2 * shape[2],
                                           2 * shape[3])
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    g = torch.randn(expected.shape, generator=gen)
    params = (x, fast.weight, fast.bias)
    grads = torch.autograd.grad((out * g).sum(), params)
    expected_grads = torch.autograd.grad((expected * g).sum(),
                                         (x, ref.weight, ref.bias))
    for a, b in zip(grads, expected_grads):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-5)


def test_up_block_equals_its_straightforward_form():
    gen = torch.Generator().manual_seed(1)
    block = UpBlock(8, 4).eval()
    _randomize(block, gen)
    x = torch.randn(2, 8, 6, 10, generator=gen)
    with torch.no_grad():
        ref = block.body(F.interpolate(x, scale_factor=2.0, mode='nearest'))
        torch.testing.assert_close(block(x), ref, atol=1e-5, rtol=1e-5)


def test_inference_phase_kernels_follow_weight_updates():
    """Kept between calls without autograd, rebuilt when a weight is
    updated in place (a checkpoint loaded) or replaced."""
    gen = torch.Generator().manual_seed(6)
    up, deconv = UpBlock(4, 3, norm_cfg=None), SubPixelConvTranspose2d(4, 3)
    x = torch.randn(1, 4, 5, 6, generator=gen)

    def expected():
        conv = up.body[0]
        return (F.leaky_relu(_reference_up(x, conv.weight, conv.bias), 0.2),
                torch.nn.functional.conv_transpose2d(
                    x, deconv.weight, deconv.bias, 2, 1))

    for update in range(3):
        with torch.inference_mode():
            for _ in range(2):
                for out, ref in zip((up(x), deconv(x)), expected()):
                    torch.testing.assert_close(out, ref, atol=1e-5,
                                               rtol=1e-5)
        with torch.no_grad():
            for m in (up.body[0], deconv):
                if update == 0:
                    m.weight.copy_(torch.randn(m.weight.shape,
                                               generator=gen))
                else:
                    m.bias = torch.nn.Parameter(torch.randn(3,
                                                            generator=gen))
    # with autograd the kernels are built from the parameters every call
    out = deconv(x)
    assert out.requires_grad


def _straightforward_up_block(self, x):
    return self.body(F.interpolate(x, scale_factor=2.0, mode='nearest'))


def _straightforward_mapper(self, atlas, u, v, part_prob):
    """Every part sampled by its own ``grid_sample`` call, then the
    probability-weighted sum over parts."""
    grids = torch.stack((u, v), -1) * 2 - 1
    sampled = torch.stack([
        F.grid_sample(atlas[:, k], grids[:, k], mode='bilinear',
                      padding_mode='border', align_corners=True)
        for k in range(atlas.shape[1])
    ], 1)
    return (sampled * part_prob.unsqueeze(2)).sum(1)


def test_texture_blend_and_pixel_shuffle_equal_their_plain_forms():
    gen = torch.Generator().manual_seed(4)
    atlas = torch.randn(2, 24, 5, 8, 8, generator=gen, requires_grad=True)
    u, v = torch.rand(2, 2, 24, 6, 7, generator=gen) * 1.2 - 0.1
    prob = torch.rand(2, 24, 6, 7, generator=gen).softmax(1)
    mapper = DifferentiableTextureMapper()
    fast = mapper(atlas, u, v, prob)
    ref = _straightforward_mapper(mapper, atlas, u, v, prob)
    torch.testing.assert_close(fast, ref, atol=1e-5, rtol=1e-5)
    g = torch.randn(ref.shape, generator=gen)
    torch.testing.assert_close(
        torch.autograd.grad((fast * g).sum(), atlas)[0],
        torch.autograd.grad((ref * g).sum(), atlas)[0], atol=1e-5,
        rtol=1e-5)
    x = torch.randn(2, 12, 3, 5, generator=gen)
    assert torch.equal(PixelShuffle(2)(x), F.pixel_shuffle(x, 2))


@pytest.fixture(scope='module')
def full_width_model():
    """The released 128 -> 256 architecture at every width, run at 64 ->
    128 to keep the test short; random weights and BN statistics."""
    torch.manual_seed(0)
    cfg = Config.fromfile(CONFIG).model
    cfg.update(vgg=None, discriminator=None, loss_cfg=None)
    cfg.data_preprocessor.update(in_size=64, out_size=128)
    model = MODELS.build(cfg).eval()
    _randomize(model, torch.Generator().manual_seed(2))
    return model


def _inputs(batch):
    gen = torch.Generator().manual_seed(3)

    def iuv():
        parts = torch.randint(0, 25, (batch, 1, 96, 96), generator=gen)
        return torch.cat(
            [parts.float(), torch.rand(batch, 2, 96, 96, generator=gen)], 1)

    source = torch.rand(1, 3, 96, 96, generator=gen) * 2 - 1
    return source, iuv()[:1], iuv()


def test_generator_equals_the_straightforward_path(full_width_model,
                                                   monkeypatch):
    """Optimised blocks vs. their straightforward forms, with the source
    encoded per call and cached once for three driving frames."""
    model = full_width_model
    source, source_iuv, driving = _inputs(3)
    n = driving.shape[0]
    sources = (source.expand(n, -1, -1, -1),
               source_iuv.expand(n, -1, -1, -1))
    with torch.no_grad():
        cache = model.encode_source(source, source_iuv)
        fast_cached = model.animate(*sources, driving, source_cache=cache)
        fast = model.animate(*sources, driving)
        monkeypatch.setattr(blocks.UpBlock, 'forward',
                            _straightforward_up_block)
        monkeypatch.setattr(DifferentiableTextureMapper, 'forward',
                            _straightforward_mapper)
        monkeypatch.setattr(blocks.PixelShuffle, 'forward',
                            torch.nn.PixelShuffle.forward)
        monkeypatch.setattr(blocks.SubPixelConvTranspose2d, 'forward',
                            torch.nn.ConvTranspose2d.forward)
        ref = model.animate(*sources, driving)
    assert fast['fake'].shape == (3, 3, 128, 128)
    # the three frames differ: the comparison is not of one image
    assert (ref['fake'][0] - ref['fake'][1]).abs().mean() > 0.01
    for out in (fast, fast_cached):
        for key in ('fake', 'mask'):
            torch.testing.assert_close(out[key], ref[key], atol=1e-5,
                                       rtol=0)
