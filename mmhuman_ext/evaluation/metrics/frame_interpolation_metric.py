"""Interpolation quality of MaskINT (thesis Table 5.2): PSNR / SSIM / LPIPS
of the frames decoded from the original keyframes against the original
frames.

Rows (key prefixes of the results):

* ``''`` (``psnr``, ``ssim``, ``lpips``): the model's interpolation;
* ``vq_``: the VQ reconstruction of every frame (encode -> decode), the
  upper bound of any token-space interpolator;
* ``linear_``: linear blending of the two nearest original keyframes;
* ``nearest_``: a copy of the nearest original keyframe.

PSNR and SSIM are mmagic's functions on RGB in [0, 255] (SSIM: Gaussian
window, mean over channels); LPIPS is AlexNet LPIPS v0.1 on [0, 1] inputs.
Each clip's value is the mean over its evaluated frames (``frames=
'intermediate'``: the non-key frames; ``'all'``), then clips are averaged.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from torch import Tensor

from mmhuman_ext.evaluation.functional.lpips import LPIPSAlex
from mmhuman_ext.registry import METRICS

ROWS = ('', 'vq_', 'linear_', 'nearest_')
PSNR_CAP = 100.


def keyframe_baselines(frames: Tensor, given: Tensor) -> Dict[str, Tensor]:
    """Baseline interpolations from the keyframes of ``frames (N, ...)``
    (``given (N,)`` bool): ``linear`` blends the keyframes before and after
    each frame by its temporal position (outside the keyframe range: the
    nearest one), ``nearest`` copies the nearest keyframe (the earlier on
    ties)."""
    keys = torch.nonzero(given)[:, 0]
    if len(keys) == 0:
        raise ValueError('at least one keyframe is needed')
    t = torch.arange(len(frames), device=frames.device)
    nearest = keys[(t[:, None] - keys[None]).abs().argmin(1)]
    after = torch.searchsorted(keys, t).clamp(max=len(keys) - 1)
    before = (torch.searchsorted(keys, t, right=True) - 1).clamp(min=0)
    a, b = keys[before], keys[after]
    w = torch.where(b > a, (t - a) / (b - a).clamp(min=1),
                    torch.zeros_like(t, dtype=torch.float))
    w = w.view(-1, *([1] * (frames.dim() - 1))).to(frames.dtype)
    linear = (1 - w) * frames[a] + w * frames[b]
    return dict(linear=linear, nearest=frames[nearest])


def _to_uint8_range(x: Tensor) -> np.ndarray:
    """[-1, 1] -> float64 [0, 255] numpy, rounded like a saved image."""
    return ((x.clamp(-1, 1) + 1) * 127.5).round().double().numpy()


@METRICS.register_module()
class FrameInterpolationMetric(BaseMetric):
    """Args:
        frames (str): ``'intermediate'`` (default) or ``'all'``.
        baselines (bool): also report the ``linear_`` / ``nearest_`` rows.
        use_lpips (bool): compute LPIPS.
        lpips_backbone (str, optional): torchvision AlexNet weights
            (``alexnet-owt-7be5be79.pth``); None keeps a random backbone
            drawn with seed 0 (the linear heads of LPIPS ship with the
            ``lpips`` package).
        collect_device (str), prefix (str, optional): mmengine.

    Needs per sample (``MaskINT.predict`` with a tokenizer and frames in the
    inputs): ``pred_frames``, ``recon_frames``, ``gt_frames`` ``(N, 3, H,
    W)`` in [-1, 1] and ``given (N,)``.
    """
    default_prefix = 'interp'

    def __init__(self,
                 frames: str = 'intermediate',
                 baselines: bool = True,
                 use_lpips: bool = True,
                 lpips_backbone: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if frames not in ('intermediate', 'all'):
            raise ValueError(f"frames must be 'intermediate' or 'all', got "
                             f'{frames!r}')
        self.frames = frames
        self.baselines = baselines
        self.lpips = None
        if use_lpips:
            # a random backbone (no weights given) is drawn from a fixed
            # seed, so that LPIPS values compare across runs
            with torch.random.fork_rng():
                torch.manual_seed(0)
                self.lpips = LPIPSAlex(lpips_backbone)

    def clip_scores(self, pred: Tensor, gt: Tensor) -> Dict[str, float]:
        """Mean PSNR / SSIM / LPIPS over the frames of ``pred``, ``gt``
        ``(T, 3, H, W)`` in [-1, 1]."""
        from mmagic.evaluation.metrics.psnr import psnr
        from mmagic.evaluation.metrics.ssim import ssim
        p, g = _to_uint8_range(pred), _to_uint8_range(gt)
        scores = dict(
            psnr=float(np.mean([
                min(psnr(a, b, input_order='CHW'), PSNR_CAP)
                for a, b in zip(p, g)
            ])),
            ssim=float(np.mean([
                ssim(a, b, input_order='CHW') for a, b in zip(p, g)
            ])))
        if self.lpips is not None:
            with torch.no_grad():
                scores['lpips'] = float(
                    self.lpips((pred.clamp(-1, 1) + 1) / 2,
                               (gt.clamp(-1, 1) + 1) / 2).mean())
        return scores

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            missing = [k for k in ('pred_frames', 'recon_frames', 'gt_frames',
                                   'given') if k not in sample]
            if missing:
                raise KeyError(
                    f'FrameInterpolationMetric needs {missing} in the '
                    'predictions: give the MaskINT data preprocessor a '
                    'tokenizer and evaluate on frames '
                    '(VideoFramesClipDataset)')
            gt, given = sample['gt_frames'], sample['given'].bool()
            sel = ~given if self.frames == 'intermediate' else torch.ones_like(
                given)
            rows = {'': sample['pred_frames'], 'vq_': sample['recon_frames']}
            if self.baselines:
                base = keyframe_baselines(gt, given)
                rows.update(linear_=base['linear'], nearest_=base['nearest'])
            result = {}
            for row, frames in rows.items():
                for key, value in self.clip_scores(frames[sel],
                                                   gt[sel]).items():
                    result[row + key] = value
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        return {
            key: float(np.mean([r[key] for r in results]))
            for key in results[0]
        }
