import torch
from torch import nn

from mmhuman_ext.models.layers import embed_patches


def test_conv_form_equals_linear_on_channel_fastest_patches():
    torch.manual_seed(0)
    B, C, ph, pw, gh, gw = 2, 5, 4, 3, 3, 2
    x = torch.randn(B, C, gh * ph, gw * pw)
    linear = nn.Linear(ph * pw * C, 7)
    out = embed_patches(x, linear, (ph, pw))
    # patch (i, j) as a vector: pixel (a, b) of the patch, channel fastest
    patches = torch.stack([
        torch.stack([
            x[:, :, i * ph:(i + 1) * ph, j * pw:(j + 1) * pw].permute(
                0, 2, 3, 1).reshape(B, -1) for j in range(gw)
        ], 1) for i in range(gh)
    ], 1).reshape(B, gh * gw, -1)
    torch.testing.assert_close(out, linear(patches))
    out.sum().backward()  # gradients reach the Linear's parameters
    assert linear.weight.grad is not None and linear.bias.grad is not None
