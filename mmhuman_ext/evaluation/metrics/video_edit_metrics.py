"""Metrics of text-driven video editing (MaskINT, thesis Table 5.1).

* :class:`CLIPVideoConsistency`: CLIP temporal consistency (mean cosine of
  consecutive frames' image embeddings, ``clip_tc``) and prompt consistency
  (mean cosine of each frame with the prompt, ``clip_pc``); raw cosines.
* :class:`FlowWarpingError`: Lai et al.'s (ECCV'18) warping error between
  consecutive edited frames (``warp_err``) and from the first frame to each
  later one (``longterm_warp_err``), with optical flow of the *source*
  video and the forward-backward occlusion mask; pixels in [0, 1]. Papers
  print both x 1e-3.
* :class:`EditRuntime`: seconds and network evaluations per clip.

Each metric reads the dicts that ``MaskINTEditPipeline`` returns per clip:
``pred_frames (N, 3, H, W)`` and ``source_frames`` in [0, 1], ``prompt``,
``video_id``, ``runtime_s``, ``num_evaluations``. Values are averaged over
each video's prompts, then over videos.

Networks load from local paths (transformers CLIP folder, torchvision RAFT
state dict); None keeps random weights of the real architecture (tests).
"""
from collections import defaultdict
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from torch import Tensor

from mmhuman_ext.models.layers.flow_warp import (pixel_flow_to_normalized,
                                                 warp_by_flow)
from mmhuman_ext.registry import METRICS
from mmhuman_ext.utils.checkpoint import load_checkpoint_file
from mmhuman_ext.utils.pretrained import (require_pretrained_dir,
                                          require_pretrained_file)

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def _mean_over_videos(results: Sequence[dict], keys: Sequence[str]
                      ) -> Dict[str, float]:
    """Average each key over a video's prompts, then over videos."""
    per_video = defaultdict(list)
    for r in results:
        per_video[r['video_id']].append(r)
    return {
        k: float(np.mean([np.mean([r[k] for r in rs])
                          for rs in per_video.values()]))
        for k in keys
    }


# --------------------------------------------------------------- CLIP


def clip_temporal_consistency(image_embeds: Tensor) -> Tensor:
    """Mean cosine of consecutive frames: ``(N, D)`` -> scalar."""
    e = F.normalize(image_embeds.float(), dim=-1)
    return (e[:-1] * e[1:]).sum(-1).mean()


def clip_prompt_consistency(image_embeds: Tensor, text_embed: Tensor
                            ) -> Tensor:
    """Mean cosine of each frame with the prompt: ``(N, D), (D,)`` ->
    scalar."""
    e = F.normalize(image_embeds.float(), dim=-1)
    return (e @ F.normalize(text_embed.float(), dim=-1)).mean()


@METRICS.register_module()
class CLIPVideoConsistency(BaseMetric):
    """CLIP temporal (``clip_tc``) and prompt (``clip_pc``) consistency.

    Frames get CLIP's preprocessing: bicubic resize of the short side to the
    model's image size, centre crop, CLIP mean / std.

    Args:
        clip (str | dict): local folder of a transformers ``CLIPModel`` with
            its tokenizer (default for the paper: ViT-L/14,
            ``openai/clip-vit-large-patch14``), or ``CLIPConfig`` kwargs
            for random weights (tests).
        batch_size (int): frames per CLIP forward pass.
        device (str): where CLIP runs.

    A result dict may carry ``text_embeds (D,)`` instead of needing the
    tokenizer for its ``prompt``.
    """
    default_prefix = ''

    def __init__(self, clip='checkpoints/clip-vit-large-patch14',
                 batch_size: int = 16, device: str = 'cpu',
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        from transformers import CLIPConfig, CLIPModel, CLIPTokenizer
        if isinstance(clip, dict):
            self.model, self.tokenizer = CLIPModel(CLIPConfig(**clip)), None
        else:
            require_pretrained_dir(
                clip, 'CLIP metric', 'a transformers CLIPModel with its '
                'tokenizer (config.json, weights, vocab.json, merges.txt), '
                'e.g. openai/clip-vit-large-patch14',
                required_files=('config.json', ))
            self.model = CLIPModel.from_pretrained(clip,
                                                   local_files_only=True)
            self.tokenizer = CLIPTokenizer.from_pretrained(
                clip, local_files_only=True)
        self.model.eval().requires_grad_(False).to(device)
        self.device = device
        self.batch_size = batch_size
        self.image_size = self.model.config.vision_config.image_size

    def preprocess(self, frames: Tensor) -> Tensor:
        """``(N, 3, H, W)`` in [0, 1] -> CLIP pixel values ``(N, 3, S, S)``.
        """
        h, w = frames.shape[-2:]
        s = self.image_size
        size = (s, max(s, round(w * s / h))) if h <= w else \
            (max(s, round(h * s / w)), s)
        x = F.interpolate(frames.float(), size=size, mode='bicubic',
                          align_corners=False).clamp(0, 1)
        top, left = (size[0] - s) // 2, (size[1] - s) // 2
        x = x[..., top:top + s, left:left + s]
        mean = x.new_tensor(CLIP_MEAN).view(1, 3, 1, 1)
        std = x.new_tensor(CLIP_STD).view(1, 3, 1, 1)
        return (x - mean) / std

    @torch.no_grad()
    def image_embeds(self, frames: Tensor) -> Tensor:
        """``(N, 3, H, W)`` in [0, 1] -> ``(N, D)``."""
        out = [
            self.model.get_image_features(
                pixel_values=self.preprocess(chunk).to(self.device))
            for chunk in frames.split(self.batch_size)
        ]
        return torch.cat(out)

    @torch.no_grad()
    def text_embed(self, prompt: str) -> Tensor:
        """prompt -> ``(D,)``."""
        if self.tokenizer is None:
            raise ValueError('CLIPVideoConsistency was built without a '
                             'tokenizer: give text_embeds with each result')
        ids = self.tokenizer([prompt], padding=True, truncation=True,
                             return_tensors='pt')
        return self.model.get_text_features(
            **{k: v.to(self.device) for k, v in ids.items()})[0]

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            embeds = self.image_embeds(sample['pred_frames'])
            text = sample.get('text_embeds')
            text = self.text_embed(sample['prompt']) if text is None else \
                torch.as_tensor(text).to(embeds)
            self.results.append(
                dict(video_id=sample['video_id'],
                     clip_tc=float(clip_temporal_consistency(embeds)),
                     clip_pc=float(clip_prompt_consistency(embeds, text))))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        return _mean_over_videos(results, ('clip_tc', 'clip_pc'))


# --------------------------------------------------------------- warping


def flow_warp(image: Tensor, flow: Tensor) -> Tensor:
    """Sample ``image (B, C, H, W)`` at ``p + flow(p)``, ``flow (B, 2, H,
    W)`` in pixels (x, y); outside the frame reads 0."""
    return warp_by_flow(image, pixel_flow_to_normalized(flow))


def occlusion_mask(flow_fw: Tensor, flow_bw: Tensor) -> Tensor:
    """Lai et al.'s occlusion mask of frame t, ``(B, 1, H, W)`` in {0, 1}.

    Args:
        flow_fw (Tensor): ``(B, 2, H, W)`` flow t -> t' on frame t's grid.
        flow_bw (Tensor): ``(B, 2, H, W)`` flow t' -> t on frame t''s grid.

    A pixel is occluded when the forward-backward check fails,
    ``|fw + bw~|^2 > 0.01 (|fw|^2 + |bw~|^2) + 0.5`` with ``bw~`` the
    backward flow warped to frame t, or when it lies on a motion boundary,
    ``|grad fw|^2 > 0.01 |fw|^2 + 0.002`` (forward differences).
    """
    bw_warped = flow_warp(flow_bw, flow_fw)
    fb = (flow_fw + bw_warped).square().sum(1, keepdim=True)
    mag = flow_fw.square().sum(1, keepdim=True)
    fb_bad = fb > 0.01 * (mag + bw_warped.square().sum(1, keepdim=True)) + .5
    du = torch.zeros_like(flow_fw)
    dv = torch.zeros_like(flow_fw)
    du[..., :, :-1] = flow_fw[..., :, :-1] - flow_fw[..., :, 1:]
    dv[..., :-1, :] = flow_fw[..., :-1, :] - flow_fw[..., 1:, :]
    grad = (du.square() + dv.square()).sum(1, keepdim=True)
    boundary = grad > 0.01 * mag + 0.002
    return (fb_bad | boundary).float()


def warping_error(frame_t: Tensor, frame_next: Tensor, flow_fw: Tensor,
                  flow_bw: Tensor) -> Tensor:
    """``E = sum (1-O) (W(next) - t)^2 / sum (1-O)`` over pixels and
    channels, per pair.

    Args:
        frame_t, frame_next (Tensor): ``(B, 3, H, W)`` edited frames in
            [0, 1].
        flow_fw, flow_bw (Tensor): source-video flows t -> next and
            next -> t, ``(B, 2, H, W)``.

    Returns:
        Tensor: ``(B,)``.
    """
    visible = 1 - occlusion_mask(flow_fw, flow_bw)
    warped = flow_warp(frame_next, flow_fw)
    channels = frame_t.shape[1]
    err = (visible * (warped - frame_t).square()).sum((1, 2, 3))
    return err / (visible.sum((1, 2, 3)) * channels).clamp_min(1)


class RAFTFlow(torch.nn.Module):
    """torchvision RAFT on frames in [0, 1] (sides multiples of 8, >= 128).

    Args:
        checkpoint (str, optional): local state dict of the architecture
            (``raft_large_C_T_SKHT_V2-ff5fadd5.pth`` from torchvision's
            model zoo); None keeps random weights (tests only).
        arch (str): ``'raft_large'`` or ``'raft_small'``.
        num_flow_updates (int): RAFT's refinement iterations (12).
    """

    def __init__(self, checkpoint: Optional[str] = None,
                 arch: str = 'raft_large', num_flow_updates: int = 12):
        super().__init__()
        from torchvision.models import optical_flow
        if arch not in ('raft_large', 'raft_small'):
            raise ValueError(f'RAFT arch must be raft_large or raft_small, '
                             f'got {arch!r}')
        self.net = getattr(optical_flow, arch)(weights=None)
        if checkpoint is not None:
            require_pretrained_file(
                checkpoint, 'RAFT optical flow',
                f'the torchvision {arch} state dict (e.g. '
                'raft_large_C_T_SKHT_V2-ff5fadd5.pth)')
            state = load_checkpoint_file(checkpoint, map_location='cpu')
            self.net.load_state_dict(state.get('state_dict', state))
        self.net.eval().requires_grad_(False)
        self.num_flow_updates = num_flow_updates

    @torch.no_grad()
    def forward(self, src: Tensor, dst: Tensor) -> Tensor:
        """Flow ``src -> dst``: ``(B, 3, H, W)`` pairs -> ``(B, 2, H, W)``.
        """
        h, w = src.shape[-2:]
        if h % 8 or w % 8 or min(h, w) < 128:
            raise ValueError(f'RAFT needs frames with sides that are '
                             f'multiples of 8 and at least 128, got {h}x{w}')
        return self.net(src * 2 - 1, dst * 2 - 1,
                        num_flow_updates=self.num_flow_updates)[-1]


@METRICS.register_module()
class FlowWarpingError(BaseMetric):
    """Short-term (``warp_err``) and long-term (``longterm_warp_err``)
    warping errors of the edited video, flow from the source video.

    Args:
        raft_checkpoint (str, optional): see :class:`RAFTFlow`.
        raft_arch (str): ``'raft_large'``.
        long_term (bool): also the first-frame-to-frame-t error.
        flow_fn (callable, optional): ``flow_fn(src, dst) -> flow`` used
            instead of RAFT (e.g. analytic flow of synthetic videos).
        device (str): where RAFT runs.
    """
    default_prefix = ''

    def __init__(self, raft_checkpoint: Optional[str] = None,
                 raft_arch: str = 'raft_large', long_term: bool = True,
                 flow_fn: Optional[Callable[[Tensor, Tensor], Tensor]] = None,
                 device: str = 'cpu', collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.flow_fn = flow_fn or RAFTFlow(raft_checkpoint,
                                           raft_arch).to(device)
        self.long_term = long_term
        self.device = device

    def _errors(self, source: Tensor, pred: Tensor, src_idx: Sequence[int],
                dst_idx: Sequence[int]) -> Tensor:
        s, d = list(src_idx), list(dst_idx)
        src, dst = source[s].to(self.device), source[d].to(self.device)
        fw, bw = self.flow_fn(src, dst), self.flow_fn(dst, src)
        return warping_error(pred[s].to(fw), pred[d].to(fw), fw, bw)

    def pair_errors(self, source: Tensor, pred: Tensor
                    ) -> Tuple[float, Optional[float]]:
        """``(N, 3, H, W)`` source and edited frames -> (W.E., L.C.)."""
        n = source.shape[0]
        short = self._errors(source, pred, range(n - 1), range(1, n))
        long = self._errors(source, pred, [0] * (n - 1), range(1, n)) \
            if self.long_term else None
        return float(short.mean()), None if long is None else float(
            long.mean())

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            source, pred = sample['source_frames'], sample['pred_frames']
            if source.shape != pred.shape or source.shape[0] < 2:
                raise ValueError(
                    'FlowWarpingError needs source_frames and pred_frames '
                    'of one shape (N >= 2, 3, H, W), got '
                    f'{tuple(source.shape)} and {tuple(pred.shape)}')
            short, long = self.pair_errors(source.float(), pred.float())
            res = dict(video_id=sample['video_id'], warp_err=short)
            if long is not None:
                res['longterm_warp_err'] = long
            self.results.append(res)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        keys = ('warp_err', 'longterm_warp_err') if self.long_term else (
            'warp_err', )
        return _mean_over_videos(results, keys)


# --------------------------------------------------------------- runtime


@METRICS.register_module()
class EditRuntime(BaseMetric):
    """Mean seconds (``runtime_s``) and network evaluations
    (``num_evaluations``) per clip, as the pipeline measured them, plus
    the per-stage seconds it reports (``runtime_<stage>_s``)."""
    default_prefix = ''

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append({
                k: float(v)
                for k, v in sample.items()
                if k.startswith('runtime_') or k == 'num_evaluations'
            })

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        keys = sorted({k for r in results for k in r})
        return {k: float(np.mean([r[k] for r in results if k in r]))
                for k in keys}
