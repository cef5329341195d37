"""Convolution blocks shared by the ORFNT networks (docs/motion_transfer.md).

All blocks keep the spatial size unless they say otherwise; activations are
LeakyReLU(0.2). ``norm_cfg`` is an mmcv norm config, by default an affine
``BatchNorm2d`` (as in the FOMM / MRAA generator that the paper's 2D
baseline reuses: instance norm would remove each sample's per-channel mean,
i.e. the global colours that reconstruction needs); ``None`` leaves the
normalisation out (the CPU demo: the statistics of a 4-image batch also
shift the colours, docs/motion_transfer.md).
"""
from typing import Callable, Optional, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from torch import Tensor, nn

BN = dict(type='BN')


def norm(channels: int, norm_cfg: Optional[dict]) -> nn.Module:
    """The ``norm_cfg`` layer for ``channels``, or identity when None."""
    if norm_cfg is None:
        return nn.Identity()
    return build_norm_layer(norm_cfg, channels)[1]


def conv(cin: int, cout: int, kernel: int = 3, stride: int = 1) -> nn.Conv2d:
    """``kernel x kernel`` convolution with 'same' padding."""
    return nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2)


class ConvNormAct(nn.Sequential):
    """conv -> BN -> LeakyReLU(0.2); ``stride=2`` halves the size."""

    def __init__(self, cin: int, cout: int, kernel: int = 3,
                 stride: int = 1, norm_cfg: Optional[dict] = BN):
        super().__init__(conv(cin, cout, kernel, stride),
                         norm(cout, norm_cfg),
                         nn.LeakyReLU(0.2))


class ResBlock(nn.Module):
    """``x + BN(conv(LReLU(BN(conv(x)))))`` with two 3x3 convs of width
    ``channels``."""

    def __init__(self, channels: int, norm_cfg: Optional[dict] = BN):
        super().__init__()
        self.conv1 = conv(channels, channels)
        self.norm1 = norm(channels, norm_cfg)
        self.conv2 = conv(channels, channels)
        self.norm2 = norm(channels, norm_cfg)

    def forward(self, x: Tensor) -> Tensor:
        y = F.leaky_relu(self.norm1(self.conv1(x)), 0.2)
        return x + self.norm2(self.conv2(y))


def _phase_taps(w: Tensor, dim: int) -> Tensor:
    """Sum the 3 taps of ``w`` along ``dim`` into the 2 taps of each output
    phase of nearest x2 upsampling: phase 0 reads input offsets (-1, 0)
    with taps (0, 1 + 2), phase 1 offsets (0, +1) with taps (0 + 1, 2).
    Returns the two phases stacked in a new first dimension."""
    t0, t1, t2 = w.unbind(dim)
    return torch.stack([torch.stack([t0, t1 + t2], dim),
                        torch.stack([t0 + t1, t2], dim)])


def upsample_phases(weight: Tensor) -> Tensor:
    """Phase kernels ``(4 cout, cin, 2, 2)`` of nearest x2 upsampling
    followed by the 3x3 'same' convolution ``weight (cout, cin, 3, 3)``:
    with them :func:`phase_conv` runs 16 instead of 36 multiply-adds per
    output value and input channel."""
    phase = _phase_taps(_phase_taps(weight, -1), -2)
    return phase.reshape(-1, *phase.shape[3:])


def transposed_phases(weight: Tensor) -> Tensor:
    """Phase kernels ``(4 cout, cin, 2, 2)`` of a 4x4, stride-2, padding-1
    transposed convolution with ``weight (cin, cout, 4, 4)``: output row
    ``2i`` reads input rows ``i - 1, i`` with kernel rows ``3, 1``, row
    ``2i + 1`` rows ``i, i + 1`` with kernel rows ``2, 0`` (columns
    alike)."""
    w = weight.transpose(0, 1)
    rows = torch.stack([w[..., 1::2, :].flip(-2), w[..., 0::2, :].flip(-2)])
    phase = torch.stack([rows[..., 1::2].flip(-1), rows[..., 0::2].flip(-1)],
                        1)
    return phase.reshape(-1, *phase.shape[3:])


def phase_conv(x: Tensor, kernels: Tensor, bias: Tensor) -> Tensor:
    """A x2 upsampling convolution from its four 2x2 phase kernels.

    Output pixel ``(2i + a, 2j + c)`` is phase ``(a, c)``'s kernel applied
    to input rows ``i - 1 + a, i + a`` and columns ``j - 1 + c, j + c``
    (zero outside), plus the bias: one convolution with ``4 cout`` outputs,
    then the phases interleaved.

    Args:
        x (Tensor): ``(B, cin, H, W)``.
        kernels (Tensor): ``(4 cout, cin, 2, 2)``, phases ``(a, c)`` in
            row-major order.
        bias (Tensor): ``(4 cout,)``.

    Returns:
        Tensor: ``(B, cout, 2H, 2W)``.
    """
    b, _, h, w = x.shape
    cout = kernels.shape[0] // 4
    y = F.conv2d(x, kernels, bias, padding=1).view(b, 2, 2, cout, h + 1,
                                                   w + 1)
    out = y.new_empty(b, cout, h, 2, w, 2)
    for a in (0, 1):
        for c in (0, 1):
            out[:, :, :, a, :, c] = y[:, a, c, :, a:a + h, c:c + w]
    return out.view(b, cout, 2 * h, 2 * w)


def _phase_params(module: nn.Module, weight: Tensor, bias: Tensor,
                  phases: Callable[[Tensor], Tensor]
                  ) -> Tuple[Tensor, Tensor]:
    """``(phases(weight), bias repeated 4 times)`` for :func:`phase_conv`.

    Without autograd (inference) they are kept on ``module`` until
    ``weight`` or ``bias`` changes (another tensor, moved, or updated in
    place, e.g. by loading a checkpoint): the frames of a video pay for
    them once."""
    if torch.is_grad_enabled():
        return phases(weight), bias.repeat(4)
    key = tuple((id(t), t.data_ptr(), t._version, t.dtype, t.device)
                for t in (weight, bias))
    cached = module.__dict__.get('_phase_params')
    if cached is None or cached[0] != key:
        cached = (key, (phases(weight), bias.repeat(4)))
        module.__dict__['_phase_params'] = cached
    return cached[1]


class SubPixelConvTranspose2d(nn.ConvTranspose2d):
    """``nn.ConvTranspose2d(cin, cout, 4, 2, 1)`` (same parameters and
    outputs) computed by :func:`phase_conv` as a plain convolution, which
    the CPU runs several times faster than the transposed one."""

    def __init__(self, cin: int, cout: int):
        super().__init__(cin, cout, 4, 2, 1)

    def forward(self, x: Tensor) -> Tensor:
        return phase_conv(x, *_phase_params(self, self.weight, self.bias,
                                            transposed_phases))


class UpBlock(nn.Module):
    """x2 nearest upsampling -> conv3x3 -> BN -> LeakyReLU(0.2):
    ``(B, cin, H, W) -> (B, cout, 2H, 2W)`` (the first two fused by
    :func:`phase_conv`)."""

    def __init__(self, cin: int, cout: int, norm_cfg: Optional[dict] = BN):
        super().__init__()
        self.body = ConvNormAct(cin, cout, norm_cfg=norm_cfg)

    def forward(self, x: Tensor) -> Tensor:
        conv_layer, norm_layer, act = self.body
        y = phase_conv(x, *_phase_params(self, conv_layer.weight,
                                         conv_layer.bias, upsample_phases))
        return act(norm_layer(y))


class PixelShuffle(nn.PixelShuffle):
    """``nn.PixelShuffle`` computed as one view-permute-copy: ``(B, C r^2,
    H, W) -> (B, C, rH, rW)``, the same values (on CPU about twice as fast
    as the ``pixel_shuffle`` kernel for contiguous NCHW tensors)."""

    def forward(self, x: Tensor) -> Tensor:
        r = self.upscale_factor
        b, c, h, w = x.shape
        c //= r * r
        return x.view(b, c, r, r, h, w).permute(0, 1, 4, 2, 5, 3).reshape(
            b, c, h * r, w * r)
