"""CVTHead editor: both training stages, prediction, shape swap, bad input,
checkpoint round trip, on a tiny model of the real architecture and the
small stand-in head."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.dataset import default_collate
from mmengine.optim import OptimWrapper, OptimWrapperDict

from mmhuman_ext.registry import DATASETS, MODELS



def tiny_cfg(root, stage=1, size=64):
    return dict(
        type='CVTHead', stage=stage, frame_size=(64, 64),
        generator=dict(
            type='CVTHeadGenerator', embed_dim=32, descriptor_dim=8,
            hierarchy=dict(type='MeshHierarchy',
                           path=osp.join(root, 'flame', 'hierarchy.npz')),
            encoder=dict(type='ROMEBottleneckEncoder', base_channels=4,
                         max_channels=16),
            vertex_transformer=dict(
                type='VertexFeatureTransformer', in_channels=64,
                proj_channels=16, grid=size // 16, embed_dim=32, depth=1,
                num_heads=2, mlp_dim=32),
            upsampler=dict(type='SpiralMeshUpsampler', embed_dim=32),
            rasterizer=dict(type='PointZBufferRasterizer', image_size=size),
            renderer=dict(type='PointRenderUNet', in_channels=9,
                          base_channels=4)),
        discriminator=dict(type='FeaturePatchDiscriminator',
                           base_channels=4, max_channels=16),
        flame=dict(type='FLAMELayer',
                   model_path=osp.join(root, 'flame', 'generic_model.pkl')),
        loss_l1=dict(type='mmagic.L1Loss', loss_weight=1.0),
        loss_seg=dict(type='CVTDiceLoss', loss_weight=1.0),
        loss_gan=dict(type='mmagic.GANLoss', gan_type='hinge',
                      loss_weight=0.01),
        loss_fm=dict(type='DiscFeatureMatchingLoss', loss_weight=0.1))


@pytest.fixture(scope='module')
def batch(cvthead_small_data):
    ds = DATASETS.build(dict(
        type='VoxCelebReenactDataset', data_root=cvthead_small_data,
        mode='train', pipeline=[dict(type='LoadReenactPair'),
                                dict(type='PackReenactInputs')]))
    return default_collate([ds[0], ds[1]])


def _optim(model):
    return OptimWrapperDict(
        generator=OptimWrapper(torch.optim.Adam(model.generator.parameters(),
                                                1e-3)),
        discriminator=OptimWrapper(torch.optim.Adam(
            model.discriminator.parameters(), 1e-3)))


def test_stage1_and_stage2_steps(cvthead_small_data, batch):
    torch.manual_seed(0)
    m1 = MODELS.build(tiny_cfg(cvthead_small_data, stage=1))
    d_before = copy.deepcopy(m1.discriminator.state_dict())
    logs = m1.train_step(batch, _optim(m1))
    assert {'loss_l1', 'loss_seg', 'loss_d_real', 'loss_d_fake'} <= set(logs)
    assert 'loss_gan_g' not in logs and 'loss_fm' not in logs
    # D is trained in stage 1 too
    assert any(not torch.equal(v, m1.discriminator.state_dict()[k])
               for k, v in d_before.items())
    m2 = MODELS.build(tiny_cfg(cvthead_small_data, stage=2))
    m2.load_state_dict(m1.state_dict())
    logs = m2.train_step(batch, _optim(m2))
    assert {'loss_gan_g', 'loss_fm'} <= set(logs)
    assert all(torch.isfinite(v) for v in logs.values())
    assert all(p.requires_grad for p in m2.discriminator.parameters())


def test_stage_masks_differ(cvthead_small_data, batch, monkeypatch):
    """Stage 1 weights L1 with the predicted mask, stage 2 with the GT."""
    seen = {}
    for stage in (1, 2):
        m = MODELS.build(tiny_cfg(cvthead_small_data, stage=stage))
        orig = m.loss_l1.forward

        def spy(pred, target, weight=None, _s=stage, _o=orig):
            seen[_s] = weight
            return _o(pred, target, weight=weight)

        monkeypatch.setattr(m.loss_l1, 'forward', spy)
        m.generator_losses(m.data_preprocessor(batch, True)['inputs'])
    assert torch.equal(seen[2], batch['inputs']['drv_mask'])
    assert not torch.equal(seen[1], batch['inputs']['drv_mask'])
    assert not seen[1].requires_grad


def test_predict_shape_swap_and_checkpoint(cvthead_small_data, batch,
                                           tmp_path):
    torch.manual_seed(0)
    model = MODELS.build(tiny_cfg(cvthead_small_data)).eval()
    with torch.no_grad():
        out = model.val_step(batch)
        assert len(out) == 2 and out[0]['pred_img'].shape == (3, 64, 64)
        assert out[0]['pred_mask'].shape == (1, 64, 64)
        assert out[0]['video'] == batch['data_samples']['video'][0]
        # the driver's shape code is ignored: identity comes from the source
        swapped = copy.deepcopy(batch)
        swapped['inputs']['drv_codes']['shape'] = torch.randn(2, 100) * 3
        rgb1, _ = model(**model.data_preprocessor(batch), mode='tensor')
        rgb2, _ = model(**model.data_preprocessor(swapped), mode='tensor')
        assert torch.equal(rgb1, rgb2)
        # the driver's expression is not
        swapped['inputs']['drv_codes']['exp'] += 2
        rgb3, _ = model(**model.data_preprocessor(swapped), mode='tensor')
        assert not torch.equal(rgb1, rgb3)
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    other = MODELS.build(tiny_cfg(cvthead_small_data)).eval()
    from mmhuman_ext.utils.checkpoint import load_checkpoint_file
    other.load_state_dict(load_checkpoint_file(str(path))['state_dict'])
    with torch.no_grad():
        rgb4, _ = other(**other.data_preprocessor(batch), mode='tensor')
    assert torch.equal(rgb1, rgb4)
    # hierarchy and FLAME buffers are not in the checkpoint
    assert not any(k.startswith(('flame.', 'generator.hierarchy'))
                   for k in model.state_dict())


def test_dummy_inputs_batch_sizes(cvthead_small_data):
    model = MODELS.build(tiny_cfg(cvthead_small_data)).eval()
    for b in (1, 3):
        with torch.no_grad():
            rgb, mask = model(**model.dummy_inputs(b), mode='tensor')
        assert rgb.shape == (b, 3, 64, 64) and mask.shape == (b, 1, 64, 64)
    # driving-only path with a cached avatar gives the same frame
    model.dummy_cached_source = True
    with torch.no_grad():
        cached = model.dummy_inputs(3)
        assert 'src_descriptors' in cached['inputs']
        rgb2, _ = model(**cached, mode='tensor')
    assert torch.allclose(rgb, rgb2, atol=1e-6)


def test_bad_codes_are_reported(cvthead_small_data, batch):
    model = MODELS.build(tiny_cfg(cvthead_small_data)).eval()
    bad = copy.deepcopy(batch)
    bad['inputs']['drv_codes']['exp'][1, 3] = float('nan')
    with pytest.raises(ValueError, match=r'sample\(s\) \[1\].*no usable mesh'):
        model(**bad, mode='tensor')
    bad = copy.deepcopy(batch)
    bad['inputs']['src_codes']['exp'] = torch.zeros(2, 30)
    with pytest.raises(ValueError, match=r"src_codes\['exp'\].*\(2, 50\)"):
        model(**bad, mode='tensor')
    bad = copy.deepcopy(batch)
    del bad['inputs']['src_codes']['tform']
    with pytest.raises(ValueError, match="missing FLAME code 'tform'"):
        model(**bad, mode='tensor')


def test_flame_and_hierarchy_must_match(cvthead_small_data, tmp_path):
    cfg = tiny_cfg(cvthead_small_data)
    cfg['stage'] = 2
    cfg['discriminator'] = None
    with pytest.raises(ValueError, match='stage 2 needs'):
        MODELS.build(cfg)


def test_hair_deformation_moves_source_and_driving_vertices(
        cvthead_small_data, batch):
    """Eq. 4.3: both meshes get ``deform_mean + deform_basis . beta`` with
    ``beta`` predicted from the source image."""
    from mmhuman_ext.geometry.ortho_crop import project_to_image
    torch.manual_seed(0)
    plain = MODELS.build(tiny_cfg(cvthead_small_data)).eval()
    cfg = tiny_cfg(cvthead_small_data)
    cfg['hair_deformer'] = dict(type='LinearHairDeformer',
                                num_vertices=plain.flame.num_vertices)
    model = MODELS.build(cfg).eval()
    model.load_state_dict(plain.state_dict(), strict=False)
    hair = model.hair_deformer
    with torch.no_grad():
        hair.deform_mean.normal_(0, 0.01)
        hair.deform_basis.normal_(0, 0.002)
        hair.net.fc.weight.normal_(0, 0.05)
    inputs = model.data_preprocessor(batch)['inputs']
    src_pts, drv_pts = model._points(inputs)
    with torch.no_grad():
        beta = hair.net(inputs['src_img'])
    assert beta.abs().mean() > 0.1
    offsets = hair.deform_mean + torch.einsum('bl,vkl->bvk', beta,
                                              hair.deform_basis)
    shape = inputs['src_codes']['shape']
    for pts, codes in ((src_pts, inputs['src_codes']),
                       (drv_pts, inputs['drv_codes'])):
        verts = model.flame(shape, codes['exp'], codes['pose'])
        expect = project_to_image(verts + offsets, codes['cam'],
                                  codes['tform'], model.frame_size,
                                  model.crop_size)
        assert torch.allclose(pts, expect, atol=1e-5)
        without = project_to_image(verts, codes['cam'], codes['tform'],
                                   model.frame_size, model.crop_size)
        assert (pts - without).abs().max() > 1e-3
    with torch.no_grad():
        rgb_hair, _ = model(inputs, mode='tensor')
        rgb_plain, _ = plain(inputs, mode='tensor')
        assert not torch.allclose(rgb_hair, rgb_plain)
        # a cached avatar (descriptors + offsets) renders the same frame
        desc = model.generator.encode_source(inputs['src_img'],
                                             inputs['src_mask'], src_pts)
        cached = dict(inputs, src_descriptors=desc,
                      src_vertex_offsets=offsets)
        rgb_cached, _ = model(cached, mode='tensor')
    assert torch.allclose(rgb_cached, rgb_hair, atol=1e-5)
    # frozen and outside the optimised modules
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {n for n, p in plain.named_parameters()
                         if p.requires_grad}
    model.train()
    assert not hair.training


def test_checkpoint_keys_stay_plain_when_children_are_wrapped(
        cvthead_small_data):
    """``MMSeparateDistributedDataParallel`` wraps each child; the saved
    keys must still be ``generator.*``, which mmengine's loader (and the
    stage-2 ``load_from``) expects, not ``generator.module.*``."""

    class Wrapper(torch.nn.Module):  # what DDP looks like from outside

        def __init__(self, module):
            super().__init__()
            self.module = module

    model = MODELS.build(tiny_cfg(cvthead_small_data))
    plain = model.state_dict()
    model.generator = Wrapper(model.generator)
    model.discriminator = Wrapper(model.discriminator)
    wrapped = model.state_dict()
    assert list(wrapped) == list(plain)
    assert all(torch.equal(wrapped[k], plain[k]) for k in plain)
