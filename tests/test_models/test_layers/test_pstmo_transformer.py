"""P-STMO transformer blocks: LayerNorm formula, attention, strided layer."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmhuman_ext.models.layers.pstmo_transformer import (
    BNLinearHead, MultiheadSelfAttention, PoseMLPEmbedding,
    StridedTransformerLayer, UnbiasedLayerNorm, build_norm)


def test_unbiased_layernorm_divides_by_unbiased_std_plus_eps():
    torch.manual_seed(0)
    norm = UnbiasedLayerNorm(8, eps=0.5)
    norm.weight.data.uniform_(0.5, 2)
    norm.bias.data.normal_()
    x = torch.randn(3, 5, 8)
    mean = x.mean(-1, keepdim=True)
    std = ((x - mean)**2).sum(-1, keepdim=True).div(7).sqrt()  # C - 1
    expected = norm.weight * (x - mean) / (std + 0.5) + norm.bias
    torch.testing.assert_close(norm(x), expected)
    # differs from torch's LayerNorm (biased variance inside the sqrt)
    ln = build_norm('ln', 8)
    assert not torch.allclose(UnbiasedLayerNorm(8)(x), ln(x), atol=1e-3)
    with pytest.raises(ValueError, match='norm'):
        build_norm('bn', 8)


def test_attention_equals_explicit_softmax_attention():
    torch.manual_seed(0)
    attn = MultiheadSelfAttention(16, num_heads=4).eval()
    x = torch.randn(2, 7, 16)
    q, k, v = attn.qkv(x).split(16, dim=-1)

    def heads(t):
        return t.view(2, 7, 4, 4).transpose(1, 2)

    w = (heads(q) @ heads(k).transpose(-1, -2) / math.sqrt(4)).softmax(-1)
    out = (w @ heads(v)).transpose(1, 2).reshape(2, 7, 16)
    torch.testing.assert_close(attn(x), attn.proj(out), atol=1e-6, rtol=1e-5)
    with pytest.raises(ValueError, match='divisible'):
        MultiheadSelfAttention(10, 4)


@pytest.mark.parametrize('length, out_len', [(27, 9), (9, 3), (3, 1), (10, 4)])
def test_strided_layer_length_and_residual_subsampling(length, out_len):
    torch.manual_seed(0)
    layer = StridedTransformerLayer(16, 4, 32, stride=3).eval()
    x = torch.randn(2, length, 16)
    y = layer(x)
    assert y.shape == (2, out_len, 16)
    # the residual keeps tokens 0, 3, 6, ... of the attention output
    h = x + layer.attn(layer.norm1(x))
    f = F.relu(layer.fc1(layer.norm2(h)))
    f = layer.conv(f.transpose(1, 2)).transpose(1, 2)
    torch.testing.assert_close(y, h[:, ::3] + f)


def test_sem_and_head_shapes_and_shared_frame_weights():
    torch.manual_seed(0)
    sem = PoseMLPEmbedding(34, 64, 32, num_blocks=2).eval()
    x = torch.randn(3, 5, 17, 2)
    out = sem(x)
    assert out.shape == (3, 5, 32)
    # per-frame map: frame 2 alone gives the same features
    torch.testing.assert_close(sem(x[:, 2:3])[:, 0], out[:, 2])
    head = BNLinearHead(32, 51).eval()
    assert head(out).shape == (3, 5, 51)
