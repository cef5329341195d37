"""Structure maps for MaskINT: HED edges (default), Canny edges, depth.

Every detector is frozen and maps ``frames (B, 3, H, W)`` RGB in [0, 1] to
``maps (B, 1, H, W)`` in [0, 1]. The same maps condition the ControlNet of
stage 1 and, VQ-tokenised, the interpolation transformer of stage 2.

Why our own HED network: ControlNet ships its "HED-Apache2" detector inside
``controlnet_aux``, which pulls timm and scikit-image for a 15-layer VGG-like
net; the network is defined here with the same parameter names, so the
public ``ControlNetHED.pth`` (``lllyasviel/Annotators`` on Hugging Face)
loads into it unchanged.
"""
import json
import os.path as osp
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS
from mmhuman_ext.utils.checkpoint import load_checkpoint_file
from mmhuman_ext.utils.pretrained import (require_pretrained_dir,
                                          require_pretrained_file)

#: (in channels, out channels, conv layers) of HED-Apache2's five blocks
HED_BLOCKS = ((3, 64, 2), (64, 128, 2), (128, 256, 3), (256, 512, 3),
              (512, 512, 3))


def _frozen(module: nn.Module) -> nn.Module:
    module.eval()
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def _check_frames(frames: Tensor, who: str) -> None:
    if frames.dim() != 4 or frames.shape[1] != 3:
        raise ValueError(f'{who} expects frames (B, 3, H, W) RGB in [0, 1], '
                         f'got shape {tuple(frames.shape)}')


class HEDBlock(nn.Module):
    """``convs``: ``num_convs`` conv3x3 + ReLU; ``projection``: 1x1 conv to
    the block's one-channel side output. Blocks after the first start with
    a 2x2 max-pool."""

    def __init__(self, in_channels: int, out_channels: int, num_convs: int,
                 downsample: bool):
        super().__init__()
        self.downsample = downsample
        self.convs = nn.Sequential(*[
            nn.Conv2d(in_channels if i == 0 else out_channels, out_channels,
                      3, padding=1) for i in range(num_convs)
        ])
        self.projection = nn.Conv2d(out_channels, 1, 1)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        if self.downsample:
            x = F.max_pool2d(x, 2, 2)
        for conv in self.convs:
            x = F.relu(conv(x))
        return x, self.projection(x)


@MODELS.register_module()
class HEDEdgeDetector(nn.Module):
    """ControlNet's HED-Apache2 edge detector.

    RGB in [0, 255] minus a learned mean (``norm``), five VGG-like blocks
    (64/128/256/512/512 channels, 2/2/3/3/3 convs), a one-channel side
    output per block; the side outputs are resized bilinearly to ``H x W``,
    averaged, and passed through a sigmoid. 14,716,168 parameters.

    Args:
        checkpoint (str, optional): local path of ``ControlNetHED.pth``.
            None keeps random weights (tests only).
    """

    def __init__(self, checkpoint: Optional[str] = None):
        super().__init__()
        self.norm = nn.Parameter(torch.zeros(1, 3, 1, 1))
        for i, (cin, cout, n) in enumerate(HED_BLOCKS):
            setattr(self, f'block{i + 1}', HEDBlock(cin, cout, n, i > 0))
        if checkpoint is not None:
            require_pretrained_file(
                checkpoint, 'HED edge detector',
                'ControlNetHED.pth from the Hugging Face repo '
                'lllyasviel/Annotators')
            state = load_checkpoint_file(checkpoint, map_location='cpu')
            self.load_state_dict(state.get('state_dict', state))
        _frozen(self)

    def train(self, mode: bool = True) -> 'HEDEdgeDetector':
        """Always in eval mode (frozen)."""
        return super().train(False)

    @torch.no_grad()
    def forward(self, frames: Tensor) -> Tensor:
        """``frames (B, 3, H, W)`` in [0, 1] -> edges ``(B, 1, H, W)`` in
        [0, 1]."""
        _check_frames(frames, 'HEDEdgeDetector')
        size = frames.shape[-2:]
        x = frames * 255. - self.norm
        sides = []
        for i in range(len(HED_BLOCKS)):
            x, side = getattr(self, f'block{i + 1}')(x)
            sides.append(
                F.interpolate(side, size=size, mode='bilinear',
                              align_corners=False))
        return torch.sigmoid(torch.stack(sides).mean(0))


@MODELS.register_module()
class CannyEdgeDetector(nn.Module):
    """OpenCV Canny edges (ControlNet-canny's thresholds 100 / 200 by
    default) on the 8-bit RGB frame; edges are 1, the rest 0.

    Args:
        low_threshold (int), high_threshold (int): hysteresis thresholds.
    """

    def __init__(self, low_threshold: int = 100, high_threshold: int = 200):
        super().__init__()
        if not 0 <= low_threshold <= high_threshold:
            raise ValueError('CannyEdgeDetector needs 0 <= low_threshold <= '
                             f'high_threshold, got {low_threshold}, '
                             f'{high_threshold}')
        self.low_threshold = low_threshold
        self.high_threshold = high_threshold

    @torch.no_grad()
    def forward(self, frames: Tensor) -> Tensor:
        """``frames (B, 3, H, W)`` in [0, 1] -> edges ``(B, 1, H, W)`` in
        {0, 1}."""
        import cv2
        _check_frames(frames, 'CannyEdgeDetector')
        images = (frames.clamp(0, 1) * 255).round().byte().permute(
            0, 2, 3, 1).cpu().numpy()
        edges = np.stack([
            cv2.Canny(np.ascontiguousarray(im), self.low_threshold,
                      self.high_threshold) for im in images
        ])
        edges = torch.from_numpy(edges).to(frames.device, frames.dtype)
        return edges[:, None] / 255.


@MODELS.register_module()
class DepthDetector(nn.Module):
    """Relative inverse depth from a transformers DPT model (MiDaS
    DPT-Hybrid, ``Intel/dpt-hybrid-midas``, for the ControlNet-depth
    ablation), min-max normalised to [0, 1].

    Args:
        pretrained (str): local folder saved by ``save_pretrained`` (holds
            ``config.json`` and the weights; ``preprocessor_config.json``
            gives the input mean / std, 0.5 / 0.5 otherwise).
        input_size (int): short side fed to DPT, rounded with the long side
            to multiples of 32.
        normalize (str): ``'frame'`` (each map on its own, as ControlNet
            does) or ``'clip'`` (one min / max over the batch, which keeps
            per-frame rescaling from flickering the structure of a clip).
    """

    def __init__(self, pretrained: str, input_size: int = 384,
                 normalize: str = 'frame'):
        super().__init__()
        from transformers import DPTForDepthEstimation
        if normalize not in ('frame', 'clip'):
            raise ValueError(f'DepthDetector normalize must be "frame" or '
                             f'"clip", got {normalize!r}')
        folder = require_pretrained_dir(
            pretrained, 'depth detector',
            'a transformers DPT depth model (config.json + weights), e.g. '
            'Intel/dpt-hybrid-midas', required_files=('config.json', ))
        self.model = _frozen(
            DPTForDepthEstimation.from_pretrained(folder,
                                                  local_files_only=True))
        mean, std = [0.5] * 3, [0.5] * 3
        proc = osp.join(folder, 'preprocessor_config.json')
        if osp.isfile(proc):
            with open(proc) as f:
                cfg = json.load(f)
            mean, std = cfg.get('image_mean', mean), cfg.get('image_std', std)
        self.register_buffer('mean', torch.tensor(mean).view(1, 3, 1, 1),
                             persistent=False)
        self.register_buffer('std', torch.tensor(std).view(1, 3, 1, 1),
                             persistent=False)
        self.input_size = input_size
        self.normalize = normalize

    def train(self, mode: bool = True) -> 'DepthDetector':
        """Always in eval mode (frozen)."""
        return super().train(False)

    @torch.no_grad()
    def forward(self, frames: Tensor) -> Tensor:
        """``frames (B, 3, H, W)`` in [0, 1] -> depth ``(B, 1, H, W)`` in
        [0, 1], near = 1."""
        _check_frames(frames, 'DepthDetector')
        h, w = frames.shape[-2:]
        scale = self.input_size / min(h, w)
        size = [max(32, int(round(s * scale / 32)) * 32) for s in (h, w)]
        x = F.interpolate(frames, size=size, mode='bicubic',
                          align_corners=False).clamp(0, 1)
        depth = self.model(pixel_values=(x - self.mean) / self.std
                           ).predicted_depth[:, None]
        depth = F.interpolate(depth, size=(h, w), mode='bicubic',
                              align_corners=False)
        dims = (1, 2, 3) if self.normalize == 'frame' else (0, 1, 2, 3)
        lo = depth.amin(dim=dims, keepdim=True)
        hi = depth.amax(dim=dims, keepdim=True)
        return ((depth - lo) / (hi - lo).clamp_min(1e-8)).clamp(0, 1)
