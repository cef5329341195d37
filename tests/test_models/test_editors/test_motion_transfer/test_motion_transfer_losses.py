"""ORFNT losses: the identities each term must satisfy."""
import math

import pytest
import torch

from mmhuman_ext.models.editors.motion_transfer.flow_losses import \
    affine_residual_operator
from mmhuman_ext.models.editors.motion_transfer.losses import \
    anti_alias_downsample
from mmhuman_ext.models.layers.flow_warp import pixel_flow_to_normalized
from mmhuman_ext.registry import MODELS


def build(type_, **kw):
    return MODELS.build(dict(type=type_, **kw))


def _flows(b=2, sizes=(8, 16, 32), scale=0.1, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(b, 2, s, s, generator=gen) * scale for s in sizes]


def test_correctness_is_zero_for_identical_features_and_zero_flow():
    loss = build('PerceptualCorrectnessLoss', layers=('a', 'b'), chunk=7)
    gen = torch.Generator().manual_seed(0)
    feats = dict(a=torch.rand(2, 8, 8, 8, generator=gen) + 0.1,
                 b=torch.rand(2, 8, 16, 16, generator=gen) + 0.1)
    zero = [torch.zeros(2, 2, 8, 8), torch.zeros(2, 2, 16, 16)]
    assert loss(zero, feats, feats).item() == pytest.approx(0, abs=1e-6)
    # a shifted target is matched by the right flow better than by none
    shifted = {k: torch.roll(v, 1, dims=3) for k, v in feats.items()}
    flow_px = [torch.zeros(2, 2, 8, 8), torch.zeros(2, 2, 16, 16)]
    for f in flow_px:
        f[:, 0] = -1
    right = [pixel_flow_to_normalized(f) for f in flow_px]
    assert loss(right, feats, shifted) < loss(zero, feats, shifted)
    assert loss(zero, feats, shifted).item() > 0.05


def test_correctness_caps_the_resolution():
    loss = build('PerceptualCorrectnessLoss', layers=('a', ), max_res=8)
    f = dict(a=torch.rand(1, 4, 32, 32) + 0.1)
    assert loss([torch.zeros(1, 2, 32, 32)], f, f).item() == pytest.approx(
        0, abs=1e-6)


def test_affine_regularisation():
    loss = build('AffineRegularizationLoss', kernel_sizes=(5, 5, 3))
    gen = torch.Generator().manual_seed(0)
    flows = []
    for s in (8, 16, 32):
        a = torch.randn(2, 2, generator=gen) * 0.2
        t = torch.randn(2, generator=gen) * 0.1
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, s),
                                torch.linspace(-1, 1, s), indexing='ij')
        pts = torch.stack([xs, ys])  # (2, s, s)
        flow = torch.einsum('ij,jhw->ihw', a, pts) + t[:, None, None]
        flows.append(flow[None].expand(2, -1, -1, -1).contiguous())
    assert loss(flows).item() < 1e-6
    assert loss(_flows()).item() > 1e-3
    op = affine_residual_operator(3)
    torch.testing.assert_close(op @ op, -op, atol=1e-6, rtol=0)  # -projector


def test_tv_and_consistency():
    tv = build('FlowTVLoss')
    const = [torch.full((1, 2, s, s), 0.3) for s in (4, 8, 16)]
    assert tv(const).item() == 0
    assert tv(_flows()).item() > 0
    cons = build('MultiScaleFlowConsistencyLoss')
    coarse = torch.randn(1, 2, 4, 4)
    up = [torch.nn.functional.interpolate(coarse, size=(s, s),
                                          mode='bilinear',
                                          align_corners=False)
          for s in (8, 16)]
    assert cons([coarse] + up).item() == pytest.approx(0, abs=1e-7)
    assert cons(_flows()).item() > 0
    # the coarse flow is a detached target
    flows = [f.requires_grad_() for f in _flows()]
    cons(flows).backward()
    assert flows[0].grad is None and flows[1].grad is not None


def test_densepose_losses():
    gen = torch.Generator().manual_seed(0)
    parts = torch.randint(0, 25, (2, 1, 6, 6), generator=gen).float()
    u = torch.rand(2, 1, 6, 6, generator=gen)
    v = torch.rand(2, 1, 6, 6, generator=gen)
    iuv = torch.cat([parts, u, v], 1)
    uv_loss = build('DensePoseUVLoss', loss_weight=5.0)
    perfect_u = u.expand(-1, 24, -1, -1)
    perfect_v = v.expand(-1, 24, -1, -1)
    assert uv_loss(perfect_u, perfect_v, iuv).item() == 0
    # only the true part's channel counts
    idx = (parts.long() - 1).clamp(min=0)
    wrong_u = perfect_u.clone().scatter_(1, idx, 0.)
    fg = (parts > 0).float()
    expected = 5.0 * (fg * u).mean()
    assert uv_loss(wrong_u, perfect_v, iuv).item() == pytest.approx(
        expected.item(), rel=1e-5)
    other = perfect_u + (1 - torch.nn.functional.one_hot(
        idx[:, 0], 24).permute(0, 3, 1, 2).float())
    assert uv_loss(other, perfect_v, iuv).item() == pytest.approx(0,
                                                                  abs=1e-6)
    seg = build('DensePoseSegLoss')
    logits = torch.nn.functional.one_hot(parts[:, 0].long(), 25).permute(
        0, 3, 1, 2).float() * 50
    assert seg(logits, iuv).item() < 1e-6
    assert seg(torch.zeros(2, 25, 6, 6), iuv).item() == pytest.approx(
        math.log(25), rel=1e-5)


def test_masked_l1_ignores_pixels_outside_the_mask():
    loss = build('MaskedL1Loss')
    pred, target = torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., :2, :] = 1
    target[..., 2:, :] = 5.  # outside the mask
    assert loss(pred, target, mask).item() == 0
    target[..., 0, 0] = 1.
    assert loss(pred, target, mask).item() == pytest.approx(3 / (3 * 8),
                                                            rel=1e-4)


def test_mask_bce_and_pyramid_perceptual():
    bce = build('MaskBCELoss')
    target = (torch.rand(1, 1, 8, 8) > 0.5).float()
    assert bce(target, target).item() < 1e-5
    assert bce(1 - target, target).item() > 10
    vgg = build('VGG19FeatureExtractor')
    per = build('PyramidPerceptualLoss', loss_weight=10.0)
    img = torch.rand(1, 3, 64, 64) * 2 - 1
    assert per(img, img, vgg).item() == 0
    assert per(img, img.flip(-1), vgg).item() > 0


def test_anti_alias_downsample_keeps_constants_and_halves():
    x = torch.full((1, 3, 32, 32), 0.7)
    y = anti_alias_downsample(x, 0.25)
    assert y.shape == (1, 3, 8, 8)
    # interior away from the zero padding keeps the constant
    torch.testing.assert_close(y[..., 2:-2, 2:-2],
                               torch.full((1, 3, 4, 4), 0.7))
    assert anti_alias_downsample(x, 1) is x


def test_lsgan_discriminator_loss_is_zero_for_a_perfect_discriminator():
    gan = build('mmagic.GANLoss', gan_type='lsgan', loss_weight=1.0)
    ones, zeros = torch.ones(2, 1, 4, 4), torch.zeros(2, 1, 4, 4)
    d_loss = 0.5 * (gan(ones, True, is_disc=True)
                    + gan(zeros, False, is_disc=True))
    assert d_loss.item() == 0
    assert gan(zeros, True, is_disc=False).item() == 1.0
