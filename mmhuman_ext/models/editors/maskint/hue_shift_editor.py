"""A known, exact keyframe edit for the CPU demo: a hue rotation.

Stable Diffusion + ControlNet (:class:`JointKeyframeEditor`) cannot run
without their weights. :class:`HueShiftKeyframeEditor` stands in for them:
it edits each keyframe by rotating its hue by a fixed angle (HSV), which can
be applied to *every* frame of a video too. That gives the propagated edit
a ground truth: stage 2 (MaskINT) propagates the edited keyframes to the
frames between them, and the result is compared with the hue-shifted source
frames (``tools/analysis/maskint_demo_edit.py``).
"""
from typing import Callable, Optional

import torch
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS


def hue_shift(frames: Tensor, degrees: float) -> Tensor:
    """Rotate the hue of ``frames (..., 3, H, W)`` RGB in [0, 1] by
    ``degrees`` (HSV; saturation and value are kept)."""
    rgb = frames.float().clamp(0, 1)
    r, g, b = rgb.unbind(-3)
    value, argmax = rgb.max(-3)
    delta = value - rgb.min(-3).values
    safe = torch.where(delta > 0, delta, torch.ones_like(delta))
    hue = torch.stack([(g - b) / safe, (b - r) / safe + 2,
                       (r - g) / safe + 4], -3).gather(
                           -3, argmax.unsqueeze(-3)).squeeze(-3)
    hue = torch.where(delta > 0, hue, torch.zeros_like(hue))
    hue = (hue / 6 + degrees / 360.) % 1.0
    sat = delta / torch.where(value > 0, value, torch.ones_like(value))
    # hsv -> rgb: channel n takes v - v s max(0, min(k, 4 - k, 1)),
    # k = (n + 6 h) mod 6 with n = 5, 3, 1 for r, g, b
    n = torch.tensor([5., 3., 1.], device=rgb.device).view(
        *([1] * (rgb.dim() - 3)), 3, 1, 1)
    k = (n + hue.unsqueeze(-3) * 6) % 6
    weight = torch.minimum(k, 4 - k).clamp(0, 1)
    out = value.unsqueeze(-3) * (1 - sat.unsqueeze(-3) * weight)
    return out.to(frames.dtype)


@MODELS.register_module()
class HueShiftKeyframeEditor(nn.Module):
    """Stage-1 stand-in: rotate the keyframes' hue by ``degrees``.

    The demo edit of the CPU pipeline (no network, no weights; the prompt is
    ignored): it replaces :class:`JointKeyframeEditor` where the Stable
    Diffusion + ControlNet weights are absent, and is exact, so the whole
    video edited the same way is the ground truth of the propagated edit.

    Args:
        degrees (float): hue rotation (120: red -> green -> blue -> red).
    """

    #: network evaluations (none) and steps per :meth:`edit` (one)
    num_evaluations = 0
    steps_per_edit = 1
    size_multiple = 1

    def __init__(self, degrees: float = 120.):
        super().__init__()
        self.degrees = degrees

    def reset_counter(self) -> None:
        """Nothing to count (no network)."""

    def edit(self,
             structure: Tensor,
             source: Optional[Tensor] = None,
             prompt: Optional[str] = None,
             prompt_embeds: Optional[Tensor] = None,
             negative_prompt_embeds: Optional[Tensor] = None,
             generator: Optional[torch.Generator] = None,
             callback: Optional[Callable[[], None]] = None) -> Tensor:
        """``source (F, 3, H, W)`` RGB in [0, 1] hue-shifted; the other
        arguments are those of :meth:`JointKeyframeEditor.edit` and are
        ignored."""
        if source is None:
            raise ValueError('HueShiftKeyframeEditor edits the source '
                             'keyframes: pass source (F, 3, H, W)')
        out = hue_shift(source, self.degrees)
        if callback is not None:
            callback()
        return out
