"""TruncatedHRNet: the CNN fronts of TokenPose / PPT."""
import pytest
import torch

from mmhuman_ext.registry import MODELS

STAGE1 = dict(
    num_modules=1,
    num_branches=1,
    block='BOTTLENECK',
    num_blocks=(4, ),
    num_channels=(64, ))



def _extra(width):
    return dict(
        stage1=STAGE1,
        stage2=dict(
            num_modules=1,
            num_branches=2,
            block='BASIC',
            num_blocks=(4, 4),
            num_channels=(width, 2 * width)),
        stage3=dict(
            num_modules=4,
            num_branches=3,
            block='BASIC',
            num_blocks=(4, 4, 4),
            num_channels=(width, 2 * width, 4 * width)),
        stage4=dict(
            num_modules=3,
            num_branches=4,
            block='BASIC',
            num_blocks=(4, 4, 4, 4),
            num_channels=(width, 2 * width, 4 * width, 8 * width)))


def _count(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_stem_net():
    net = MODELS.build(
        dict(type='TruncatedHRNet', num_stages=1, extra=dict(stage1=STAGE1)))
    assert _count(net) == 325_056
    assert net.out_channels == 256
    feats = net(torch.randn(1, 3, 64, 48))
    assert isinstance(feats, tuple) and len(feats) == 1
    assert feats[0].shape == (1, 256, 16, 12)
    assert not hasattr(net, 'stage2') and not hasattr(net, 'transition1')


@pytest.mark.parametrize('width,params', [(32, 7_685_632), (48, 16_705_824)])
def test_hrnet_stages_1_to_3(width, params):
    net = MODELS.build(
        dict(type='TruncatedHRNet', num_stages=3, extra=_extra(width)))
    assert _count(net) == params
    assert net.out_channels == width
    # the last stage-3 module fuses into the high-resolution branch only
    assert len(net.stage3[-1].fuse_layers) == 1
    assert len(net.stage3[0].fuse_layers) == 3
    assert not hasattr(net, 'stage4')
    if width == 32:
        assert net(torch.randn(1, 3, 32, 32))[0].shape == (1, 32, 8, 8)


def test_imagenet_hrnet_keys_load():
    """Module names equal mmpose's HRNet (= the official HRNet's), so an
    ImageNet HRNet-W32 state dict covers every tensor; left over are stage 4,
    its transition and the low-resolution outputs of the last stage-3
    module."""
    full = MODELS.build(dict(type='HRNet', extra=_extra(32)))
    net = MODELS.build(
        dict(type='TruncatedHRNet', num_stages=3, extra=_extra(32)))
    result = net.load_state_dict(full.state_dict(), strict=False)
    assert result.missing_keys == []
    assert result.unexpected_keys
    assert all(
        k.startswith(('stage4.', 'transition3.', 'stage3.3.fuse_layers.1.',
                      'stage3.3.fuse_layers.2.'))
        for k in result.unexpected_keys)
    ours = net.state_dict()
    assert torch.equal(ours['stage2.0.branches.1.3.conv2.weight'],
                       full.state_dict()['stage2.0.branches.1.3.conv2.weight'])


def test_frozen_stages_and_errors():
    net = MODELS.build(
        dict(
            type='TruncatedHRNet',
            num_stages=3,
            extra=_extra(32),
            frozen_stages=2))
    net.train()
    frozen = [n for n, p in net.named_parameters() if not p.requires_grad]
    assert any(n.startswith('conv1') for n in frozen)
    assert any(n.startswith('layer1.') for n in frozen)
    assert any(n.startswith('transition2.') for n in frozen)
    assert not any(n.startswith('stage3.') for n in frozen)
    assert not net.layer1.training and net.stage3.training
    with pytest.raises(ValueError, match='num_stages must be 1, 2 or 3'):
        MODELS.build(
            dict(type='TruncatedHRNet', num_stages=4, extra=_extra(32)))
    with pytest.raises(ValueError, match='frozen_stages'):
        MODELS.build(
            dict(
                type='TruncatedHRNet',
                num_stages=1,
                extra=dict(stage1=STAGE1),
                frozen_stages=2))
    with pytest.raises(KeyError, match='stage2'):
        MODELS.build(
            dict(
                type='TruncatedHRNet', num_stages=3,
                extra=dict(stage1=STAGE1)))
