"""Stage I masked pose modelling: masks, ordering, loss, weight transfer."""
import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmhuman_ext.registry import MODELS

FLIP = [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12, 13]
SMALL_ENC = dict(
    type='STMOEncoder',
    embed_dims=32,
    sem_hidden_dims=64,
    ffn_dims=64,
    num_heads=4,
    num_layers=2)
SMALL_DEC = dict(
    type='MPMDecoder',
    in_dims=32,
    embed_dims=16,
    ffn_dims=32,
    num_heads=4,
    num_layers=1)


def build(seq_len, **kw):
    return MODELS.build(
        dict(
            type='MaskedPoseModeling',
            encoder=dict(SMALL_ENC, seq_len=seq_len),
            decoder=SMALL_DEC,
            **kw))


def test_decoder_takes_the_frame_count_from_the_encoder():
    model = build(81)
    assert model.decoder.pos_embed.shape[1] == 81
    with pytest.raises(ValueError, match='disagrees with the encoder'):
        MODELS.build(
            dict(
                type='MaskedPoseModeling',
                encoder=dict(SMALL_ENC, seq_len=81),
                decoder=dict(SMALL_DEC, seq_len=243)))
    with pytest.raises(ValueError, match='MPMDecoder needs seq_len'):
        MODELS.build(SMALL_DEC)


@pytest.mark.parametrize('seq_len, ratio, masked', [(243, 0.8, 194),
                                                    (243, 0.6, 145),
                                                    (81, 0.7, 56),
                                                    (243, 0.9, 218)])
def test_temporal_mask_counts(seq_len, ratio, masked):
    model = build(seq_len, temporal_mask_ratio=ratio)
    vis, msk, _ = model.sample_masks(4)
    assert msk.shape == (4, masked) and vis.shape == (4, seq_len - masked)
    both = torch.cat([vis, msk], 1).sort(1).values
    assert torch.equal(both, torch.arange(seq_len).expand(4, -1))
    assert (vis == vis[:1]).all()  # shared by the batch (official)


def test_spatial_masks_official_candidates_and_per_sample_option():
    torch.manual_seed(0)
    model = build(243, spatial_mask_num=2)
    _, _, spatial = model.sample_masks(2)
    assert (spatial.sum(-1) == 2).all()
    assert not spatial[..., 16].any()  # joints 0-15 only
    assert torch.equal(spatial[0], spatial[1])
    model = build(
        243, spatial_mask_num=3, spatial_candidates=17, mask_per_sample=True)
    rates = torch.stack([
        model.sample_masks(8)[2].float().mean((0, 1)) for _ in range(20)
    ]).mean(0)
    torch.testing.assert_close(
        rates, torch.full((17, ), 3 / 17), atol=0.01, rtol=0)
    vis, _, spatial = model.sample_masks(2)
    assert not torch.equal(vis[0], vis[1])
    assert not torch.equal(spatial[0], spatial[1])
    with pytest.raises(ValueError, match='spatial_mask_num'):
        build(27, spatial_mask_num=5, spatial_candidates=4)


def test_encoder_sees_only_visible_frames_and_masked_joints_are_replaced():
    torch.manual_seed(0)
    model = build(27, temporal_mask_ratio=0.7).eval()
    x = torch.randn(2, 27, 17, 2)
    vis, msk, spatial = model.sample_masks(2)
    seen = {}

    def record(name, value):

        def hook(module, inputs, output):
            seen.setdefault(name, value(inputs[0]))

        return hook

    model.encoder.layers[0].register_forward_hook(
        record('tokens', lambda t: t.shape[1]))
    model.encoder.sem.register_forward_hook(
        record('sem_in', lambda t: t.clone()))
    out = model.reconstruct(x, vis, msk, spatial)
    assert out.shape == (2, 27, 17, 2)
    assert seen['tokens'] == 27 - 18  # int(27 * 0.7) = 18 masked
    sem_in = seen['sem_in']
    torch.testing.assert_close(
        sem_in[spatial],
        model.spatial_mask_token.expand(int(spatial.sum()), 2))
    torch.testing.assert_close(sem_in[~spatial], x[~spatial])


def test_loss_compares_with_input_reordered_visible_then_masked():
    torch.manual_seed(0)
    model = build(27)
    x = torch.randn(3, 27, 17, 2)
    torch.manual_seed(5)
    loss = model(x, mode='loss')['loss_mpm']
    torch.manual_seed(5)
    vis, msk, spatial = model.sample_masks(3)
    pred = model.reconstruct(x, vis, msk, spatial)
    order = torch.cat([vis, msk], 1)
    target = x[torch.arange(3)[:, None], order]
    torch.testing.assert_close(loss, (pred - target).norm(dim=-1).mean())


def test_predict_is_reproducible_and_in_temporal_order():
    torch.manual_seed(0)
    model = build(27, test_cfg=dict(flip_test=True, mask_seed=3)).eval()
    x = torch.randn(2, 27, 17, 2)

    def data():
        return [
            BaseDataElement(metainfo=dict(id=7, flip_indices=FLIP))
            for _ in range(2)
        ]

    a = model(list(x), data(), mode='predict')
    b = model(x, data(), mode='predict')
    np.testing.assert_array_equal(a[0].pred_instances.keypoints,
                                  b[0].pred_instances.keypoints)
    assert a[0].pred_instances.keypoints.shape == (1, 27, 17, 2)
    g = torch.Generator().manual_seed(3 + 7)
    vis, msk, spatial = model.sample_masks(2, g)
    plain = model.reconstruct(x, vis, msk, spatial)
    mirror = torch.tensor([-1., 1.])
    flip = model.reconstruct(x[:, :, FLIP] * mirror, vis, msk, spatial)
    avg = (plain + flip[:, :, FLIP] * mirror) / 2
    temporal = torch.empty_like(avg)
    temporal[:, torch.cat([vis[0], msk[0]])] = avg
    np.testing.assert_allclose(
        a[1].pred_instances.keypoints[0],
        temporal[1].detach().numpy(),
        rtol=1e-5,
        atol=1e-6)


def test_stage1_encoder_loads_into_stage2_through_init_cfg(tmp_path):
    torch.manual_seed(0)
    stage1 = build(27)
    ckpt = tmp_path / 'stage1.pth'
    torch.save(dict(state_dict=stage1.state_dict(), meta=dict()), ckpt)
    stage2 = MODELS.build(
        dict(
            type='STMO',
            encoder=dict(
                SMALL_ENC,
                seq_len=27,
                init_cfg=dict(
                    type='Pretrained', checkpoint=str(ckpt),
                    prefix='encoder.')),
            mofa=dict(
                type='StridedTransformerEncoder',
                embed_dims=32,
                ffn_dims=64,
                num_heads=4)))
    stage2.init_weights()
    enc1 = stage1.encoder.state_dict()
    enc2 = stage2.encoder.state_dict()
    assert set(enc1) == set(enc2)
    for key, value in enc1.items():
        torch.testing.assert_close(enc2[key], value, msg=key)
