"""tools/model_converters/pstmo_official.py on state dicts in the official
key layout, checked against a functional forward pass written from the
paper / spec on those official tensors (independent of our modules)."""
import importlib.util
import math
import os.path as osp
import sys
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from mmhuman_ext.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    'pstmo_official',
    osp.join(ROOT, 'tools', 'model_converters', 'pstmo_official.py'))
converter = importlib.util.module_from_spec(spec)
spec.loader.exec_module(converter)

D, FFN, HEADS, J = 32, 48, 4, 17
FLIP = [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12, 13]


def rand(*shape, scale=0.2):
    return torch.randn(*shape) * scale


def bn(prefix, n):
    return {
        f'{prefix}.weight': 1 + rand(n),
        f'{prefix}.bias': rand(n),
        f'{prefix}.running_mean': rand(n),
        f'{prefix}.running_var': 0.5 + torch.rand(n),
        f'{prefix}.num_batches_tracked': torch.tensor(7)
    }


def layer(prefix, d, ffn, strided=False):
    sd = {}
    for i in range(4):
        sd[f'{prefix}.self_attn.linears.{i}.weight'] = rand(d, d)
        sd[f'{prefix}.self_attn.linears.{i}.bias'] = rand(d)
    if strided:
        sd[f'{prefix}.feed_forward.w_1.weight'] = rand(ffn, d, 1)
        sd[f'{prefix}.feed_forward.w_2.weight'] = rand(d, ffn, 3)
    else:
        sd[f'{prefix}.feed_forward.w_1.weight'] = rand(ffn, d)
        sd[f'{prefix}.feed_forward.w_2.weight'] = rand(d, ffn)
    sd[f'{prefix}.feed_forward.w_1.bias'] = rand(ffn)
    sd[f'{prefix}.feed_forward.w_2.bias'] = rand(d)
    for k in (0, 1):
        sd[f'{prefix}.sublayer.{k}.norm.a_2'] = 1 + rand(d)
        sd[f'{prefix}.sublayer.{k}.norm.b_2'] = rand(d)
    return sd


def official_encoder(n, tem):
    sd = {
        'encoder.fc_1.weight': rand(2 * D, 2 * J, 1),
        'encoder.fc_1.bias': rand(2 * D)
    }
    sd.update(bn('encoder.bn_1', 2 * D))
    for w, b in (('w1', 'batch_norm1'), ('w2', 'batch_norm2')):
        sd[f'encoder.layers.0.{w}.weight'] = rand(2 * D, 2 * D, 1)
        sd[f'encoder.layers.0.{w}.bias'] = rand(2 * D)
        sd.update(bn(f'encoder.layers.0.{b}', 2 * D))
    sd['encoder.fc_2.weight'] = rand(D, 2 * D, 1)
    sd['encoder.fc_2.bias'] = rand(D)
    sd['Transformer.pos_embedding'] = torch.randn(1, n, D)
    for i in range(tem):
        sd.update(layer(f'Transformer.model.layers.{i}', D, FFN))
    sd['Transformer.model.norm.a_2'] = torch.ones(D)
    sd['Transformer.model.norm.b_2'] = torch.zeros(D)
    return sd


def official_stage2(n, tem, strides):
    sd = official_encoder(n, tem)
    for k in (1, 2, 3):
        sd[f'Transformer_reduce.model.pos_embedding_{k}'] = torch.randn(
            1, n, D)
    for i in range(len(strides)):
        sd.update(
            layer(
                f'Transformer_reduce.model.layers.{i}', D, FFN, strided=True))
    sd['Transformer_reduce.model.norm.a_2'] = torch.ones(D)
    sd['Transformer_reduce.model.norm.b_2'] = torch.zeros(D)
    for head in ('fcn', 'fcn_1'):
        sd.update(bn(f'{head}.0', D))
        sd[f'{head}.1.weight'] = rand(3 * J, D, 1)
        sd[f'{head}.1.bias'] = rand(3 * J)
    return OrderedDict(('module.' + k, v) for k, v in sd.items())


# ---- reference forward on the official tensors (the paper's equations) ----
def ln(x, sd, p):
    mean, std = x.mean(-1, keepdim=True), x.std(-1, keepdim=True)
    return sd[p + '.a_2'] * (x - mean) / (std + 1e-6) + sd[p + '.b_2']


def mhsa(x, sd, p):
    B, L, _ = x.shape

    def proj(i, t):
        return F.linear(t, sd[f'{p}.linears.{i}.weight'],
                        sd[f'{p}.linears.{i}.bias'])

    q, k, v = (
        proj(i, x).view(B, L, HEADS, -1).transpose(1, 2) for i in range(3))
    w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D // HEADS), -1)
    return proj(3, (w @ v).transpose(1, 2).reshape(B, L, -1))


def bn_ref(x, sd, p):  # x (B, C, L)
    return F.batch_norm(x, sd[p + '.running_mean'], sd[p + '.running_var'],
                        sd[p + '.weight'], sd[p + '.bias'], False, 0., 1e-5)


def conv(x, sd, p, **kw):
    return F.conv1d(x, sd[p + '.weight'], sd[p + '.bias'], **kw)


def ref_encoder(sd, x):
    B, N = x.shape[:2]
    h = x.reshape(B, N, -1).transpose(1, 2)  # (B, 2J, N)
    h = F.leaky_relu(
        bn_ref(conv(h, sd, 'encoder.fc_1'), sd, 'encoder.bn_1'), 0.2)
    y = F.leaky_relu(
        bn_ref(
            conv(h, sd, 'encoder.layers.0.w1'), sd,
            'encoder.layers.0.batch_norm1'), 0.2)
    y = F.leaky_relu(
        bn_ref(
            conv(y, sd, 'encoder.layers.0.w2'), sd,
            'encoder.layers.0.batch_norm2'), 0.2)
    h = conv(h + y, sd, 'encoder.fc_2').transpose(1, 2)
    h = h + sd['Transformer.pos_embedding']
    i = 0
    while f'Transformer.model.layers.{i}.sublayer.0.norm.a_2' in sd:
        p = f'Transformer.model.layers.{i}'
        h = h + mhsa(ln(h, sd, p + '.sublayer.0.norm'), sd, p + '.self_attn')
        f = ln(h, sd, p + '.sublayer.1.norm')
        f = F.linear(
            F.relu(
                F.linear(f, sd[p + '.feed_forward.w_1.weight'],
                         sd[p + '.feed_forward.w_1.bias'])),
            sd[p + '.feed_forward.w_2.weight'],
            sd[p + '.feed_forward.w_2.bias'])
        h, i = h + f, i + 1
    return h


def ref_stage2(sd, x, strides):
    tem = ref_encoder(sd, x)
    h = tem
    for i, s in enumerate(strides):
        p = f'Transformer_reduce.model.layers.{i}'
        if i < 3:
            h = h + sd[
                f'Transformer_reduce.model.pos_embedding_{i + 1}'][:, :h.
                                                                   shape[1]]
        h = h + mhsa(ln(h, sd, p + '.sublayer.0.norm'), sd, p + '.self_attn')
        f = ln(h, sd, p + '.sublayer.1.norm').transpose(1, 2)
        f = conv(
            F.relu(conv(f, sd, p + '.feed_forward.w_1')),
            sd,
            p + '.feed_forward.w_2',
            stride=s,
            padding=1)
        h = h[:, ::s] + f.transpose(1, 2)

    def head(name, feats):
        out = conv(
            bn_ref(feats.transpose(1, 2), sd, name + '.0'), sd, name + '.1')
        return out.transpose(1, 2).reshape(x.shape[0], -1, J, 3)

    return head('fcn', h), head('fcn_1', tem)


def lifter(n, tem, strides, refine=False):
    codec = dict(type='SeqPoseLifting', num_keypoints=17)
    return MODELS.build(
        dict(
            type='PoseLifter',
            backbone=dict(
                type='STMO',
                return_centre_input=refine,
                encoder=dict(
                    type='STMOEncoder',
                    embed_dims=D,
                    sem_hidden_dims=2 * D,
                    ffn_dims=FFN,
                    num_heads=HEADS,
                    num_layers=tem,
                    seq_len=n),
                mofa=dict(
                    type='StridedTransformerEncoder',
                    embed_dims=D,
                    ffn_dims=FFN,
                    num_heads=HEADS,
                    strides=strides,
                    seq_len=n)),
            head=dict(
                type='STMORefineHead' if refine else 'STMOHead',
                in_channels=D,
                decoder=codec),
            test_cfg=dict(flip_test=False))).eval()


@pytest.mark.parametrize('n, tem, strides', [(27, 2, (3, 3, 3)),
                                             (9, 3, (3, 3))])
def test_stage2_conversion_matches_the_official_forward(n, tem, strides):
    torch.manual_seed(0)
    official = official_stage2(n, tem, strides)
    ours, desc = converter.convert({'model_pos': official, 'epoch': 11})
    assert desc == (f'Stage II (STMO): N={n}, TEM layers={tem}, '
                    f'MOFA layers={len(strides)}')
    model = lifter(n, tem, strides)
    model.load_state_dict(ours, strict=True)
    x = torch.randn(3, n, J, 2)
    plain = {k[7:]: v for k, v in official.items()}
    with torch.no_grad():
        single, multi = model.head(model.backbone(x))
        ref_single, ref_multi = ref_stage2(plain, x, strides)
    for a, b in ((single, ref_single), (multi, ref_multi)):
        assert (a - b).abs().max() <= 1e-4 * b.abs().max()
    # bare state dict (torch.save(model.state_dict())) works too
    assert converter.convert(plain)[0].keys() == ours.keys()


def test_stage1_conversion_loads_strictly():
    torch.manual_seed(0)
    n = 9
    sd = official_encoder(n, 2)
    sd.update(layer('Transformer_dec.model.layers.0', D // 2, FFN // 2))
    sd['Transformer_dec.model.norm.a_2'] = torch.ones(D // 2)
    sd['Transformer_dec.model.norm.b_2'] = torch.zeros(D // 2)
    sd['encoder_to_decoder.weight'] = rand(D // 2, D)
    sd['encoder_LN.a_2'], sd['encoder_LN.b_2'] = torch.ones(D), rand(D)
    sd.update(bn('fcn_dec.0', D // 2))
    sd['fcn_dec.1.weight'] = rand(2 * J, D // 2, 1)
    sd['fcn_dec.1.bias'] = rand(2 * J)
    sd['dec_pos_embedding'] = torch.randn(1, n, D // 2)
    sd['mask_token'] = torch.randn(1, 1, D // 2)
    sd['spatial_mask_token'] = torch.randn(1, 1, 2)
    ours, desc = converter.convert(sd)
    assert desc.startswith('Stage I')
    model = MODELS.build(
        dict(
            type='MaskedPoseModeling',
            encoder=dict(
                type='STMOEncoder',
                embed_dims=D,
                sem_hidden_dims=2 * D,
                ffn_dims=FFN,
                num_heads=HEADS,
                num_layers=2,
                seq_len=n),
            decoder=dict(
                type='MPMDecoder',
                in_dims=D,
                embed_dims=D // 2,
                ffn_dims=FFN // 2,
                num_heads=HEADS,
                num_layers=1,
                seq_len=n)))
    model.load_state_dict(ours, strict=True)
    torch.testing.assert_close(model.decoder.in_norm.bias,
                               sd['encoder_LN.b_2'])
    torch.testing.assert_close(model.spatial_mask_token,
                               sd['spatial_mask_token'].view(2))
    # the encoder part equals the reference forward (all frames visible)
    x = torch.randn(2, n, J, 2)
    with torch.no_grad():
        torch.testing.assert_close(
            model.eval().encoder(x), ref_encoder(sd, x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('flip_test', [False, True])
def test_refine_merge_and_back_projection(tmp_path, monkeypatch, flip_test):
    """Our refine model against the official run.py refine branch; with
    flip test the 3D output is averaged with the un-flipped output of the
    mirrored input, and the back-projection reads the *unflipped* centre
    frame (``input_augmentation`` returns the non-flipped input)."""
    torch.manual_seed(0)
    n, strides = 9, (3, 3)
    stage2 = official_stage2(n, 2, strides)
    refine = {
        'module.post_refine.0.weight': rand(1024, 6 * J),
        'module.post_refine.0.bias': rand(1024),
        'module.post_refine.3.weight': rand(2 * J, 1024),
        'module.post_refine.3.bias': rand(2 * J)
    }
    torch.save(stage2, tmp_path / 'no_refine.pth')
    torch.save(refine, tmp_path / 'refine.pth')
    monkeypatch.setattr(sys, 'argv', [
        'x',
        str(tmp_path / 'no_refine.pth'),
        str(tmp_path / 'ours.pth'), '--refine',
        str(tmp_path / 'refine.pth')
    ])
    converter.main()
    ckpt = torch.load(tmp_path / 'ours.pth', weights_only=True)
    model = lifter(n, 2, strides, refine=True)
    model.load_state_dict(ckpt['state_dict'], strict=True)
    model.test_cfg['flip_test'] = flip_test
    # reference: official back-projection with the GT root depth + blend
    x = torch.randn(2, n, J, 2) * 0.3
    root = np.array([[0.1, -0.2, 4.5]])
    cam = dict(
        w=1000, h=1002, f=np.array([1145., 1143.]), c=np.array([512., 515.]))
    data = []
    for _ in range(2):
        s = PoseDataSample(
            metainfo=dict(
                target_root=root, camera_param=cam, flip_indices=FLIP))
        s.gt_instance_labels = InstanceData()
        data.append(s)
    with torch.no_grad():
        # mmpose's flip test mirrors the batch in place: give it a copy
        pred = model.predict(x.clone(), data)[0].pred_instances.keypoints[0]
        plain = {k[7:]: v for k, v in stage2.items()}
        out = ref_stage2(plain, x, strides)[0][:, 0]  # (B, J, 3)
        if flip_test:
            mirror = torch.tensor([-1., 1.])
            out_flip = ref_stage2(plain, x[:, :, FLIP] * mirror,
                                  strides)[0][:, 0]
            out = (out + out_flip[:, FLIP] * torch.tensor([-1., 1., 1.])) / 2
        uv = x[:, n // 2]
        f = torch.tensor(cam['f'] / 1000 * 2, dtype=torch.float32)
        c = torch.tensor((cam['c'] - [500, 501]) / 500, dtype=torch.float32)
        z = out[..., 2] + 4.5
        z[:, 0] = 4.5
        xyz = torch.cat([(uv - c) * z[..., None] / f, z[..., None]], -1)
        xyz = xyz - xyz[:, :1]
        h = torch.cat([out, xyz], -1).reshape(2, -1)
        r = {k[7:]: v for k, v in refine.items()}
        a = torch.sigmoid(
            F.linear(
                F.relu(
                    F.linear(h, r['post_refine.0.weight'],
                             r['post_refine.0.bias'])),
                r['post_refine.3.weight'],
                r['post_refine.3.bias'])).view(2, J, 2)
        expected = out.clone()
        expected[..., :2] = a * out[..., :2] + (1 - a) * xyz[..., :2]
        expected[:, 0] = 0
    np.testing.assert_allclose(
        pred, expected[0].numpy() + root, rtol=1e-4, atol=1e-5)


def test_unknown_checkpoints_are_refused():
    with pytest.raises(converter.ConversionError, match='not an official'):
        converter.convert({'backbone.conv.weight': torch.zeros(1)})
    with pytest.raises(converter.ConversionError, match='state dict'):
        converter.convert({'model_pos': 3})
