"""Sine position table, prunable transformer layers, HTI and PPTTransformer."""
import math

import pytest
import torch

from mmhuman_ext.models.layers import (HumanTokenIdentification,
                                       PostNormTransformerLayer,
                                       PPTTransformer, PreNormTransformerLayer,
                                       num_kept_tokens, sine_position_table_2d)
from mmhuman_ext.models.layers import transformer_layers
from mmhuman_ext.models.layers.token_pruning import check_keep_ratio



def test_sine_table_formula_and_layout():
    h, w, d = 4, 3, 16
    table = sine_position_table_2d(h, w, d)
    assert table.shape == (h * w, d)
    half = d // 2
    # token (i, j) = (1, 2): n = i * w + j
    i, j, n = 1, 2, 1 * 3 + 2
    y = 2 * math.pi * (i + 1) / (h + 1e-6)
    x = 2 * math.pi * (j + 1) / (w + 1e-6)
    for m in range(half):
        omega = 10000**(2 * (m // 2) / half)
        trig = math.sin if m % 2 == 0 else math.cos
        assert table[n, m].item() == pytest.approx(trig(y / omega), abs=1e-6)
        assert table[n, half + m].item() == pytest.approx(
            trig(x / omega), abs=1e-6)
    grid = table.view(h, w, d)
    # y half first: constant along a row, x half constant along a column
    assert torch.equal(grid[:, :1, :half].expand(h, w, half), grid[..., :half])
    assert torch.equal(grid[:1, :, half:].expand(h, w, half), grid[..., half:])
    assert not torch.allclose(grid[0, 0, :half], grid[1, 0, :half])
    assert not torch.allclose(sine_position_table_2d(4, 4, d)[:3], table[:3])
    with pytest.raises(ValueError, match='divisible by 4'):
        sine_position_table_2d(2, 2, 6)


@pytest.mark.parametrize('ratio,counts', [(0.7, [256, 180, 126, 89]),
                                          (0.8, [256, 205, 164, 132]),
                                          (0.6, [256, 154, 93, 56]),
                                          (1.0, [256, 256, 256, 256])])
def test_kept_token_counts(ratio, counts):
    got = [256]
    for _ in range(3):
        got.append(num_kept_tokens(got[-1], ratio))
    assert got == counts


@pytest.mark.parametrize('bad', [0, 0.0, -0.3, 1.01, 2])
def test_keep_ratio_out_of_range(bad):
    with pytest.raises(ValueError, match=r'\(0, 1\]'):
        check_keep_ratio(bad)
    with pytest.raises(ValueError, match=r'\(0, 1\]'):
        HumanTokenIdentification(keep_ratio=bad)
    hti = HumanTokenIdentification(keep_ratio=0.5)
    with pytest.raises(ValueError, match=r'\(0, 1\]'):
        hti.keep_ratio = bad
    assert hti.keep_ratio == 0.5


def test_keep_ratio_type():
    with pytest.raises(TypeError, match=r'\(0, 1\]'):
        check_keep_ratio('0.7')
    with pytest.raises(TypeError):
        check_keep_ratio(True)


def test_hti_keeps_top_attended_tokens_with_their_positions():
    torch.manual_seed(0)
    B, J, N, C = 2, 3, 10, 4
    x = torch.randn(B, J + N, C)
    pos = torch.randn(1, N, 6)
    # keypoint attention (B, J, J + N): the visual tokens' summed score is
    # known; sample 0 prefers tokens 7, 2, 9, 4 and sample 1 tokens 0, 5, 1
    scores = torch.rand(B, N) * 0.01
    scores[0, [7, 2, 9, 4]] = torch.tensor([0.9, 0.8, 0.7, 0.6])
    scores[1, [0, 5, 1]] = torch.tensor([0.9, 0.8, 0.7])
    attn = torch.zeros(B, J, J + N)
    attn[:, :, J:] = scores[:, None, :] / J  # summed over J = scores
    hti = HumanTokenIdentification(keep_ratio=0.4)  # ceil(0.4 * 10) = 4
    out, (pos_out, ), index = hti(x, attn, (pos, ))
    assert index[0].tolist() == [7, 2, 9, 4]
    assert index[1, :3].tolist() == [0, 5, 1]
    assert out.shape == (B, J + 4, C)
    assert torch.equal(out[:, :J], x[:, :J])
    for b in range(B):
        assert torch.equal(out[b, J:], x[b, J + index[b]])
        assert torch.equal(pos_out[b], pos[0, index[b]])
    assert sum(p.numel() for p in hti.parameters()) == 0


def _tiny_encoder(layer_type='PreNormTransformerLayer',
                  prune=(1, 2),
                  ratio=0.5,
                  num_layers=4,
                  J=3,
                  C=8):
    if layer_type == 'PreNormTransformerLayer':
        layer = dict(
            type=layer_type,
            embed_dims=C,
            num_heads=2,
            feedforward_channels=16)
    else:
        layer = dict(
            type=layer_type,
            embed_dims=C,
            num_heads=2,
            feedforward_channels=16,
            dropout=0.)
    return PPTTransformer(
        num_layers,
        layer,
        J,
        prune_layers=prune,
        hti_cfg=dict(type='HumanTokenIdentification', keep_ratio=ratio))


def test_encoder_bookkeeping_follows_the_attention(monkeypatch):
    """Attention probabilities are replaced by a known preference for
    tokens; the kept sets, their order, the composed index map and the
    position rows travelling with the tokens must all follow it."""
    torch.manual_seed(0)
    B, J, N, C = 2, 3, 16, 8
    enc = _tiny_encoder(J=J, C=C).eval()
    with torch.no_grad():  # make every layer an identity on the residual
        for layer in enc.layers:
            layer.proj.weight.zero_()
            layer.proj.bias.zero_()
            layer.fc2.weight.zero_()
            layer.fc2.bias.zero_()
    preference = torch.rand(B, N)  # channel 0 of each visual token
    x = torch.zeros(B, J + N, C)
    x[:, J:, 0] = preference
    pos = torch.zeros(N, C)
    pos[:, 1] = torch.arange(N, dtype=torch.float)  # token identity

    original = PreNormTransformerLayer.attention
    ffn_lengths, attn_lengths = [], []

    def attention(self, x, pos=None, num_query_rows=0):
        out, rows = original(self, x, pos, num_query_rows)
        attn_lengths.append(x.shape[1])
        if num_query_rows:
            rows = out[:, None, :, 0].expand(-1, num_query_rows, -1)
        return out, rows

    def ffn(self, x):
        ffn_lengths.append(x.shape[1])
        return x

    monkeypatch.setattr(PreNormTransformerLayer, 'attention', attention)
    monkeypatch.setattr(PreNormTransformerLayer, 'ffn', ffn)
    out, kept = enc(x, pos, return_indices=True)

    # layers 1 and 2 prune: 16 -> 8 -> 4 visual tokens
    assert attn_lengths == [J + 16, J + 16, J + 8, J + 4]
    assert ffn_lengths == [J + 16, J + 8, J + 4, J + 4]
    assert [k.shape for k in kept] == [(B, 8), (B, 4)]
    order = preference.argsort(dim=1, descending=True)
    assert torch.equal(kept[0], order[:, :8])
    assert torch.equal(kept[1], order[:, :4])
    # every layer added the position row of the token's own origin
    assert torch.equal(out[:, J:, 1], 4 * kept[1].float())
    assert torch.equal(out[:, J:, 0], preference.gather(1, kept[1]))
    assert torch.equal(out[:, :J], x[:, :J])


@pytest.mark.parametrize(
    'layer_type', ['PreNormTransformerLayer', 'PostNormTransformerLayer'])
def test_keep_ratio_one_is_plain_transformer(layer_type, monkeypatch):
    torch.manual_seed(0)
    enc = _tiny_encoder(layer_type, ratio=1.0).eval()
    x = torch.randn(2, 3 + 16, 8)
    pos = torch.randn(16, 8)
    plain = x
    for layer in enc.layers:
        plain = layer(plain, pos[None])

    def forbidden(*args, **kwargs):
        raise AssertionError('attention rows computed at keep ratio 1')

    monkeypatch.setattr(transformer_layers, 'keypoint_attention_rows',
                        forbidden)
    out, kept = enc(x, pos, return_indices=True)
    assert kept == []
    assert torch.equal(out, plain)


@pytest.mark.parametrize(
    'layer_type', ['PreNormTransformerLayer', 'PostNormTransformerLayer'])
def test_pruned_encoder_shapes_and_grad(layer_type):
    torch.manual_seed(0)
    enc = _tiny_encoder(layer_type, prune=(0, 1, 3), ratio=0.7)
    x = torch.randn(2, 3 + 16, 8, requires_grad=True)
    out, kept = enc(x, torch.randn(2, 16, 8), return_indices=True)
    assert [k.shape[1] for k in kept] == [12, 9, 7]
    assert out.shape == (2, 3 + 7, 8)
    for k in kept:  # unique indices into the original 16 tokens
        assert all(len(set(row.tolist())) == k.shape[1] for row in k)
        assert k.min() >= 0 and k.max() < 16
    out[:, :3].sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert all(p.grad is not None for p in enc.layers[0].parameters())


def test_layer_ranges_compose_to_the_whole_encoder():
    """run_layers over [0, 2) then [2, 4) equals forward; tensors passed as
    ``aligned`` travel with the kept tokens like the position table."""
    torch.manual_seed(0)
    enc = _tiny_encoder(prune=(1, 2), ratio=0.7).eval()
    B, J, N = 2, 3, 16
    x, pos = torch.randn(B, J + N, 8), torch.randn(N, 8)
    ident = torch.arange(N, dtype=torch.float).view(1, N, 1).expand(B, N, 5)
    whole, kept = enc(x, pos, return_indices=True)
    first = enc.run_layers(x, pos, 0, 2, aligned=[ident],
                           return_indices=True)
    second = enc.run_layers(first.tokens, first.pos, 2, aligned=first.aligned,
                            return_indices=True)
    torch.testing.assert_close(second.tokens, whole)
    assert [k.shape[1] for k in first.kept + second.kept] == [12, 9]
    # kept indices of the second range point into the first range's output
    torch.testing.assert_close(first.kept[0].gather(1, second.kept[0]),
                               kept[1])
    torch.testing.assert_close(second.aligned[0][..., 0], kept[1].float())
    torch.testing.assert_close(second.pos,
                               pos[kept[1]].view(B, 9, 8))
    # prune=False runs the same layers without dropping tokens
    assert enc.run_layers(x, pos, 0, 4, prune=False).tokens.shape == (B,
                                                                      J + N,
                                                                      8)
    with pytest.raises(ValueError, match=r'layer range \[3, 5\)'):
        enc.run_layers(x, pos, 3, 5)


def test_encoder_rejects_bad_prune_layers():
    with pytest.raises(ValueError, match=r'\[0, 4\)'):
        _tiny_encoder(prune=(2, 4))


def _reference_attention(x, wqkv, scale, heads):
    B, L, C = x.shape
    q, k, v = (x @ wqkv.t()).chunk(3, dim=-1)
    q, k, v = (
        t.view(B, L, heads, C // heads).transpose(1, 2) for t in (q, k, v))
    attn = (torch.einsum('bhid,bhjd->bhij', q, k) * scale).softmax(-1)
    out = torch.einsum('bhij,bhjd->bhid', attn, v)
    return out.transpose(1, 2).reshape(B, L, C), attn


@pytest.mark.parametrize('qk_scale,scale', [('dim', 8**-0.5),
                                            ('head', 4**-0.5), (0.3, 0.3)])
def test_pre_norm_layer_matches_reference(qk_scale, scale):
    torch.manual_seed(0)
    layer = PreNormTransformerLayer(8, 2, 24, qk_scale=qk_scale)
    assert layer.scale == pytest.approx(scale)
    x, pos = torch.randn(2, 7, 8), torch.randn(1, 5, 8)
    lead = torch.cat((x[:, :2], x[:, 2:] + pos), dim=1)
    attn_out, attn = _reference_attention(
        layer.norm1(lead), layer.qkv.weight, scale, 2)
    mid = lead + layer.proj(attn_out)
    ref = mid + layer.fc2(
        torch.nn.functional.gelu(layer.fc1(layer.norm2(mid))))
    out, rows = layer.attention(x, pos, num_query_rows=2)
    torch.testing.assert_close(out, mid)
    torch.testing.assert_close(rows, attn[:, :, :2].mean(1))
    torch.testing.assert_close(layer(x, pos), ref)
    assert layer.qkv.bias is None


def test_pre_norm_layer_rejects_bad_settings():
    with pytest.raises(ValueError, match='divisible'):
        PreNormTransformerLayer(10, 3, 8)
    with pytest.raises(ValueError, match='qk_scale'):
        PreNormTransformerLayer(8, 2, 8, qk_scale='width')


def test_post_norm_layer_matches_torch_attention():
    torch.manual_seed(0)
    layer = PostNormTransformerLayer(8, 2, 16, dropout=0.1).eval()
    x, pos = torch.randn(2, 7, 8), torch.randn(1, 5, 8)
    qk = x + torch.cat((torch.zeros(1, 2, 8), pos), dim=1)
    attn_out, attn = layer.self_attn(qk, qk, x)
    mid = layer.norm1(x + attn_out)
    ref = layer.norm2(mid + layer.linear2(torch.relu(layer.linear1(mid))))
    out, rows = layer.attention(x, pos, num_query_rows=3)
    torch.testing.assert_close(out, mid)
    torch.testing.assert_close(rows, attn[:, :3])
    torch.testing.assert_close(layer(x, pos), ref)
    names = {n for n, _ in layer.named_parameters()}
    assert {
        'self_attn.in_proj_weight', 'self_attn.out_proj.weight',
        'linear1.weight', 'norm2.bias'
    } <= names
