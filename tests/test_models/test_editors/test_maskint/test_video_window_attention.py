import pytest
import torch
import torch.nn.functional as F

from mmhuman_ext.models.editors.maskint import VideoWindowAttentionLayer


def _layer(window, c=16, heads=2):
    torch.manual_seed(0)
    return VideoWindowAttentionLayer(c, heads, 2 * c, window=window).eval()


def _global_attention(layer, x):
    """Reference: the same layer with one window over the given tokens."""
    B, L, C = x.shape
    y = layer.norm1(x)
    q, k, v = layer.qkv(y).view(B, L, 3, layer.num_heads,
                                C // layer.num_heads).permute(2, 0, 3, 1,
                                                              4).unbind(0)
    a = F.softmax(q @ k.transpose(-1, -2) * layer.scale, -1) @ v
    x = x + layer.proj(a.transpose(1, 2).reshape(B, L, C))
    return x + layer.fc2(layer.act(layer.fc1(layer.norm2(x))))


def test_parameter_count_base_layer():
    layer = VideoWindowAttentionLayer(768, 12, 3072)
    assert sum(p.numel() for p in layer.parameters()) == 7_087_872


def test_spatial_full_frame_equals_per_frame_attention():
    layer = _layer((1, None, None))
    x = torch.randn(2, 3, 5, 7, 16)
    out = layer(x)
    ref = _global_attention(layer, x.reshape(6, 35, 16)).view_as(x)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


def test_tube_covering_grid_equals_full_3d_attention():
    layer = _layer((None, 6, 8))
    x = torch.randn(2, 4, 6, 8, 16)
    ref = _global_attention(layer, x.reshape(2, -1, 16)).view_as(x)
    torch.testing.assert_close(layer(x), ref, atol=1e-5, rtol=1e-5)


def test_padding_is_masked_out():
    """A 5 x 7 grid padded to 6 x 8 windows of 6 x 8 must equal global
    attention over the 35 real tokens."""
    layer = _layer((None, 6, 8))
    x = torch.randn(1, 2, 5, 7, 16)
    ref = _global_attention(layer, x.reshape(1, -1, 16)).view_as(x)
    torch.testing.assert_close(layer(x), ref, atol=1e-5, rtol=1e-5)


def test_spatial_layer_keeps_frames_apart():
    layer = _layer((1, None, None))
    x = torch.randn(1, 4, 6, 6, 16)
    x2 = x.clone()
    x2[0, 2, 3, 3] += 1.
    changed = (layer(x) - layer(x2)).abs().amax(dim=(0, 2, 3, 4))
    assert changed[2] > 0
    assert torch.all(changed[[0, 1, 3]] == 0)


def test_tube_layer_keeps_windows_apart():
    layer = _layer((None, 3, 3))
    x = torch.randn(1, 4, 6, 6, 16)
    x2 = x.clone()
    x2[0, 1, 0, 0] += 1.  # window (rows 0-2, cols 0-2)
    diff = (layer(x) - layer(x2)).abs().amax(dim=(0, 1, 4))
    assert diff[:3, :3].amax() > 0
    assert diff[3:].amax() == 0 and diff[:, 3:].amax() == 0


def test_window_must_have_three_sides():
    with pytest.raises(ValueError, match='window'):
        VideoWindowAttentionLayer(16, 2, 32, window=(2, 2))
