"""CVTHead networks at their exact size (the official parameter counts,
docs/cvthead.md) and their shapes."""
import math

import numpy as np
import pytest
import torch

from mmhuman_ext.registry import MODELS


def full_generator_cfg(hierarchy_path):
    """The CVTHead generator at its real size on a mesh hierarchy file."""
    return dict(
        type='CVTHeadGenerator',
        hierarchy=dict(type='MeshHierarchy', path=hierarchy_path),
        encoder=dict(type='ROMEBottleneckEncoder'),
        vertex_transformer=dict(type='VertexFeatureTransformer'),
        upsampler=dict(type='SpiralMeshUpsampler'),
        rasterizer=dict(type='PointZBufferRasterizer', image_size=256),
        renderer=dict(type='PointRenderUNet'))


def _count(m):
    return sum(p.numel() for p in m.parameters() if p.requires_grad)


@pytest.fixture(scope='module')
def generator(flame_sized_hierarchy):
    return MODELS.build(full_generator_cfg(flame_sized_hierarchy))


def test_generator_parameter_counts(generator):
    assert _count(generator) == 30_823_652
    assert _count(generator.encoder) == 20_242_176
    vt = generator.vertex_transformer
    assert _count(vt.proj) == 524_544
    assert _count(vt.patch_embed) == 131_200
    assert _count(vt.layers) == 792_576
    assert _count(generator.upsampler) == 442_752
    assert _count(generator.descriptor_head) == 4_128
    assert _count(generator.renderer) == 8_646_084
    assert vt.queries.shape == (314, 128) and _count(vt) - 792_576 - \
        524_544 - 131_200 == 40_192


def test_discriminator_and_deca_sizes():
    d = MODELS.build(dict(type='FeaturePatchDiscriminator'))
    assert _count(d) == 2_758_849
    tiny = MODELS.build(dict(type='FeaturePatchDiscriminator',
                             base_channels=4, max_channels=16))
    with torch.no_grad():
        feats, score = tiny(torch.zeros(1, 3, 256, 256))
    assert [f.shape[2:] for f in feats] == [(126, 126), (61, 61), (29, 29),
                                            (26, 26)]
    assert score.shape == (1, 1, 26, 26)
    deca = MODELS.build(dict(type='DECAEncoder'))
    assert sum(p.numel() for p in deca.parameters()) == 25_848_108
    assert _count(deca) == 0 and not deca.train().training


def test_encoder_and_unet_shapes():
    """Narrow versions of the real architectures (shapes scale the same)."""
    enc = MODELS.build(dict(type='ROMEBottleneckEncoder', base_channels=8,
                            max_channels=32))
    unet = MODELS.build(dict(type='PointRenderUNet', in_channels=9,
                             base_channels=8))
    with torch.no_grad():
        assert enc(torch.zeros(1, 4, 64, 64)).shape == (1, 128, 8, 8)
        rgb, mask = unet(torch.randn(2, 9, 48, 48))
    assert rgb.shape == (2, 3, 48, 48) and mask.shape == (2, 1, 48, 48)
    assert rgb.abs().max() <= 1 and mask.min() >= 0 and mask.max() <= 1


def test_ws_conv_standardises_weights():
    from mmhuman_ext.models.editors.cvthead.rome_encoder import WSConv2d
    conv = WSConv2d(3, 4, 3, bias=False)
    with torch.no_grad():
        conv.weight.mul_(7).add_(3)
    x = torch.randn(1, 3, 8, 8)
    w = conv.weight - conv.weight.mean((1, 2, 3), keepdim=True)
    w = w / (w.flatten(1).std(1).view(-1, 1, 1, 1) + 1e-5)
    assert torch.allclose(conv(x), torch.nn.functional.conv2d(x, w),
                          atol=1e-5)


def test_positional_encodings_and_queries(generator):
    vt = generator.vertex_transformer
    assert torch.count_nonzero(vt.queries) == 0
    pe = vt.image_pe  # (256, 128), fixed
    assert not pe.requires_grad and pe.shape == (256, 128)
    for i, j in ((0, 0), (3, 7), (15, 15)):
        t_y, t_x = (i + 1) / 16, (j + 1) / 16
        expect = []
        for t in (t_y, t_x):
            for c in range(64):
                w = 10000**(-2 * (c // 2) / 64)
                f = math.sin if c % 2 == 0 else math.cos
                expect.append(f(2 * math.pi * t * w))
        assert torch.allclose(pe[i * 16 + j], torch.tensor(expect),
                              atol=1e-4)
    from mmhuman_ext.models.editors.cvthead.vertex_feature_transformer import \
        vertex_position_encoding
    pts = torch.rand(2, 5, 3) * 2 - 1
    enc = vertex_position_encoding(pts, 128, ('uv', ))
    t_u = (pts[0, 0, 0] + 1) / 2
    assert torch.isclose(enc[0, 0, 64], torch.sin(2 * math.pi * t_u))
    assert torch.isclose(enc[0, 0, 65], torch.cos(2 * math.pi * t_u * 10000
                                                  **(-2 * 0 / 64)))
    dep = vertex_position_encoding(pts, 128, ('depth', ))
    assert dep.abs().max() <= 1 and dep.shape == (2, 5, 128)


def test_patch_tokens_are_row_major_p1_p2_c(generator):
    vt = generator.vertex_transformer
    feats = torch.randn(1, 2048, 32, 32)
    with torch.no_grad():
        x = vt.proj(feats)
        manual = torch.stack([
            torch.stack([x[0, :, 2 * r + p1, 2 * c + p2]
                         for p1 in range(2) for p2 in range(2)]).reshape(-1)
            for r in range(16) for c in range(16)
        ])
        expect = vt.patch_embed(manual)[None] + vt.image_pe
        assert torch.allclose(vt.tokens(feats), expect, atol=1e-4)


def test_full_model_trainable_count_with_hair_deformation(
        flame_sized_hierarchy, tmp_path):
    """f_H (a ResNet-50, 23,630,972 parameters) is frozen: the trainable
    parameters stay the generator's and the discriminator's."""
    n = 5023
    rng = np.random.default_rng(0)
    flame = tmp_path / 'flame.npz'
    np.savez(flame, v_template=rng.standard_normal((n, 3)),
             f=rng.integers(0, n, (2 * n, 3)),
             shapedirs=np.zeros((n, 3, 350), np.float32),
             posedirs=np.zeros((n, 3, 36), np.float32),
             J_regressor=np.full((5, n), 1 / n), weights=np.full((n, 5), 0.2),
             kintree_table=np.array([[-1, 0, 1, 1, 1], [0, 1, 2, 3, 4]]))
    model = MODELS.build(dict(
        type='CVTHead',
        generator=full_generator_cfg(flame_sized_hierarchy),
        discriminator=dict(type='FeaturePatchDiscriminator'),
        flame=dict(type='FLAMELayer', model_path=str(flame)),
        hair_deformer=dict(type='LinearHairDeformer', num_vertices=n),
        loss_l1=dict(type='mmagic.L1Loss')))
    assert _count(model) == 30_823_652 + 2_758_849
    assert _count(model.generator) == 30_823_652
    assert _count(model.discriminator) == 2_758_849
    assert sum(p.numel() for p in model.hair_deformer.parameters()) == \
        23_630_972
    assert _count(model.hair_deformer) == 0
