"""Backward flow warping in normalised grid units (the one place in the
project where features are warped by a dense flow).

Convention: a flow ``w (B, 2, H, W)`` holds ``(x, y)`` offsets in the units
of ``grid_sample(align_corners=False)``, where ``[-1, 1]`` spans the outer
edges of the image. The output at pixel ``p`` reads the input at
``g(p) + w(p)``, ``g`` the identity grid at pixel centres. One pixel of an
``H x W`` map is ``2 / W`` in x and ``2 / H`` in y, so a flow keeps its
meaning when it is resized to another resolution (no rescaling of values),
which is what a multi-scale flow pyramid needs.

mmagic's ``flow_warp`` takes pixel-unit flows with ``align_corners=True``;
:func:`pixel_flow_to_normalized` converts between the two.
"""
import torch
import torch.nn.functional as F
from torch import Tensor


def identity_grid(height: int, width: int, device=None,
                  dtype=torch.float32) -> Tensor:
    """Pixel-centre sampling grid ``(1, H, W, 2)`` (x, y) of
    ``grid_sample(align_corners=False)``."""
    ys = (torch.arange(height, device=device, dtype=dtype) + 0.5) \
        * (2.0 / height) - 1
    xs = (torch.arange(width, device=device, dtype=dtype) + 0.5) \
        * (2.0 / width) - 1
    gy, gx = torch.meshgrid(ys, xs, indexing='ij')
    return torch.stack((gx, gy), dim=-1)[None]


def warp_by_flow(feature: Tensor, flow: Tensor,
                 padding_mode: str = 'zeros') -> Tensor:
    """Warp ``feature (B, C, H, W)`` backwards by ``flow (B, 2, h, w)``.

    The flow is bilinearly resized to ``(H, W)`` first when its size
    differs (values unchanged: normalised units). Bilinear sampling;
    samples outside the image read 0 (``padding_mode='zeros'``).
    """
    b, _, h, w = feature.shape
    if flow.shape[0] != b or flow.shape[1] != 2:
        raise ValueError(f'flow must be (B={b}, 2, h, w), got '
                         f'{tuple(flow.shape)}')
    if flow.shape[-2:] != (h, w):
        flow = F.interpolate(flow, size=(h, w), mode='bilinear',
                             align_corners=False)
    grid = identity_grid(h, w, flow.device, flow.dtype) \
        + flow.permute(0, 2, 3, 1)
    return F.grid_sample(feature, grid.to(feature.dtype), mode='bilinear',
                         padding_mode=padding_mode, align_corners=False)


def pixel_flow_to_normalized(flow_px: Tensor) -> Tensor:
    """Pixel offsets ``(B, 2, H, W)`` (x, y) -> normalised units."""
    h, w = flow_px.shape[-2:]
    scale = flow_px.new_tensor([2.0 / w, 2.0 / h]).view(1, 2, 1, 1)
    return flow_px * scale


def normalized_flow_to_pixels(flow: Tensor) -> Tensor:
    """Normalised flow ``(B, 2, H, W)`` -> pixel offsets at its own size."""
    h, w = flow.shape[-2:]
    scale = flow.new_tensor([w / 2.0, h / 2.0]).view(1, 2, 1, 1)
    return flow * scale


def sampling_grid_pixels(flow: Tensor) -> Tensor:
    """Absolute sampling positions ``(B, 2, H, W)`` in pixel units of the
    flow's own resolution (pixel centres at integers 0..W-1)."""
    h, w = flow.shape[-2:]
    base = identity_grid(h, w, flow.device, flow.dtype).permute(0, 3, 1, 2)
    grid = base + flow
    scale = flow.new_tensor([w / 2.0, h / 2.0]).view(1, 2, 1, 1)
    return (grid + 1) * scale - 0.5
