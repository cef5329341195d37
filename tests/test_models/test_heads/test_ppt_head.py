"""PPTHead: tokenisation, shapes, errors, loss / predict, learning."""
import pytest
import torch
from mmengine.structures import InstanceData, PixelData
from mmpose.structures import PoseDataSample

from mmhuman_ext.registry import MODELS

CODEC = dict(
    type='MSRAHeatmap',
    input_size=(48, 64),
    heatmap_size=(12, 16),
    sigma=2,
    unbiased=True,
    blur_kernel_size=11)



def _head(**kwargs):
    cfg = dict(
        type='PPTHead',
        in_channels=8,
        feat_size=(12, 16),
        patch_size=(3, 4),
        num_keypoints=5,
        heatmap_size=(12, 16),
        embed_dims=32,
        depth=4,
        num_heads=4,
        mlp_ratio=2,
        prune_layers=(1, 2),
        keep_ratio=0.5,
        decoder=CODEC)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_shapes_and_token_counts():
    head = _head()
    feats = (torch.randn(2, 8, 16, 12), )
    assert head(feats).shape == (2, 5, 16, 12)
    tokens = head.tokenize(feats)
    assert tokens.shape == (2, 5 + 16, 32)
    out, kept = head.transformer(tokens, head.pos_embed, return_indices=True)
    assert [k.shape[1] for k in kept] == [8, 4]
    assert out.shape == (2, 5 + 4, 32)
    # the position table is a constant buffer, not a parameter nor state
    assert head.pos_embed.shape == (16, 32)
    assert 'pos_embed' not in dict(head.named_parameters())
    assert 'pos_embed' not in head.state_dict()


def test_mlp_head_forms():
    assert len(_head().mlp_head) == 2  # D = 32 > D_h / 2 = 12: one Linear
    two = _head(
        embed_dims=8,
        num_heads=2,
        heatmap_size=(12, 16),
        hidden_heatmap_dim=24)
    assert len(two.mlp_head) == 4
    assert two.mlp_head[1].out_features == 24
    assert two((torch.randn(1, 8, 16, 12), )).shape == (1, 5, 16, 12)


def test_patch_flattening_order():
    """Patch vector = (p_h, p_w, c) with the channel fastest (official)."""
    head = _head(
        in_channels=2,
        patch_size=(2, 2),
        feat_size=(4, 4),
        embed_dims=8,
        num_heads=2,
        heatmap_size=(4, 4))
    with torch.no_grad():
        head.patch_embed.weight.copy_(torch.eye(8))
        head.patch_embed.bias.zero_()
    x = torch.arange(2 * 4 * 4, dtype=torch.float).view(1, 2, 4, 4)
    tokens = head.tokenize((x, ))[0, 5:]
    # token n = 1 is grid row 0, column 1: pixels (0..1, 2..3)
    expected = [
        x[0, c, p1, 2 + p2] for p1 in range(2) for p2 in range(2)
        for c in range(2)
    ]
    assert tokens[1].tolist() == torch.stack(expected).tolist()


def test_wrong_feature_size_names_expected():
    head = _head()
    with pytest.raises(ValueError) as err:
        head((torch.randn(1, 8, 16, 16), ))
    msg = str(err.value)
    assert '(B, 8, 16, 12)' in msg and '(1, 8, 16, 16)' in msg
    assert 'position' in msg and '(48, 64)' in msg
    with pytest.raises(ValueError, match='divisible'):
        _head(feat_size=(13, 16))


@pytest.mark.parametrize('bad', [0.0, 1.2, -1])
def test_keep_ratio_validation(bad):
    with pytest.raises(ValueError, match=r'\(0, 1\]'):
        _head(keep_ratio=bad)
    head = _head()
    with pytest.raises(ValueError, match=r'\(0, 1\]'):
        head.keep_ratio = bad
    head.keep_ratio = 1
    assert head.transformer.hti.keep_ratio == 1.0


def test_init_follows_official():
    head = _head(embed_dims=8, num_heads=2, hidden_heatmap_dim=24)
    head.init_weights()
    lin = head.mlp_head[1]
    assert torch.all(lin.bias == 0)
    assert 0.01 < lin.weight.std().item() < 0.03
    assert torch.all(head.mlp_head[0].weight == 1)
    assert 0.01 < head.keypoint_tokens.std().item() < 0.03
    assert torch.all(head.transformer.layers[0].fc1.bias == 0)


def test_checkpoint_of_other_layout_is_refused():
    head = _head()
    other = _head(num_keypoints=4).state_dict()
    with pytest.raises(ValueError) as err:
        head.load_state_dict(other)
    msg = str(err.value)
    assert 'keypoint_tokens (1, 4, 32) (expected (1, 5, 32))' in msg
    assert '5 keypoint tokens' in msg
    deeper = _head(depth=6).state_dict()
    with pytest.raises(ValueError, match=r'6 transformer layers \(expected'):
        head.load_state_dict(deeper, strict=False)
    head.load_state_dict(_head().state_dict())


def _samples(heatmaps, weights):
    samples = []
    for hm, w in zip(heatmaps, weights):
        s = PoseDataSample(
            metainfo=dict(
                flip_indices=[0, 2, 1, 4, 3],
                input_size=(48, 64),
                input_center=(24., 32.),
                input_scale=(48., 64.)))
        s.gt_fields = PixelData(heatmaps=hm)
        s.gt_instance_labels = InstanceData(keypoint_weights=w[None])
        samples.append(s)
    return samples


def test_loss_predict_and_flip_test():
    torch.manual_seed(0)
    head = _head()
    feats = (torch.randn(2, 8, 16, 12), )
    heatmaps = torch.rand(2, 5, 16, 12)
    weights = torch.ones(2, 5)
    weights[1, 3] = 0
    samples = _samples(heatmaps, weights)
    losses = head.loss(feats, samples)
    pred = head(feats)
    expected = 0.5 * (((pred - heatmaps)**2).mean((2, 3)) * weights).mean()
    torch.testing.assert_close(losses['loss_kpt'], expected)
    head.eval()
    preds = head.predict([feats, (feats[0].flip(3), )],
                         samples,
                         test_cfg=dict(flip_test=True, shift_heatmap=False))
    assert len(preds) == 2 and preds[0].keypoints.shape == (1, 5, 2)


def test_tiny_head_learns_with_pruning():
    """100 Adam steps on 4 fixed feature maps: the loss drops >= 90% while
    every forward prunes 16 -> 8 -> 4 visual tokens."""
    torch.manual_seed(0)
    head = _head(hidden_heatmap_dim=96)
    feats = (torch.randn(4, 8, 16, 12), )
    ys, xs = torch.meshgrid(
        torch.arange(16.), torch.arange(12.), indexing='ij')
    centres = torch.rand(4, 5, 2) * torch.tensor([11., 15.])
    target = torch.exp(-((xs - centres[..., :1, None])**2 +
                         (ys - centres[..., 1:, None])**2) / 8)
    opt = torch.optim.Adam(head.parameters(), lr=3e-3)
    losses = []
    for _ in range(100):
        loss = ((head(feats) - target)**2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
