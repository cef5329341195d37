"""tools/model_converters/ppt_official.py on state dicts in the official key
layout (HowieMa/PPT and leeyegy/TokenPose module names), checked against an
independent re-statement of the official forward pass."""
import importlib.util
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from einops import rearrange
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmhuman_ext.models.layers import sine_position_table_2d
from mmhuman_ext.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(ROOT, 'configs', 'ppt', '{}.py')
S_COCO = CFG.format('ppt-s_4xb32-300e_coco-256x192')
S_COCO256 = CFG.format('ppt-s_4xb32-300e_coco-256x256')
MV = CFG.format('ppt-s-multiview_4xb8-20e_h36m-256x256')
B_COCO = CFG.format('ppt-b_4xb32-300e_coco-256x192')


@pytest.fixture(scope='module')
def conv():
    spec = importlib.util.spec_from_file_location(
        'ppt_official',
        osp.join(ROOT, 'tools', 'model_converters', 'ppt_official.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bn(prefix, ch, g):
    return {
        f'{prefix}.weight': 1 + 0.1 * torch.randn(ch, generator=g),
        f'{prefix}.bias': 0.1 * torch.randn(ch, generator=g),
        f'{prefix}.running_mean': 0.1 * torch.randn(ch, generator=g),
        f'{prefix}.running_var': 0.5 + torch.rand(ch, generator=g),
        f'{prefix}.num_batches_tracked': torch.tensor(7),
    }


def _w(g, *shape, std=0.05):
    return std * torch.randn(*shape, generator=g)


def official_stem(prefix, g):
    """conv1 bn1 conv2 bn2 + layer1 (4 Bottlenecks 64 -> 256)."""
    sd = {
        f'{prefix}conv1.weight': _w(g, 64, 3, 3, 3, std=0.2),
        f'{prefix}conv2.weight': _w(g, 64, 64, 3, 3)
    }
    sd.update(_bn(f'{prefix}bn1', 64, g))
    sd.update(_bn(f'{prefix}bn2', 64, g))
    for i in range(4):
        p = f'{prefix}layer1.{i}.'
        sd[p + 'conv1.weight'] = _w(g, 64, 64 if i == 0 else 256, 1, 1)
        sd[p + 'conv2.weight'] = _w(g, 64, 64, 3, 3)
        sd[p + 'conv3.weight'] = _w(g, 256, 64, 1, 1)
        for j, ch in ((1, 64), (2, 64), (3, 256)):
            sd.update(_bn(f'{p}bn{j}', ch, g))
    sd[f'{prefix}layer1.0.downsample.0.weight'] = _w(g, 256, 64, 1, 1)
    sd.update(_bn(f'{prefix}layer1.0.downsample.1', 256, g))
    return sd


def official_tokens(prefix,
                    g,
                    channels,
                    patch,
                    heatmap,
                    num_kpt=17,
                    depth=12,
                    dim=192,
                    layout='ppt'):
    """Keypoint tokens, sine table, patch embedding, transformer, MLP head
    under the official names."""
    (ph, pw), (hh, hw) = patch, heatmap
    hidden = hh * hw // 8
    sd = {
        prefix + 'keypoint_token':
        _w(g, 1, num_kpt, dim, std=0.5),
        prefix + 'pos_embedding':
        sine_position_table_2d(hh // ph, hw // pw, dim)[None],
        prefix + 'patch_to_embedding.weight':
        _w(g, dim, channels * ph * pw, std=0.02),
        prefix + 'patch_to_embedding.bias':
        _w(g, dim),
        prefix + 'mlp_head.0.weight':
        1 + _w(g, dim),
        prefix + 'mlp_head.0.bias':
        _w(g, dim),
        prefix + 'mlp_head.1.weight':
        _w(g, hidden, dim),
        prefix + 'mlp_head.1.bias':
        _w(g, hidden),
        prefix + 'mlp_head.2.weight':
        1 + _w(g, hidden),
        prefix + 'mlp_head.2.bias':
        _w(g, hidden),
        prefix + 'mlp_head.3.weight':
        _w(g, hh * hw, hidden),
        prefix + 'mlp_head.3.bias':
        _w(g, hh * hw),
    }
    attn = '0.' if layout == 'ppt' else '0.fn.'
    for i in range(depth):
        p = f'{prefix}transformer.layers.{i}.'
        sd.update({
            f'{p}{attn}norm.weight': 1 + _w(g, dim),
            f'{p}{attn}norm.bias': _w(g, dim),
            f'{p}{attn}fn.to_qkv.weight': _w(g, 3 * dim, dim, std=0.1),
            f'{p}{attn}fn.to_out.0.weight': _w(g, dim, dim),
            f'{p}{attn}fn.to_out.0.bias': _w(g, dim),
            f'{p}1.fn.norm.weight': 1 + _w(g, dim),
            f'{p}1.fn.norm.bias': _w(g, dim),
            f'{p}1.fn.fn.net.0.weight': _w(g, 3 * dim, dim),
            f'{p}1.fn.fn.net.0.bias': _w(g, 3 * dim),
            f'{p}1.fn.fn.net.3.weight': _w(g, dim, 3 * dim),
            f'{p}1.fn.fn.net.3.bias': _w(g, dim),
        })
    return sd


def official_ppt_s(
        patch=(4, 3), heatmap=(64, 48), num_kpt=17, layout='ppt', seed=0):
    g = torch.Generator().manual_seed(seed)
    sd = official_stem('features.', g)
    sd.update(
        official_tokens(
            'features.', g, 256, patch, heatmap, num_kpt, layout=layout))
    return sd


def official_multiview_ppt(seed=0):
    """HowieMa/PPT multi-view-PPT: PPT-S 256x256 under ``features.`` plus
    the 3D-PE ``features.pos_3d_linear`` (Linear(3, 192))."""
    sd = official_ppt_s(patch=(4, 4), heatmap=(64, 64), seed=seed)
    g = torch.Generator().manual_seed(seed + 100)
    sd['features.pos_3d_linear.weight'] = _w(g, 192, 3, std=0.5)
    sd['features.pos_3d_linear.bias'] = _w(g, 192, std=0.5)
    return sd


def official_ppt_b(width=32, depth=12, seed=0):
    """HRNet names are those of mmpose's HRNet (the official HRNet code)."""
    g = torch.Generator().manual_seed(seed)
    hrnet = MODELS.build(Config.fromfile(B_COCO).model.backbone).state_dict()
    sd = {
        f'pre_feature.{k}': _w(g, *v.shape) if v.is_floating_point() else v
        for k, v in hrnet.items()
    }
    sd.update(
        official_tokens(
            'transformer.', g, width, (4, 3), (64, 48), depth=depth))
    return sd


def _conv_bn(x, sd, conv, bn, stride=1, relu=True):
    weight = sd[conv + '.weight']
    x = F.conv2d(x, weight, stride=stride, padding=weight.shape[-1] // 2)
    x = F.batch_norm(
        x,
        sd[bn + '.running_mean'],
        sd[bn + '.running_var'],
        sd[bn + '.weight'],
        sd[bn + '.bias'],
        eps=1e-5)
    return x.relu() if relu else x


def _ref_tokens(sd, img, patch):
    """Stem-net, patches (p1 p2 c), patch embedding, sine table added:
    ``(B, N, D)`` visual tokens and the table ``(B, N, D)``."""
    p = 'features.'
    x = _conv_bn(img, sd, p + 'conv1', p + 'bn1', stride=2)
    x = _conv_bn(x, sd, p + 'conv2', p + 'bn2', stride=2)
    for i in range(4):
        b = f'{p}layer1.{i}.'
        y = _conv_bn(x, sd, b + 'conv1', b + 'bn1')
        y = _conv_bn(y, sd, b + 'conv2', b + 'bn2')
        y = _conv_bn(y, sd, b + 'conv3', b + 'bn3', relu=False)
        if i == 0:
            x = _conv_bn(
                x, sd, b + 'downsample.0', b + 'downsample.1', relu=False)
        x = (y + x).relu()
    x = rearrange(
        x, 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)', p1=patch[0], p2=patch[1])
    x = F.linear(x, sd[p + 'patch_to_embedding.weight'],
                 sd[p + 'patch_to_embedding.bias'])
    pos = sd[p + 'pos_embedding'].expand(x.shape[0], -1, -1)
    return x + pos, pos


def _ref_attention(x, sd, i, heads):
    """Pre-norm attention of layer ``i`` with 1/sqrt(D): the residual sum
    and the attention weights ``(B, H, T, T)``."""
    q = f'features.transformer.layers.{i}.'
    dim = x.shape[-1]
    h = F.layer_norm(x, (dim, ), sd[q + '0.norm.weight'],
                     sd[q + '0.norm.bias'])
    qkv = F.linear(h, sd[q + '0.fn.to_qkv.weight']).chunk(3, dim=-1)
    qh, kh, vh = (rearrange(t, 'b n (h d) -> b h n d', h=heads) for t in qkv)
    attn = (torch.einsum('bhid,bhjd->bhij', qh, kh) * dim**-0.5).softmax(-1)
    out = rearrange(
        torch.einsum('bhij,bhjd->bhid', attn, vh), 'b h n d -> b n (h d)')
    return x + F.linear(out, sd[q + '0.fn.to_out.0.weight'],
                        sd[q + '0.fn.to_out.0.bias']), attn


def _ref_ffn(x, sd, i):
    q = f'features.transformer.layers.{i}.'
    h = F.layer_norm(x, x.shape[-1:], sd[q + '1.fn.norm.weight'],
                     sd[q + '1.fn.norm.bias'])
    h = F.gelu(
        F.linear(h, sd[q + '1.fn.fn.net.0.weight'],
                 sd[q + '1.fn.fn.net.0.bias']))
    return x + F.linear(h, sd[q + '1.fn.fn.net.3.weight'],
                        sd[q + '1.fn.fn.net.3.bias'])


def _ref_prune(x, attn, num_kpt, ratio, *tables):
    """Keep the ceil(r N) visual tokens with the largest keypoint-row
    attention (head mean, summed over joints), gathering ``tables``."""
    score = attn[:, :, :num_kpt, num_kpt:].mean(1).sum(1)
    keep = score.topk(math.ceil(score.shape[1] * ratio)).indices
    index = keep[..., None].expand(-1, -1, x.shape[-1])
    x = torch.cat((x[:, :num_kpt], x[:, num_kpt:].gather(1, index)), dim=1)
    return (x, ) + tuple(t.gather(1, index) for t in tables)


def _ref_heatmaps(sd, k, heatmap):
    p = 'features.'
    for j in (0, 2):
        w = sd[f'{p}mlp_head.{j}.weight']
        k = F.layer_norm(k, w.shape, w, sd[f'{p}mlp_head.{j}.bias'])
        k = F.linear(k, sd[f'{p}mlp_head.{j + 1}.weight'],
                     sd[f'{p}mlp_head.{j + 1}.bias'])
    return k.view(k.shape[0], k.shape[1], *heatmap)


def reference_forward(sd,
                      img,
                      ratio,
                      num_kpt=17,
                      patch=(4, 3),
                      heatmap=(64, 48),
                      heads=8,
                      prune=(3, 6, 9)):
    """The official PPT-S forward restated from its description: stem-net,
    patches (p1 p2 c), sine-full PE, pre-norm layers with 1/sqrt(D) scale,
    pruning by the keypoint rows of the layer's own attention."""
    x, pos = _ref_tokens(sd, img, patch)
    x = torch.cat(
        (sd['features.keypoint_token'].expand(x.shape[0], -1, -1), x), dim=1)
    depth = 1 + max(int(k.split('.')[3]) for k in sd if 'layers.' in k)
    for i in range(depth):
        if i > 0:
            x = torch.cat((x[:, :num_kpt], x[:, num_kpt:] + pos), dim=1)
        x, attn = _ref_attention(x, sd, i, heads)
        if i in prune and ratio < 1:
            x, pos = _ref_prune(x, attn, num_kpt, ratio, pos)
        x = _ref_ffn(x, sd, i)
    return _ref_heatmaps(sd, x[:, :num_kpt], heatmap)


def reference_multiview_forward(sd,
                                imgs,
                                dirs,
                                ratio=0.7,
                                num_kpt=17,
                                heads=8,
                                fusion_start=10,
                                prune=(3, 6, 9)):
    """The official multi-view PPT forward restated from its description:
    ``imgs`` ``(B, V, 3, 256, 256)``, unit rays ``dirs`` ``(B, V, N, 3)``.
    Layers before ``fusion_start`` run per view (2D table re-added, HTI
    gathering the 2D table and the 3D PE ``pos_3d_linear(ray)``); the rest
    run on [keypoint tokens of all views, kept visual tokens of all views]
    with the gathered 2D + 3D PE re-added before every fused layer; each
    view's keypoint tokens go through the MLP head."""
    B, V = imgs.shape[:2]
    depth = 1 + max(int(k.split('.')[3]) for k in sd if 'layers.' in k)
    kpts, visual, positions = [], [], []
    for v in range(V):
        x, pos = _ref_tokens(sd, imgs[:, v], (4, 4))
        pos3d = F.linear(dirs[:, v], sd['features.pos_3d_linear.weight'],
                         sd['features.pos_3d_linear.bias'])
        x = torch.cat((sd['features.keypoint_token'].expand(B, -1, -1), x),
                      dim=1)
        for i in range(fusion_start):
            if i > 0:
                x = torch.cat((x[:, :num_kpt], x[:, num_kpt:] + pos), dim=1)
            x, attn = _ref_attention(x, sd, i, heads)
            if i in prune:
                x, pos, pos3d = _ref_prune(x, attn, num_kpt, ratio, pos, pos3d)
            x = _ref_ffn(x, sd, i)
        kpts.append(x[:, :num_kpt])
        visual.append(x[:, num_kpt:])
        positions.append(pos + pos3d)
    x = torch.cat(kpts + visual, dim=1)
    pos = torch.cat(positions, dim=1)
    for i in range(fusion_start, depth):
        x = torch.cat((x[:, :V * num_kpt], x[:, V * num_kpt:] + pos), dim=1)
        x, _ = _ref_attention(x, sd, i, heads)
        x = _ref_ffn(x, sd, i)
    kpt = x[:, :V * num_kpt].reshape(B * V, num_kpt, -1)
    return _ref_heatmaps(sd, kpt, (64, 64)).view(B, V, num_kpt, 64, 64)


def _model(config):
    return MODELS.build(Config.fromfile(config).model).eval()


def test_ppt_s_heatmaps_equal_official(conv):
    official = official_ppt_s()
    state, info = conv.convert(conv.official_state_dict(official))
    assert info['description'] == 'TokenPose-S / PPT-S, COCO 256x192'
    assert info['qk_scale'] == 'dim'
    assert len(state) == len(official) - 1  # all but the sine table
    model = _model(S_COCO)
    model.load_state_dict(state, strict=True)
    assert torch.equal(
        model.head.transformer.layers[5].fc2.weight,
        official['features.transformer.layers.5.1.fn.fn.net.3'
                 '.weight'])
    img = torch.randn(
        1, 3, 256, 192, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        for ratio in (0.7, 1.0):
            model.head.keep_ratio = ratio
            ours = model.head(model.backbone(img))
            ref = reference_forward(official, img, ratio)
            assert ours.shape == (1, 17, 64, 48)
            err = (ours - ref).abs().max() / ref.abs().max()
            assert err < 1e-4, (ratio, err)


def test_tokenpose_layout_gives_the_same_weights(conv):
    ppt, _ = conv.convert(official_ppt_s(layout='ppt'))
    tokenpose, info = conv.convert(official_ppt_s(layout='tokenpose'))
    assert ppt.keys() == tokenpose.keys()
    assert all(torch.equal(ppt[k], tokenpose[k]) for k in ppt)


def test_ppt_b_converts_and_wrong_config_is_named(conv):
    state, info = conv.convert(official_ppt_b())
    assert info['description'] == 'TokenPose-B / PPT-B, COCO 256x192'
    assert info['config'] == 'configs/ppt/ppt-b_4xb32-300e_coco-256x192.py'
    conv.check_against_config(state, info, B_COCO)
    with pytest.raises(conv.ConversionError) as err:
        conv.check_against_config(state, info, S_COCO)
    msg = str(err.value)
    assert 'TokenPose-B / PPT-B, COCO 256x192' in msg
    assert 'ppt-b_4xb32-300e_coco-256x192.py' in msg
    # loaded by hand into the PPT-S model, the head names what it expected
    with pytest.raises(ValueError, match=r'patch dim 3072'):
        _model(S_COCO).load_state_dict(state, strict=False)


def test_other_dataset_variant_is_refused_by_the_config(conv):
    state, info = conv.convert(
        official_ppt_s(patch=(4, 4), heatmap=(64, 64), num_kpt=16))
    assert info['description'] == 'TokenPose-S / PPT-S, MPII 256x256'
    with pytest.raises(conv.ConversionError) as err:
        conv.check_against_config(state, info, S_COCO)
    msg = str(err.value)
    assert 'MPII 256x256' in msg
    assert 'keypoint_tokens (1, 16, 192) (expected (1, 17, 192))' in msg


def test_unsupported_checkpoints(conv):
    learnable = official_ppt_s()
    learnable['features.pos_embedding'] = torch.randn(1, 256 + 17, 192)
    with pytest.raises(conv.ConversionError, match='sine'):
        conv.convert(learnable)
    multi_scale = official_ppt_b()
    multi_scale['transformer.transformer1.layers.0.0.fn.norm.weight'] = \
        torch.ones(192)
    with pytest.raises(conv.ConversionError, match='Supported: '):
        conv.convert(multi_scale)
    with pytest.raises(conv.ConversionError, match='"features."'):
        conv.convert({'backbone.conv1.weight': torch.ones(1)})
    with pytest.raises(conv.ConversionError, match='state dict'):
        conv.official_state_dict({'epoch': 3, 'model': 'x'})


def test_command_line(conv, tmp_path, capsys):
    official = official_ppt_s(seed=3)
    src, dst = tmp_path / 'official.pth', tmp_path / 'ours.pth'
    torch.save(
        {
            'state_dict': {
                'module.' + k: v
                for k, v in official.items()
            },
            'epoch': 300
        }, src)
    assert conv.main([str(src), str(dst), '--config', S_COCO]) == 0
    assert 'TokenPose-S / PPT-S, COCO 256x192' in capsys.readouterr().out
    model = _model(S_COCO)
    load_checkpoint(model, str(dst), map_location='cpu', strict=True)
    assert torch.equal(model.head.keypoint_tokens,
                       official['features.keypoint_token'])
    assert torch.equal(model.backbone.layer1[2].conv2.weight,
                       official['features.layer1.2.conv2.weight'])
    bad = tmp_path / 'bad.pth'
    torch.save({'conv.weight': torch.ones(1)}, bad)
    assert conv.main([str(bad), str(tmp_path / 'x.pth')]) == 1
    assert 'not a TokenPose / PPT checkpoint' in capsys.readouterr().err
    assert not (tmp_path / 'x.pth').exists()


def _unit_rays(B, V, N, seed):
    g = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(B, V, N, 3, generator=g), dim=-1)


def test_multiview_ppt_heatmaps_equal_official(conv):
    official = official_multiview_ppt()
    state, info = conv.convert(official)
    assert info['multiview'] is True
    assert info['description'].startswith('multi-view PPT')
    # the official model saw BGR images: its test config keeps that order
    assert info['config'] == \
        'configs/ppt/ppt-s-multiview-bgr_4xb8-20e_h36m-256x256.py'
    assert 'BGR' in info['note'] and 'bgr_to_rgb=False' in info['note']
    bgr = Config.fromfile(osp.join(ROOT, info['config']))
    assert bgr.model.data_preprocessor.bgr_to_rgb is False
    assert len(state) == len(official) - 1  # all but the sine table
    # tokens copied in their order: the checkpoint is in Human3.6M order
    assert torch.equal(state['head.keypoint_tokens'],
                       official['features.keypoint_token'])
    conv.check_against_config(state, info, MV)
    model = _model(MV)
    model.load_state_dict(state, strict=True)
    assert torch.equal(model.head.ray_encoding.proj.weight,
                       official['features.pos_3d_linear.weight'])
    g = torch.Generator().manual_seed(4)
    with torch.no_grad():
        for views in (4, 2):
            imgs = torch.randn(1, views, 3, 256, 256, generator=g)
            dirs = _unit_rays(1, views, 256, seed=views)
            ours = model.head(model.backbone(imgs.flatten(0, 1)), views,
                              dirs).view(1, views, 17, 64, 64)
            ref = reference_multiview_forward(official, imgs, dirs)
            err = (ours - ref).abs().max() / ref.abs().max()
            assert err < 1e-4, (views, err)
        # the views are fused and the 3D PE matters: without the rays'
        # encoding the reference moves far beyond the tolerance
        flat = dict(official)
        flat['features.pos_3d_linear.weight'] = torch.zeros(192, 3)
        flat['features.pos_3d_linear.bias'] = torch.zeros(192)
        off = reference_multiview_forward(flat, imgs, dirs)
        assert (off - ref).abs().max() / ref.abs().max() > 1e-2


def test_multiview_checkpoint_in_the_wrong_place(conv):
    state, info = conv.convert(official_multiview_ppt())
    with pytest.raises(conv.ConversionError) as err:
        conv.check_against_config(state, info, S_COCO256)
    assert 'multi-view PPT' in str(err.value)
    assert 'ppt-s-multiview-bgr_4xb8-20e_h36m-256x256.py' in str(err.value)
    with pytest.raises(conv.ConversionError, match='already a multi-view'):
        conv.convert(official_multiview_ppt(), h36m_init=True)
    # the 3D PE on a variant multi-view PPT was never built on
    wrong = official_ppt_s()  # 256x192
    wrong['features.pos_3d_linear.weight'] = torch.zeros(192, 3)
    wrong['features.pos_3d_linear.bias'] = torch.zeros(192)
    with pytest.raises(conv.ConversionError, match='multi-view checkpoint'):
        conv.convert(wrong)
    bad_ray = official_multiview_ppt()
    bad_ray['features.pos_3d_linear.weight'] = torch.zeros(256, 3)
    with pytest.raises(conv.ConversionError, match='Linear'):
        conv.convert(bad_ray)
    transfusion = {
        'reduce.weight': torch.zeros(256, 512, 1, 1),
        'global_encoder.layers.0.linear1.weight': torch.zeros(1024, 256)
    }
    with pytest.raises(conv.ConversionError, match='transfusion_official.py'):
        conv.convert(transfusion)


def test_h36m_init_reorders_coco_keypoint_tokens(conv, tmp_path, capsys):
    coco = official_ppt_s(patch=(4, 4), heatmap=(64, 64), seed=2)
    plain, info = conv.convert(coco)
    assert info['description'] == \
        'PPT-S, COCO 256x256 (multi-view pre-training)'
    # without the reorder the multi-view config refuses it and says why
    with pytest.raises(conv.ConversionError, match='--h36m-init'):
        conv.check_against_config(plain, info, MV)
    state, info = conv.convert(coco, h36m_init=True)
    assert info['h36m_init'] is True
    assert not any(k.startswith('head.ray_encoding') for k in state)
    conv.check_against_config(state, info, MV)
    tokens, src = state['head.keypoint_tokens'][0], coco[
        'features.keypoint_token'][0]
    # Human3.6M joint <- COCO keypoint, by name
    h36m = dict(
        root=0,
        rhip=1,
        rkne=2,
        rank=3,
        lhip=4,
        lkne=5,
        lank=6,
        belly=7,
        neck=8,
        nose=9,
        head=10,
        lsho=11,
        lelb=12,
        lwri=13,
        rsho=14,
        relb=15,
        rwri=16)
    cocos = dict(
        nose=0,
        leye=1,
        reye=2,
        lsho=5,
        rsho=6,
        lelb=7,
        relb=8,
        lwri=9,
        rwri=10,
        lhip=11,
        rhip=12,
        lkne=13,
        rkne=14,
        lank=15,
        rank=16)
    pairs = dict(root='rhip', belly='lhip', neck='leye', head='reye')
    for joint, row in h36m.items():
        assert torch.equal(tokens[row], src[cocos[pairs.get(joint,
                                                            joint)]]), joint
    # the rest is copied as it is
    assert torch.equal(state['head.mlp_head.3.weight'],
                       coco['features.mlp_head.3.weight'])
    with pytest.raises(conv.ConversionError, match='--h36m-init needs'):
        conv.convert(official_ppt_s(), h36m_init=True)  # 256x192
    src, dst = tmp_path / 'coco256.pth', tmp_path / 'init.pth'
    torch.save(coco, src)
    assert conv.main([str(src), str(dst), '--h36m-init', '--config', MV]) == 0
    assert 'Human3.6M order' in capsys.readouterr().out
    model = _model(MV)
    load_checkpoint(model, str(dst), map_location='cpu', strict=False)
    assert torch.equal(model.head.keypoint_tokens,
                       state['head.keypoint_tokens'])


def test_h36m_init_of_our_own_coco_256_checkpoint(conv):
    ours = _model(S_COCO256).state_dict()
    state, info = conv.convert(ours, h36m_init=True)
    assert info['h36m_init'] is True
    order = list(conv.COCO_TO_H36M)
    assert torch.equal(state['head.keypoint_tokens'][0],
                       ours['head.keypoint_tokens'][0, order])
    assert not torch.equal(state['head.keypoint_tokens'],
                           ours['head.keypoint_tokens'])
    conv.check_against_config(state, info, MV)
    with pytest.raises(conv.ConversionError, match='needs a COCO 256x256'):
        conv.convert(_model(S_COCO).state_dict(), h36m_init=True)
