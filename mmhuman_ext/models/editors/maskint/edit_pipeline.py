"""The full MaskINT video editor: structure maps -> joint keyframe editing
(stage 1) -> VQ tokens -> masked-token interpolation (stage 2) -> frames.

Long videos (thesis Sec. 5.4): keyframes every ``chunk_len - 1`` frames
plus the last frame (60 frames: 0, 15, 30, 45, 59), all edited *jointly* in
stage 1; each pair of consecutive keyframes bounds a chunk of at most
``chunk_len`` frames that is interpolated on its own (chunks share their
boundary keyframes, none depends on another's generated frames), and
chunks of equal length are decoded as one batch.

All frames, keyframes included, are decoded from their VQ tokens (one
appearance for the whole clip); ``paste_keyframes`` puts the stage-1
pixels back instead.
"""
import time
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import Tensor

from mmhuman_ext.registry import MODELS
from mmhuman_ext.utils.checkpoint import load_checkpoint_file
from mmhuman_ext.utils.pretrained import require_pretrained_file
from .codebook import check_codebook_identity, checkpoint_codebook_identity
from .maskgit import check_num_steps

STAGES = ('structure', 'keyframes', 'tokenize', 'interpolate', 'decode')


def keyframe_indices(num_frames: int, chunk_len: int = 16) -> List[int]:
    """0-based keyframes: every ``chunk_len - 1`` frames plus the last."""
    if num_frames < 2:
        raise ValueError(f'a video to edit needs at least 2 frames, got '
                         f'{num_frames}')
    if chunk_len < 2:
        raise ValueError(f'chunk_len must be >= 2, got {chunk_len}')
    inds = list(range(0, num_frames - 1, chunk_len - 1))
    return inds + [num_frames - 1]


def chunk_bounds(keyframes: Sequence[int]) -> List[Tuple[int, int]]:
    """Consecutive keyframe pairs ``(first, last)``, both inclusive."""
    return list(zip(keyframes[:-1], keyframes[1:]))


@MODELS.register_module()
class MaskINTEditPipeline(BaseModel):
    """Text-driven video editing with MaskINT.

    Args:
        structure (dict): structure detector (``HEDEdgeDetector``) used by
            both stages.
        keyframe_editor (dict): ``JointKeyframeEditor``.
        tokenizer (dict): ``VQGANTokenizer`` (the VQ the interpolator was
            trained with).
        interpolator (dict): ``MaskINT``.
        interpolator_checkpoint (str, optional): its stage-2 checkpoint
            (:meth:`load_interpolator`); the edit tool passes it instead.
        keyframe_structure (dict, optional): a different detector for
            stage 1 only (the depth ablation); default: ``structure``.
        chunk_len (int): frames per interpolated chunk, its two keyframes
            included (16): keyframes are ``chunk_len - 1`` frames apart.
            (A dataset's ``clip_len`` is the length of the whole clip.)
        resolution (tuple[int, int], optional): ``(H, W)`` the video is
            resized to (384 x 672); None keeps its size.
        num_steps (int, optional): decoding passes K (default: the
            interpolator's ``test_cfg``).
        chunk_batch_size (int): chunks decoded together at most.
        detector_batch_size (int): frames per structure-detector call.
        paste_keyframes (bool): output the stage-1 keyframe pixels instead
            of their VQ reconstruction.
        seed (int): seeds the initial noise and the token sampling.
        data_preprocessor (dict, optional): mmengine's default (moves the
            frames to the device).
    """

    def __init__(self,
                 structure: dict,
                 keyframe_editor: dict,
                 tokenizer: dict,
                 interpolator: dict,
                 interpolator_checkpoint: Optional[str] = None,
                 keyframe_structure: Optional[dict] = None,
                 chunk_len: int = 16,
                 resolution: Optional[Tuple[int, int]] = (384, 672),
                 num_steps: Optional[int] = None,
                 chunk_batch_size: int = 4,
                 detector_batch_size: int = 16,
                 paste_keyframes: bool = False,
                 seed: int = 0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.structure = MODELS.build(structure)
        self.keyframe_structure = MODELS.build(keyframe_structure) \
            if keyframe_structure is not None else None
        self.keyframe_editor = MODELS.build(keyframe_editor)
        self.tokenizer = MODELS.build(tokenizer)
        self.interpolator = MODELS.build(interpolator)
        codebook = self.interpolator.transformer.codebook_size
        if codebook != self.tokenizer.codebook_size:
            raise ValueError(
                f'the interpolator has {codebook} colour codes but the '
                f'tokenizer {self.tokenizer.codebook_size}: use the VQ it '
                'was trained with')
        if num_steps is not None:
            check_num_steps(num_steps, 'num_steps')
        keyframe_indices(2, chunk_len)  # refuses chunk_len < 2
        table = self.interpolator.transformer.temporal_embed
        if table is not None and chunk_len > table.shape[0]:
            raise ValueError(
                f'chunk_len={chunk_len} exceeds the interpolator\'s temporal '
                f'table ({table.shape[0]} frames, '
                'interpolator.transformer.max_frames)')
        self.chunk_len = chunk_len
        self.resolution = tuple(resolution) if resolution else None
        self.num_steps = num_steps
        self.chunk_batch_size = chunk_batch_size
        self.detector_batch_size = detector_batch_size
        self.paste_keyframes = paste_keyframes
        self.seed = seed
        self._transformer_passes = 0
        self.interpolator.transformer.register_forward_hook(
            self._count_pass)
        if interpolator_checkpoint:
            self.load_interpolator(interpolator_checkpoint)

    def _count_pass(self, module, args, output) -> None:
        self._transformer_passes += 1

    def load_interpolator(self, checkpoint: str) -> None:
        """Load a stage-2 checkpoint written by ``tools/train.py`` (every
        transformer weight must be in it)."""
        require_pretrained_file(checkpoint, 'MaskINT interpolator',
                                'a MaskINT checkpoint from tools/train.py')
        state = load_checkpoint_file(checkpoint, map_location='cpu')
        state = state.get('state_dict', state)
        found = checkpoint_codebook_identity(state)
        if found is not None:
            check_codebook_identity(
                found, self.tokenizer.codebook_identity,
                f'the interpolator {checkpoint}', "the pipeline's tokenizer",
                'use the tokenizer it was trained with')
        missing, _ = self.interpolator.load_state_dict(state, strict=False)
        missing = [k for k in missing if k.startswith('transformer.')]
        if missing:
            raise KeyError(f'{checkpoint} is not a MaskINT checkpoint: it '
                           f'lacks {len(missing)} transformer weights, e.g. '
                           f'{missing[:3]}')

    @property
    def device(self) -> torch.device:
        return next(self.interpolator.parameters()).device

    def resize_frames(self, frames: Tensor) -> Tensor:
        """``(L, 3, H, W)`` in [0, 1] -> the working resolution; checks the
        size is a multiple of 8."""
        if frames.dim() != 4 or frames.shape[1] != 3:
            raise ValueError('frames must be (L, 3, H, W) RGB in [0, 1], got '
                             f'{tuple(frames.shape)}')
        if self.resolution and tuple(frames.shape[-2:]) != self.resolution:
            frames = F.interpolate(frames, size=self.resolution,
                                   mode='bilinear', align_corners=False,
                                   antialias=True).clamp(0, 1)
        h, w = frames.shape[-2:]
        if h % 8 or w % 8:
            raise ValueError(
                f'frame size {h}x{w} is not divisible by 8 (the VAE and '
                'VQ downsampling); set resolution (e.g. (384, 672)) or '
                'resize the video')
        return frames

    def detect(self, detector, frames: Tensor) -> Tensor:
        """Structure maps ``(L, 1, H, W)`` in batches of
        ``detector_batch_size`` frames."""
        return torch.cat([
            detector(chunk)
            for chunk in frames.split(self.detector_batch_size)
        ])

    def _tokens(self, images: Tensor) -> Tensor:
        """``(L, C, H, W)`` in [0, 1] (C = 1 is repeated) -> ``(L, h, w)``.
        """
        return self.tokenizer.encode(images.expand(-1, 3, -1, -1) * 2 - 1)

    @torch.no_grad()
    def edit(self,
             frames: Tensor,
             prompt: Optional[str] = None,
             prompt_embeds: Optional[Tensor] = None,
             negative_prompt_embeds: Optional[Tensor] = None,
             progress=None) -> Dict[str, Union[Tensor, float, int]]:
        """Edit one video.

        Args:
            frames (Tensor): ``(L, 3, H, W)`` RGB in [0, 1], L >= 2.
            prompt (str, optional) / prompt_embeds (Tensor, optional):
                the edit, as text or CLIP embeddings ``(1, 77, D)``.
            negative_prompt_embeds (Tensor, optional): see
                ``JointKeyframeEditor.edit``.
            progress (callable, optional): ``progress(stage_name)`` called
                after each of the five stages.

        Returns:
            dict: ``pred_frames (L, 3, H', W')`` in [0, 1] at the working
            resolution, ``source_frames`` (the resized input),
            ``keyframes`` (indices), ``keyframe_pixels`` (stage-1 output),
            ``runtime_s`` and ``runtime_<stage>_s`` (seconds, without model
            loading), ``num_evaluations`` = ``nfe_diffusion`` (U-Net +
            ControlNet sample evaluations) + ``nfe_transformer`` (decoding
            passes).
        """
        device = self.device
        timer = _StageTimer(device, progress)
        frames = self.resize_frames(frames.to(device).float())
        keys = keyframe_indices(frames.shape[0], self.chunk_len)

        structure = self.detect(self.structure, frames)
        key_structure = structure[keys] if self.keyframe_structure is None \
            else self.detect(self.keyframe_structure, frames[keys])
        timer.stage('structure')

        editor = self.keyframe_editor
        editor.reset_counter()
        generator = torch.Generator(device).manual_seed(self.seed)
        keyframes = editor.edit(key_structure, prompt=prompt,
                                prompt_embeds=prompt_embeds,
                                negative_prompt_embeds=negative_prompt_embeds,
                                generator=generator)
        timer.stage('keyframes')

        structure_tokens = self._tokens(structure)
        color_tokens = torch.zeros_like(structure_tokens)
        color_tokens[keys] = self._tokens(keyframes)
        timer.stage('tokenize')

        self._transformer_passes = 0
        tokens = self._interpolate(color_tokens, structure_tokens, keys,
                                   generator)
        timer.stage('interpolate')

        out = (self.tokenizer.decode(tokens).float() + 1) / 2
        if self.paste_keyframes:
            out[keys] = keyframes.to(out)
        timer.stage('decode')
        return dict(
            pred_frames=out.clamp(0, 1).cpu(),
            source_frames=frames.cpu(),
            keyframes=keys,
            keyframe_pixels=keyframes.cpu(),
            num_evaluations=editor.num_evaluations +
            self._transformer_passes,
            nfe_diffusion=editor.num_evaluations,
            nfe_transformer=self._transformer_passes,
            **timer.report())

    def _interpolate(self, color: Tensor, structure: Tensor,
                     keys: List[int], generator: torch.Generator) -> Tensor:
        """Decode every chunk between consecutive keyframes; chunks of one
        length go through the transformer together."""
        tokens = color.clone()
        by_length: Dict[int, List[Tuple[int, int]]] = {}
        for first, last in chunk_bounds(keys):
            by_length.setdefault(last - first + 1, []).append((first, last))
        for length, chunks in by_length.items():
            if length == 2:  # two keyframes, nothing between them
                continue
            for i in range(0, len(chunks), self.chunk_batch_size):
                batch = chunks[i:i + self.chunk_batch_size]
                spans = [slice(a, b + 1) for a, b in batch]
                given = torch.zeros(len(batch), length, dtype=torch.bool,
                                    device=color.device)
                given[:, [0, -1]] = True
                out = self.interpolator.interpolate(
                    torch.stack([color[s] for s in spans]),
                    torch.stack([structure[s] for s in spans]), given,
                    num_steps=self.num_steps, generator=generator)
                for s, chunk in zip(spans, out):
                    tokens[s] = chunk
        return tokens

    def forward(self, inputs, data_samples=None, mode: str = 'predict'):
        """``mode='predict'`` (tools/test.py): ``inputs`` a list of ``(N, 3,
        H, W)`` clips in [0, 1] (or a ``(B, N, 3, H, W)`` tensor);
        ``data_samples`` dicts with ``prompt`` (or ``prompt_embeds`` and
        ``negative_prompt_embeds``) and ``video_id`` (a list, or the dict
        of lists ``pseudo_collate`` makes). Returns one result
        dict per clip (:meth:`edit` plus the sample's metadata)."""
        if mode != 'predict':
            raise ValueError(f'MaskINTEditPipeline is inference only; mode '
                             f'{mode!r} is not supported')
        if isinstance(data_samples, dict):  # pseudo_collate: dict of lists
            data_samples = [{k: v[i]
                             for k, v in data_samples.items()}
                            for i in range(len(inputs))]
        results = []
        for clip, sample in zip(inputs, data_samples):
            embeds = sample.get('prompt_embeds')
            res = self.edit(
                clip,
                prompt=None if embeds is not None else sample['prompt'],
                prompt_embeds=embeds,
                negative_prompt_embeds=sample.get('negative_prompt_embeds'))
            results.append({**sample, **res})
        return results


class _StageTimer:
    """Wall time per stage (CUDA synchronised)."""

    def __init__(self, device: torch.device, progress=None):
        self.device = device
        self.progress = progress
        self.times: Dict[str, float] = {}
        self._sync()
        self._last = time.perf_counter()

    def _sync(self) -> None:
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)

    def stage(self, name: str) -> None:
        self._sync()
        now = time.perf_counter()
        self.times[name] = now - self._last
        self._last = now
        if self.progress is not None:
            self.progress(name)

    def report(self) -> Dict[str, float]:
        out = {f'runtime_{k}_s': v for k, v in self.times.items()}
        out['runtime_s'] = sum(self.times.values())
        return out
