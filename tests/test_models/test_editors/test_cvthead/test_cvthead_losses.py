import pytest
import torch

from mmhuman_ext.registry import MODELS



def test_masked_l1_matches_hand_formula():
    l1 = MODELS.build(dict(type='mmagic.L1Loss', loss_weight=1.0))
    x, y = torch.randn(2, 3, 8, 8), torch.randn(2, 3, 8, 8)
    m = (torch.rand(2, 1, 8, 8) > 0.5).float()
    expect = ((x - y).abs() * m).sum() / (3 * m.sum())
    assert torch.isclose(l1(x, y, weight=m), expect, atol=1e-6)


def test_dice():
    dice = MODELS.build(dict(type='CVTDiceLoss'))
    t = (torch.rand(2, 1, 8, 8) > 0.5).float()
    assert dice(t, t) < 1e-6
    p = torch.rand(2, 1, 8, 8)
    inter = (p * t).flatten(1).mean(1)
    den = (p**2 + t**2).flatten(1).mean(1) + 1e-7
    assert torch.isclose(dice(p, t), 1 - (2 * inter / den).mean())


def test_hinge_gan_and_feature_matching():
    gan = MODELS.build(dict(type='mmagic.GANLoss', gan_type='hinge',
                            loss_weight=0.01))
    zero = torch.zeros(2, 1, 4, 4)
    d_loss = gan(zero, True, is_disc=True) + gan(zero, False, is_disc=True)
    assert torch.isclose(d_loss, torch.tensor(2.))
    score = torch.randn(2, 1, 4, 4)
    assert torch.isclose(gan(score, True, is_disc=False), -0.01 *
                         score.mean())
    fm = MODELS.build(dict(type='DiscFeatureMatchingLoss'))
    feats = [torch.randn(1, 4, 5, 5), torch.randn(1, 8, 2, 2)]
    assert fm(feats, feats) == 0
    other = [f + 1 for f in feats]
    assert torch.isclose(fm(other, feats), torch.tensor(0.1))


def test_vgg_layers_and_loss():
    vgg = MODELS.build(dict(type='VGG19PerceptualLoss'))
    assert all(isinstance(vgg.features[i], torch.nn.ReLU)
               for i in (1, 6, 11, 20, 29))
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    assert vgg(x, x) == 0
    y = x.flip(-1).clone().requires_grad_(True)
    loss = vgg(y, x)
    loss.backward()
    assert loss > 0 and y.grad.abs().sum() > 0
    assert not any(p.requires_grad for p in vgg.parameters())
    assert not vgg.train().training
    with pytest.raises(ValueError, match='not a ReLU'):
        MODELS.build(dict(type='VGG19PerceptualLoss', layer_weights={2: 1.}))
    with pytest.raises(FileNotFoundError, match='vgg19-dcbb9e9d.pth'):
        MODELS.build(dict(type='VGG19PerceptualLoss', ckpt='/nope.pth'))


def test_identity_loss_caffe_layout_and_value():
    idl = MODELS.build(dict(type='FaceIdentityLoss', loss_weight=0.1))
    net = idl.net
    assert net.layer2[0].conv1.stride == (2, 2)
    assert net.layer2[0].conv2.stride == (1, 1)
    assert net.maxpool.ceil_mode and net.maxpool.padding == 0
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    assert idl.embed(x).shape == (1, 2048)
    assert idl(x, x).abs() < 1e-5
    assert idl(x, -x) > 0
