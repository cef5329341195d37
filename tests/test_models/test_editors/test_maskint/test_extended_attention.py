import pytest
import torch
from diffusers.models.attention_processor import Attention, AttnProcessor2_0

from mmhuman_ext.models.editors.maskint import ExtendedSelfAttnProcessor


@pytest.fixture
def attn():
    torch.manual_seed(0)
    return Attention(32, heads=4, dim_head=8).eval()


def test_one_keyframe_is_plain_attention(attn):
    x = torch.randn(4, 10, 32)
    out = ExtendedSelfAttnProcessor(num_frames=1)(attn, x)
    assert torch.allclose(out, AttnProcessor2_0()(attn, x), atol=1e-6)


def test_identical_keyframes_are_plain_attention(attn):
    x = torch.randn(2, 10, 32)
    dup = x.repeat_interleave(3, dim=0)  # each group: 3 copies of a frame
    out = ExtendedSelfAttnProcessor(num_frames=3)(attn, dup)
    assert torch.allclose(out, AttnProcessor2_0()(attn, dup), atol=1e-5)


def test_matches_eq_5_4(attn):
    """softmax(Q^j [K^1, K^2]^T / sqrt(d)) [V^1, V^2], written out."""
    x = torch.randn(2, 6, 32)
    out = ExtendedSelfAttnProcessor(num_frames=2)(attn, x)
    q, k, v = attn.to_q(x), attn.to_k(x), attn.to_v(x)
    k_all, v_all = k.reshape(1, 12, 32), v.reshape(1, 12, 32)

    def split(t):
        return t.view(t.shape[0], -1, 4, 8).transpose(1, 2)

    for j in range(2):
        w = (split(q[j:j + 1]) @ split(k_all).transpose(-1, -2) / 8**0.5)
        o = (w.softmax(-1) @ split(v_all)).transpose(1, 2).reshape(1, 6, 32)
        ref = attn.to_out[0](o)
        assert torch.allclose(out[j:j + 1], ref, atol=1e-5)


def test_guidance_halves_never_mix(attn):
    """Batch [uncond F | cond F]: changing one half leaves the other's
    output unchanged, while frames inside a half do see each other."""
    x = torch.randn(4, 10, 32)
    proc = ExtendedSelfAttnProcessor(num_frames=2)
    base = proc(attn, x)
    y = x.clone()
    y[0] += 1.  # first uncond keyframe
    out = proc(attn, y)
    assert torch.allclose(out[2:], base[2:], atol=1e-6)  # cond half
    assert not torch.allclose(out[1], base[1], atol=1e-4)  # same half
    with pytest.raises(ValueError, match='multiple of num_frames'):
        ExtendedSelfAttnProcessor(num_frames=3)(attn, x)


def test_image_shaped_input(attn):
    attn_gn = Attention(32, heads=4, dim_head=8, norm_num_groups=4,
                        residual_connection=True, rescale_output_factor=2.)
    x = torch.randn(2, 32, 3, 4)
    out = ExtendedSelfAttnProcessor(1)(attn_gn, x)
    assert torch.allclose(out, AttnProcessor2_0()(attn_gn, x), atol=1e-6)
