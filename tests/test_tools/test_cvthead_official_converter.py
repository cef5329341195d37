"""The released CVTHead checkpoint converts completely: every one of its
1189 tensors (generator, f_H and its buffers, DECA, face parser, FLAME
buffers) goes to one place, and the model parts load strictly at full size.

``tests/data/cvthead/official_cvthead_layout.json`` lists the key, shape and
dtype of every tensor of the official ``CVTHead`` module's state dict (the
``model`` entry of ``cvthead.pt``), recorded by building the official classes
(HowieMa/CVTHead at 8f75b22, FLAME-sized stand-in data files) on CPU.
"""
import importlib.util
import json
import os.path as osp

import pytest
import torch

from mmhuman_ext.registry import MODELS

_spec = importlib.util.spec_from_file_location(
    'cvthead_official', osp.join(osp.dirname(__file__), '..', '..', 'tools',
                                 'model_converters', 'cvthead_official.py'))
conv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conv)

LAYOUT = osp.join(osp.dirname(__file__), '..', 'data', 'cvthead',
                  'official_cvthead_layout.json')


def release_state():
    """A ``cvthead.pt``-like dict: random tensors in the exact release
    layout; the fixed image PE holds its real values."""
    from mmhuman_ext.models.layers import sine_position_table_2d
    with open(LAYOUT) as f:
        layout = json.load(f)
    g = torch.Generator().manual_seed(0)
    state = {}
    for key, shape, dtype in layout:
        if key == 'pos_embedding':
            state[key] = sine_position_table_2d(16, 16, 128).reshape(shape)
        elif dtype == 'int64':
            state[key] = torch.randint(0, 5, shape, generator=g)
        else:
            state[key] = torch.randn(shape, generator=g)
    return dict(model=state, epoch=20)


@pytest.fixture(scope='module')
def release():
    return release_state()


@pytest.fixture(scope='module')
def converted(release):
    return conv.convert(release)


def full_generator(hierarchy):
    return MODELS.build(dict(
        type='CVTHeadGenerator',
        hierarchy=dict(type='MeshHierarchy', path=hierarchy),
        encoder=dict(type='ROMEBottleneckEncoder'),
        vertex_transformer=dict(type='VertexFeatureTransformer'),
        upsampler=dict(type='SpiralMeshUpsampler'),
        rasterizer=dict(type='PointZBufferRasterizer', image_size=256),
        renderer=dict(type='PointRenderUNet')))


def test_every_release_key_has_one_place(release, converted):
    official = release['model']
    assert len(official) == 1189
    total = (len(converted['model']) + len(converted['deca']) +
             len(converted['face_parsing']) + len(converted['dropped']))
    assert total == len(official)
    assert sorted(converted['dropped']) == sorted(
        ['pos_embedding', 'face_parsing.mean', 'face_parsing.std'] +
        [k for k in official if k.startswith('deca.flame.')])
    model = converted['model']
    assert torch.equal(model['hair_deformer.deform_basis'],
                       official['deform_basis'])
    assert torch.equal(model['hair_deformer.deform_mean'],
                       official['deform_mean'])
    assert torch.equal(model['hair_deformer.net.fc.weight'],
                       official['hair_model.fc.weight'])
    assert torch.equal(model['generator.vertex_transformer.queries'],
                       official['vtx_query'][0])
    assert torch.equal(converted['face_parsing']['cp.resnet.conv1.weight'],
                       official['face_parsing.net.cp.resnet.conv1.weight'])


def test_model_parts_load_strictly_at_full_size(flame_sized_hierarchy,
                                                release, converted):
    model = converted['model']
    gen = full_generator(flame_sized_hierarchy)
    gen.load_state_dict({k[len('generator.'):]: v for k, v in model.items()
                         if k.startswith('generator.')}, strict=True)
    hair = MODELS.build(dict(type='LinearHairDeformer', num_vertices=5023))
    hair.load_state_dict({k[len('hair_deformer.'):]: v
                          for k, v in model.items()
                          if k.startswith('hair_deformer.')}, strict=True)
    official = release['model']
    sd = gen.state_dict()
    pairs = {
        'autoencoder.net.5.main.8.weight': 'encoder.groups.1.1.conv3.weight',
        'autoencoder.net.7.skip.weight': 'encoder.groups.2.0.skip.weight',
        'autoencoder.net.11.main.9.bias': 'encoder.groups.3.1.norm4.bias',
        'transformer.layers.1.0.fn.to_out.0.weight':
        'vertex_transformer.layers.1.proj.weight',
        'transformer.layers.5.1.fn.net.3.bias':
        'vertex_transformer.layers.5.fc2.bias',
        'vtx_upsampler.de_layers.0.conv.layer.weight':
        'upsampler.de_layers.0.layer.weight',
        'vtx_upsampler.de_layers.2.layer.weight':
        'upsampler.de_layers.2.layer.weight',
        'unet_generator.up_convs.0.norm2.running_var':
        'renderer.up_convs.0.conv2.1.running_var',
        'unet_generator.down_convs.3.norm0.weight':
        'renderer.down_convs.3.conv1.1.weight',
        'vtx_descriptor_head.0.weight': 'descriptor_head.weight',
    }
    for src, dst in pairs.items():
        assert torch.equal(official[src], sd[dst]), src
    deca = MODELS.build(dict(type='DECAEncoder'))
    deca.load_state_dict(converted['deca'], strict=True)
    assert torch.equal(deca.state_dict()['layers.2.weight'],
                       official['deca.E_flame.layers.2.weight'])


def test_main_writes_loadable_files(tmp_path, flame_sized_hierarchy, release):
    src = tmp_path / 'cvthead.pt'
    torch.save(release, src)
    cfg = tmp_path / 'full.py'
    base = osp.abspath('configs/cvthead/cvthead-s1_2xb8-200e_vox1-256x256.py')
    cfg.write_text(f"_base_ = ['{base}']\nmodel = dict(generator=dict("
                   f"hierarchy=dict(path='{flame_sized_hierarchy}')))\n")
    conv.main([str(src), str(tmp_path / 'ours.pth'), '--config', str(cfg)])
    from mmhuman_ext.utils.checkpoint import load_checkpoint_file
    ours = load_checkpoint_file(str(tmp_path / 'ours.pth'))
    assert {k.split('.')[0] for k in ours['state_dict']} == {
        'generator', 'hair_deformer'}
    deca = MODELS.build(dict(type='DECAEncoder',
                             ckpt=str(tmp_path / 'ours_deca.pth')))
    assert torch.equal(deca.state_dict()['encoder.conv1.weight'],
                       release['model']['deca.E_flame.encoder.conv1.weight'])
    parser = load_checkpoint_file(str(tmp_path / 'ours_face_parsing.pth'))
    assert len(parser) == 191 and 'ffm.conv1.weight' in parser
    # a config without f_H has no place for its weights
    cfg.write_text(f"_base_ = ['{base}']\nmodel = dict(generator=dict("
                   f"hierarchy=dict(path='{flame_sized_hierarchy}')), "
                   "hair_deformer=None)\n")
    with pytest.raises(KeyError, match='hair_deformer'):
        conv.main([str(src), str(tmp_path / 'x.pth'), '--config', str(cfg)])


def test_unknown_keys_and_a_foreign_layout_are_refused(release):
    bad = dict(release['model'])
    bad['module.something.else'] = torch.zeros(1)
    with pytest.raises(KeyError, match='something.else'):
        conv.convert(bad)
    bad = dict(release['model'])
    bad['pos_embedding'] = torch.rand(1, 256, 128)
    with pytest.raises(ValueError, match='pos_embedding'):
        conv.convert(bad)


def test_rome_and_deca_weights_load_from_local_files(tmp_path, release):
    """ROME's ``autoencoder.*`` and DECA's ``E_flame`` state dicts load into
    our encoders from local files (official key names)."""
    official = release['model']
    rome = {k: v for k, v in official.items() if k.startswith('autoencoder.')}
    torch.save(rome, tmp_path / 'rome.pth')
    enc = MODELS.build(dict(type='ROMEBottleneckEncoder',
                            init_ckpt=str(tmp_path / 'rome.pth')))
    assert torch.equal(enc.groups[2][0].skip.weight,
                       rome['autoencoder.net.7.skip.weight'])
    with pytest.raises(FileNotFoundError, match=r'no_rome\.pth.*rome'):
        MODELS.build(dict(type='ROMEBottleneckEncoder',
                          init_ckpt=str(tmp_path / 'no_rome.pth')))
    src = MODELS.build(dict(type='DECAEncoder'))
    torch.save(dict(E_flame=src.state_dict()), tmp_path / 'deca_model.tar')
    deca = MODELS.build(dict(type='DECAEncoder',
                             ckpt=str(tmp_path / 'deca_model.tar')))
    for k, v in src.state_dict().items():
        assert torch.equal(v, deca.state_dict()[k])
    codes = deca(torch.rand(1, 3, 64, 64))
    assert [codes[k].shape[1] for k in ('shape', 'tex', 'exp', 'pose', 'cam',
                                        'light')] == [100, 50, 50, 6, 3, 27]
    with pytest.raises(FileNotFoundError, match='yfeng95/DECA'):
        MODELS.build(dict(type='DECAEncoder', ckpt=str(tmp_path / 'no.tar')))
