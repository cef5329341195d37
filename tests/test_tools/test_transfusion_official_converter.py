"""tools/model_converters/transfusion_official.py on state dicts in the
official TransPose-R / TransFusion key layout (HowieMa/TransFusion-Pose
``multiview_transpose.py``), built independently of our modules."""
import importlib.util
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmhuman_ext.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(ROOT, 'configs', 'transfusion',
               'transfusion_4xb4-20e_h36m-256x256.py')


@pytest.fixture(scope='module')
def conv():
    spec = importlib.util.spec_from_file_location(
        'transfusion_official',
        osp.join(ROOT, 'tools', 'model_converters', 'transfusion_official.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bn(prefix, c):
    return {f'{prefix}.weight': (c, ), f'{prefix}.bias': (c, ),
            f'{prefix}.running_mean': (c, ), f'{prefix}.running_var': (c, ),
            f'{prefix}.num_batches_tracked': ()}


def official_shapes(num_joints=17, pe_3d=None):
    """Official parameter names and shapes (TransPose-R-A3 / TransFusion)."""
    s = {'conv1.weight': (64, 3, 7, 7), **_bn('bn1', 64)}
    inplanes = 64
    for li, (planes, blocks) in enumerate(((64, 3), (128, 4)), 1):
        for b in range(blocks):
            p = f'layer{li}.{b}'
            cin = inplanes if b == 0 else planes * 4
            s.update({f'{p}.conv1.weight': (planes, cin, 1, 1),
                      **_bn(f'{p}.bn1', planes),
                      f'{p}.conv2.weight': (planes, planes, 3, 3),
                      **_bn(f'{p}.bn2', planes),
                      f'{p}.conv3.weight': (planes * 4, planes, 1, 1),
                      **_bn(f'{p}.bn3', planes * 4)})
            if b == 0:
                s.update({f'{p}.downsample.0.weight': (planes * 4, cin, 1, 1),
                          **_bn(f'{p}.downsample.1', planes * 4)})
        inplanes = planes * 4
    s['reduce.weight'] = (256, 512, 1, 1)
    s['pos_embedding'] = (1024, 1, 256)
    for i in range(3):
        p = f'global_encoder.layers.{i}'
        s.update({f'{p}.self_attn.in_proj_weight': (768, 256),
                  f'{p}.self_attn.in_proj_bias': (768, ),
                  f'{p}.self_attn.out_proj.weight': (256, 256),
                  f'{p}.self_attn.out_proj.bias': (256, ),
                  f'{p}.linear1.weight': (1024, 256),
                  f'{p}.linear1.bias': (1024, ),
                  f'{p}.linear2.weight': (256, 1024),
                  f'{p}.linear2.bias': (256, ),
                  f'{p}.norm1.weight': (256, ), f'{p}.norm1.bias': (256, ),
                  f'{p}.norm2.weight': (256, ), f'{p}.norm2.bias': (256, )})
    s['deconv_layers.0.weight'] = (256, 256, 4, 4)
    s.update(_bn('deconv_layers.1', 256))
    s['final_layer.weight'] = (num_joints, 256, 1, 1)
    s['final_layer.bias'] = (num_joints, )
    if pe_3d == 'geometry':
        s['pos_3d_linear.weight'] = (256, 3)
        s['pos_3d_linear.bias'] = (256, )
    elif pe_3d == 'learnable':
        s['pos_3d'] = (2, 1024, 1, 256)
    return s


def random_state(shapes):
    g = torch.Generator().manual_seed(0)
    return {k: (torch.randint(0, 9, ()) if not s else torch.randn(
        s, generator=g)) for k, s in shapes.items()}


def test_transpose_init_loads_everything_but_final_layer(conv):
    state = random_state(official_shapes())
    # DataParallel prefix and state_dict nesting are removed
    out = conv.convert(conv.official_state_dict(
        dict(state_dict={'module.' + k: v for k, v in state.items()})))
    model = MODELS.build(Config.fromfile(CFG).model)
    missing, unexpected = model.load_state_dict(out, strict=False)
    assert unexpected == []
    # new in TransFusion: the H36M output layer and the GPE linear
    assert sorted(missing) == ['head.final_layer.bias',
                               'head.final_layer.weight',
                               'neck.ray_encoding.proj.bias',
                               'neck.ray_encoding.proj.weight']
    sd = model.state_dict()
    assert torch.equal(sd['backbone.layer2.3.conv2.weight'],
                       state['layer2.3.conv2.weight'])
    assert torch.equal(sd['neck.layers.2.self_attn.in_proj_weight'],
                       state['global_encoder.layers.2.self_attn.'
                             'in_proj_weight'])
    assert torch.equal(sd['head.deconv_layers.1.running_var'],
                       state['deconv_layers.1.running_var'])
    assert conv.detect_mode(state) == 'transpose'


def test_transfusion_union_and_3d_pe(conv):
    state = random_state(official_shapes(20, 'geometry'))
    out = conv.convert(state)
    model = MODELS.build(Config.fromfile(CFG).model)
    model.load_state_dict(out, strict=True)
    w = model.state_dict()['head.final_layer.weight']
    assert torch.equal(w[8], state['final_layer.weight'][9])  # neck
    assert torch.equal(w[16], state['final_layer.weight'][19])
    assert torch.equal(model.neck.ray_encoding.proj.bias,
                       state['pos_3d_linear.bias'])
    learn = random_state(official_shapes(20, 'learnable'))
    cfg = Config.fromfile(CFG).model
    cfg.neck.pe_3d = 'learnable'
    m2 = MODELS.build(cfg)
    m2.load_state_dict(conv.convert(learn), strict=True)
    assert torch.equal(m2.neck.pos_3d[1], learn['pos_3d'][1, :, 0])


def test_foreign_keys_are_named(conv):
    state = random_state(official_shapes())
    state['keypoint_token'] = torch.zeros(1, 17, 192)
    with pytest.raises(conv.ConversionError, match='keypoint_token'):
        conv.convert(state)
    with pytest.raises(conv.ConversionError, match='reduce.weight'):
        conv.convert({k: v for k, v in random_state(
            official_shapes()).items() if k != 'reduce.weight'})


def test_trained_models_are_pointed_to_the_bgr_config(conv, tmp_path,
                                                       capsys):
    """Official TransFusion models saw BGR images: the converter says so
    and names the config that keeps that order."""
    state = random_state(official_shapes(20, 'geometry'))
    torch.save(state, tmp_path / 'official.pth')
    conv.main([str(tmp_path / 'official.pth'), str(tmp_path / 'ours.pth')])
    out = capsys.readouterr().out
    assert 'BGR' in out and 'bgr_to_rgb=False' in out
    bgr = 'configs/transfusion/transfusion-bgr_4xb4-20e_h36m-256x256.py'
    assert bgr in out
    model = MODELS.build(Config.fromfile(osp.join(ROOT, bgr)).model)
    assert model.data_preprocessor.bgr_to_rgb is False
    ours = torch.load(tmp_path / 'ours.pth', weights_only=True)
    model.load_state_dict(ours['state_dict'], strict=True)
    # the TransPose COCO initialisation is only a starting point: no note
    torch.save(random_state(official_shapes()), tmp_path / 'tp.pth')
    conv.main([str(tmp_path / 'tp.pth'), str(tmp_path / 'tp_ours.pth')])
    assert 'BGR' not in capsys.readouterr().out
