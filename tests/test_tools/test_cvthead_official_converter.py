"""The official CVTHead key layout maps onto our generator."""
import importlib.util
import os.path as osp

import pytest
import torch

from mmhuman_ext.registry import MODELS

_spec = importlib.util.spec_from_file_location(
    'cvthead_official', osp.join(osp.dirname(__file__), '..', '..', 'tools',
                                 'model_converters', 'cvthead_official.py'))
conv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conv)


def official_state(c=8, emb=16, desc=4, ub=4, v=12):
    """Key names and shapes of the official CVTHead module tree, written
    from its layout (Autoencoder(c, 4c) with 4 groups x 2 blocks, ViT layers,
    spiral decoder, UNet(33, 4, 5, ub)), at reduced widths."""
    g = torch.Generator().manual_seed(0)
    s = {}

    def t(*shape):
        return torch.randn(*shape, generator=g)

    s['autoencoder.net.0.weight'] = t(4 * c, 4, 7, 7)
    idx, width = 1, c
    for grp in range(4):
        out = c * 2**grp
        for b in range(2):
            cin = width if b == 0 else out
            p = f'autoencoder.net.{idx}.main.'
            s[p + '0.weight'], s[p + '0.bias'] = t(4 * cin), t(4 * cin)
            s[p + '2.weight'] = t(out, 4 * cin, 1, 1)
            for n, conv_i in ((3, 5), (6, 8)):
                s[p + f'{n}.weight'], s[p + f'{n}.bias'] = t(out), t(out)
                s[p + f'{conv_i}.weight'] = t(out, out, 3, 3)
            s[p + '9.weight'], s[p + '9.bias'] = t(out), t(out)
            s[p + '11.weight'] = t(4 * out, out, 1, 1)
            if cin != out:
                s[f'autoencoder.net.{idx}.skip.weight'] = t(4 * out, 4 * cin,
                                                            1, 1)
            idx += 1
        idx += 1 if grp < 3 else 0
        width = out
    s['ae_proj.weight'], s['ae_proj.bias'] = t(16, 32 * c, 1, 1), t(16)
    s['patch_to_embedding.weight'] = t(emb, 64)
    s['patch_to_embedding.bias'] = t(emb)
    s['pos_embedding'] = t(1, 4, emb)
    s['vtx_query'] = t(1, v, emb)
    for i in range(2):
        p = f'transformer.layers.{i}.'
        s[p + '0.norm.weight'], s[p + '0.norm.bias'] = t(emb), t(emb)
        s[p + '0.fn.to_qkv.weight'] = t(3 * emb, emb)
        s[p + '0.fn.to_out.0.weight'] = t(emb, emb)
        s[p + '0.fn.to_out.0.bias'] = t(emb)
        s[p + '1.norm.weight'], s[p + '1.norm.bias'] = t(emb), t(emb)
        s[p + '1.fn.net.0.weight'] = t(2 * emb, emb)
        s[p + '1.fn.net.0.bias'] = t(2 * emb)
        s[p + '1.fn.net.3.weight'] = t(emb, 2 * emb)
        s[p + '1.fn.net.3.bias'] = t(emb)
    for i in range(2):
        s[f'vtx_upsampler.de_layers.{i}.conv.layer.weight'] = t(emb, 9 * emb)
        s[f'vtx_upsampler.de_layers.{i}.conv.layer.bias'] = t(emb)
    s['vtx_upsampler.de_layers.2.layer.weight'] = t(emb, 9 * emb)
    s['vtx_upsampler.de_layers.2.layer.bias'] = t(emb)
    s['vtx_descriptor_head.0.weight'] = t(desc, emb)
    s['vtx_descriptor_head.0.bias'] = t(desc)

    def bn(p, n):
        for k in ('weight', 'bias', 'running_mean', 'running_var'):
            s[f'{p}.{k}'] = t(n)
        s[f'{p}.num_batches_tracked'] = torch.tensor(3)

    cin = desc + 1
    widths = [ub * 2**i for i in range(5)]
    for i, w in enumerate(widths):
        p = f'unet_generator.down_convs.{i}.'
        s[p + 'conv1.weight'], s[p + 'conv1.bias'] = t(w, cin, 3, 3), t(w)
        s[p + 'conv2.weight'], s[p + 'conv2.bias'] = t(w, w, 3, 3), t(w)
        bn(p + 'norm0', w)
        bn(p + 'norm1', w)
        cin = w
    for i in range(4):
        w_in, w = widths[4 - i], widths[3 - i]
        p = f'unet_generator.up_convs.{i}.'
        s[p + 'upconv.weight'], s[p + 'upconv.bias'] = t(w, w_in, 3, 3), t(w)
        s[p + 'conv1.weight'], s[p + 'conv1.bias'] = t(w, 2 * w, 3, 3), t(w)
        s[p + 'conv2.weight'], s[p + 'conv2.bias'] = t(w, w, 3, 3), t(w)
        for n in range(3):
            bn(p + f'norm{n}', w)
    s['unet_generator.conv_final.weight'] = t(4, ub, 1, 1)
    s['unet_generator.conv_final.bias'] = t(4)
    s['face_parsing.bisenet.conv.weight'] = t(2, 2)  # frozen, skipped
    return {f'module.{k}': v for k, v in s.items()}


def test_official_layout_loads_strictly(cvthead_small_data):
    official = official_state()
    ours = conv.convert(dict(state_dict=official))
    gen = MODELS.build(dict(
        type='CVTHeadGenerator', embed_dim=16, descriptor_dim=4,
        hierarchy=dict(type='MeshHierarchy', path=osp.join(
            cvthead_small_data, 'flame', 'hierarchy.npz')),
        encoder=dict(type='ROMEBottleneckEncoder', base_channels=8,
                     max_channels=64),
        vertex_transformer=dict(type='VertexFeatureTransformer',
                                in_channels=256, proj_channels=16, grid=2,
                                embed_dim=16, depth=2, num_heads=2,
                                mlp_dim=32),
        upsampler=dict(type='SpiralMeshUpsampler', embed_dim=16),
        rasterizer=dict(type='PointZBufferRasterizer', image_size=32),
        renderer=dict(type='PointRenderUNet', in_channels=5,
                      base_channels=4)))
    gen.load_state_dict(ours, strict=True)
    sd = gen.state_dict()
    pairs = {
        'autoencoder.net.5.main.8.weight': 'encoder.groups.1.1.conv3.weight',
        'autoencoder.net.7.skip.weight': 'encoder.groups.2.0.skip.weight',
        'autoencoder.net.11.main.9.bias': 'encoder.groups.3.1.norm4.bias',
        'transformer.layers.1.0.fn.to_out.0.weight':
        'vertex_transformer.layers.1.proj.weight',
        'transformer.layers.0.1.fn.net.3.bias':
        'vertex_transformer.layers.0.fc2.bias',
        'vtx_upsampler.de_layers.2.layer.weight':
        'upsampler.de_layers.2.layer.weight',
        'unet_generator.up_convs.0.norm2.running_var':
        'renderer.up_convs.0.conv2.1.running_var',
        'unet_generator.down_convs.3.norm0.weight':
        'renderer.down_convs.3.conv1.1.weight',
    }
    for src, dst in pairs.items():
        assert torch.equal(official['module.' + src], sd[dst]), src
    assert torch.equal(official['module.vtx_query'][0],
                       sd['vertex_transformer.queries'])


def test_unknown_keys_are_refused():
    bad = official_state()
    bad['module.something.else'] = torch.zeros(1)
    with pytest.raises(KeyError, match='something.else'):
        conv.convert(bad)


def test_rome_and_deca_weights_load_from_local_files(tmp_path):
    """ROME's ``autoencoder.*`` and DECA's ``E_flame`` state dicts load into
    our encoders from local files (official key names)."""
    official = {k[len('module.'):]: v for k, v in official_state().items()}
    rome = {k: v for k, v in official.items() if k.startswith('autoencoder.')}
    torch.save(rome, tmp_path / 'rome.pth')
    enc = MODELS.build(dict(type='ROMEBottleneckEncoder', base_channels=8,
                            max_channels=64,
                            init_ckpt=str(tmp_path / 'rome.pth')))
    assert torch.equal(enc.groups[2][0].skip.weight,
                       rome['autoencoder.net.7.skip.weight'])
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
