"""The full MaskINT video editor: structure maps -> joint keyframe editing
(stage 1) -> VQ tokens -> masked-token interpolation (stage 2) -> frames.

Long videos (thesis Sec. 5.4): keyframes every ``chunk_len - 1`` frames
plus the last frame (60 frames: 0, 15, 30, 45, 59); each pair of consecutive
keyframes bounds a chunk of at most ``chunk_len`` frames that is interpolated
on its own (chunks share their boundary keyframes, none depends on
another's generated frames), and chunks of equal length are decoded as one
batch.

Memory does not grow with the video (:meth:`MaskINTEditPipeline.edit_stream`):
frames are read one at a time, resized to the working size at once, and
only the structure tokens of the frames not yet decoded and the working-size
pixels of pending keyframes are kept. Keyframes are edited in micro-batches
of ``keyframe_batch_size``; joint attention spans the micro-batch plus an
*anchor set*, the first keyframe of the video and the last keyframe edited
before the micro-batch, which are denoised again with it (same shared
noise) and discarded. So every keyframe sees the video's first keyframe and
its predecessor, and the cost of stage 1 per keyframe is bounded, as in
video editors that attend to the first and previous frames.

Sizes: the frames are resized keeping their aspect ratio to about the
pixel count of ``resolution``, padded (edge pixels, bottom and right) to the
multiple the networks need, and the padding is cropped away again; the
output is resized back to the source size.

All frames, keyframes included, are decoded from their VQ tokens (one
appearance for the whole clip); ``paste_keyframes`` puts the stage-1
pixels back instead.
"""
import math
import time
from contextlib import contextmanager
from typing import (Callable, Dict, Iterable, List, Optional, Sequence,
                    Tuple, Union)

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import Tensor

from mmhuman_ext.registry import MODELS
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


def keyframe_groups(keyframes: Sequence[int],
                    batch_size: int) -> List[Tuple[List[int], List[int]]]:
    """Stage-1 micro-batches: ``(new keyframes, anchors)`` per call.

    Each call edits ``batch_size`` new keyframes jointly with the anchors
    (the first keyframe and the last one edited before), which are denoised
    again and discarded; the first call has no anchors.
    """
    if batch_size < 1:
        raise ValueError(f'keyframe_batch_size must be >= 1, got '
                         f'{batch_size}')
    groups = []
    for i in range(0, len(keyframes), batch_size):
        anchors = [] if i == 0 else sorted({keyframes[0], keyframes[i - 1]})
        groups.append((list(keyframes[i:i + batch_size]), anchors))
    return groups


def working_size(height: int, width: int,
                 resolution: Optional[Tuple[int, int]],
                 keep_aspect: bool = True) -> Tuple[int, int]:
    """The size frames are edited at: ``resolution`` itself
    (``keep_aspect=False``), the source size (``resolution=None``) or the
    source aspect ratio at about ``resolution``'s pixel count."""
    if resolution is None:
        return height, width
    if not keep_aspect:
        return tuple(resolution)
    scale = math.sqrt(resolution[0] * resolution[1] / (height * width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def padded_size(height: int, width: int, multiple: int) -> Tuple[int, int]:
    """``(height, width)`` rounded up to ``multiple``."""
    return (-(-height // multiple) * multiple,
            -(-width // multiple) * multiple)


@MODELS.register_module()
class MaskINTEditPipeline(BaseModel):
    """Text-driven video editing with MaskINT.

    Args:
        structure (dict): structure detector (``HEDEdgeDetector``) used by
            both stages.
        keyframe_editor (dict): ``JointKeyframeEditor`` (or
            ``HueShiftKeyframeEditor``, the CPU demo's stand-in).
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
        resolution (tuple[int, int], optional): ``(H, W)``: frames are
            edited at about this many pixels (384 x 672), keeping the
            aspect ratio (exactly this size for ``fixed_size`` edits, the
            evaluation of ``tools/test.py``); None keeps the source size.
        num_steps (int, optional): decoding passes K (default: the
            interpolator's ``test_cfg``).
        chunk_batch_size (int): chunks decoded together at most.
        keyframe_batch_size (int): new keyframes per stage-1 call (plus at
            most two anchors).
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
                 keyframe_batch_size: int = 4,
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
        self.keyframe_batch_size = keyframe_batch_size
        self.detector_batch_size = detector_batch_size
        self.paste_keyframes = paste_keyframes
        self.seed = seed
        #: run each stage's networks on this device and keep them on the
        #: CPU otherwise (model CPU offload); None: no offload
        self.offload_device: Optional[torch.device] = None
        self._transformer_passes = 0
        self._pass_callback: Optional[Callable[[], None]] = None
        self.interpolator.transformer.register_forward_hook(
            self._count_pass)
        if interpolator_checkpoint:
            self.load_interpolator(interpolator_checkpoint)

    def _count_pass(self, module, args, output) -> None:
        self._transformer_passes += 1
        if self._pass_callback is not None:
            self._pass_callback()

    def load_interpolator(self, checkpoint: str,
                          allow_partial: bool = False) -> None:
        """Load a stage-2 checkpoint written by ``tools/train.py`` (every
        transformer weight must be in it unless ``allow_partial``; see
        :func:`~mmhuman_ext.utils.run.load_model_weights`)."""
        from mmhuman_ext.utils.run import load_model_weights, model_state_of
        require_pretrained_file(checkpoint, 'MaskINT interpolator',
                                'a MaskINT checkpoint from tools/train.py')
        from mmhuman_ext.utils.checkpoint import load_checkpoint_file
        ckpt = load_checkpoint_file(checkpoint, map_location='cpu')
        found = checkpoint_codebook_identity(model_state_of(ckpt))
        if found is not None:
            check_codebook_identity(
                found, self.tokenizer.codebook_identity,
                f'the interpolator {checkpoint}', "the pipeline's tokenizer",
                'use the tokenizer it was trained with')
        state = model_state_of(
            load_model_weights(self.interpolator, ckpt, allow_partial,
                               filename=checkpoint))
        missing = [
            k for k in self.interpolator.state_dict()
            if k.startswith('transformer.') and k not in state
        ]
        if missing and not allow_partial:
            raise KeyError(f'{checkpoint} is not a MaskINT checkpoint: it '
                           f'lacks {len(missing)} transformer weights, e.g. '
                           f'{missing[:3]}')

    @property
    def device(self) -> torch.device:
        if self.offload_device is not None:
            return self.offload_device
        return next(self.interpolator.parameters()).device

    @property
    def size_multiple(self) -> int:
        """Working sizes are padded to this multiple: the keyframe editor's
        (64 for SD 1.5) and the tokenizer factor times the transformer's
        down factor."""
        transformer = self.interpolator.transformer
        return math.lcm(
            getattr(self.keyframe_editor, 'size_multiple', 1),
            self.tokenizer.downsample_factor * transformer.down_factor)

    def plan(self, num_frames: int, height: int, width: int,
             fixed_size: bool = False) -> dict:
        """What an edit of ``num_frames`` frames of ``height x width`` does
        (at exactly ``resolution`` if ``fixed_size``):
        ``keyframes``, ``chunks``, stage-1 ``groups`` (see
        :func:`keyframe_groups`), per group the ``batches`` of chunks it
        lets decode, the ``working`` and ``padded`` sizes,
        and the progress totals ``keyframe_steps`` (denoising steps) and
        ``transformer_passes``."""
        keys = keyframe_indices(num_frames, self.chunk_len)
        chunks = chunk_bounds(keys)
        groups = keyframe_groups(keys, self.keyframe_batch_size)
        work = working_size(height, width, self.resolution, not fixed_size)
        steps = self.num_steps or self.interpolator.test_cfg['num_steps']
        batches = self._chunk_batches(chunks, groups)
        calls = sum(1 for group in batches for batch in group
                    if batch[0][1] - batch[0][0] > 1)
        return dict(
            keyframes=keys,
            chunks=chunks,
            groups=groups,
            batches=batches,
            working=work,
            padded=padded_size(*work, self.size_multiple),
            keyframe_steps=len(groups) *
            getattr(self.keyframe_editor, 'steps_per_edit', 1),
            transformer_passes=calls * steps)

    def _chunk_batches(self, chunks, groups) -> List[List[list]]:
        """Per stage-1 group, the chunks that can be decoded once it is
        edited, as batches of consecutive chunks of one length (at most
        ``chunk_batch_size``)."""
        done, out, i = set(), [], 0
        for new, _ in groups:
            done.update(new)
            batches: List[list] = []
            while i < len(chunks) and chunks[i][1] in done:
                a, b = chunks[i]
                last = batches[-1] if batches else None
                if last and len(last) < self.chunk_batch_size and \
                        last[0][1] - last[0][0] == b - a:
                    last.append(chunks[i])
                else:
                    batches.append([chunks[i]])
                i += 1
            out.append(batches)
        return out

    def prepare_frame(self, frame: Union[Tensor, np.ndarray],
                      plan: dict) -> Tensor:
        """One source frame ``(H, W, 3)`` uint8 (or ``(3, H, W)`` in
        [0, 1]) -> ``(3, H', W')`` float in [0, 1] at the padded working
        size (edge padding at the bottom and right)."""
        if isinstance(frame, np.ndarray):
            frame = torch.from_numpy(frame).permute(2, 0, 1)
        if frame.dim() != 3 or frame.shape[0] != 3:
            raise ValueError('a frame must be (H, W, 3) uint8 or (3, H, W) '
                             f'in [0, 1], got {tuple(frame.shape)}')
        x = frame.to(self.device)
        x = x.float() / 255 if x.dtype == torch.uint8 else x.float()
        (h, w), (ph, pw) = plan['working'], plan['padded']
        if tuple(x.shape[-2:]) != (h, w):
            x = F.interpolate(x[None], size=(h, w), mode='bilinear',
                              align_corners=False, antialias=True)[0]
        if (ph, pw) != (h, w):
            x = F.pad(x[None], (0, pw - w, 0, ph - h), mode='replicate')[0]
        return x.clamp(0, 1)

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

    @contextmanager
    def _placed(self, *modules):
        """With model CPU offload: ``modules`` on the device inside the
        block, on the CPU after it."""
        if self.offload_device is None:
            yield
            return
        for m in modules:
            m.to(self.offload_device)
        try:
            yield
        finally:
            for m in modules:
                m.to('cpu')
            if self.offload_device.type == 'cuda':
                torch.cuda.empty_cache()

    @torch.no_grad()
    def edit_stream(self,
                    frames: Iterable[Union[Tensor, np.ndarray]],
                    num_frames: int,
                    size: Tuple[int, int],
                    sink: Callable[[int, Tensor, Optional[Tensor]], None],
                    prompt: Optional[str] = None,
                    prompt_embeds: Optional[Tensor] = None,
                    negative_prompt_embeds: Optional[Tensor] = None,
                    fixed_size: bool = False,
                    progress: Optional[Callable[[str, int, int],
                                                None]] = None) -> dict:
        """Edit a video given as a stream of frames, in bounded memory.

        Args:
            frames (iterable): ``num_frames`` frames in order, each
                ``(H, W, 3)`` uint8 RGB or ``(3, H, W)`` in [0, 1].
            num_frames (int): how many (>= 2).
            size (tuple): the source ``(H, W)``.
            sink (callable): ``sink(index, frame, keyframe)`` receives every
                edited frame in order, ``(3, H, W)`` in [0, 1] on the CPU
                (source size), and for keyframes the stage-1 output at the
                same size (else None).
            fixed_size (bool): edit and hand out the frames at exactly
                ``resolution`` (evaluation at one size for all videos).
            prompt, prompt_embeds, negative_prompt_embeds: the edit (see
                ``JointKeyframeEditor.edit``).
            progress (callable, optional): ``progress(stage, done, total)``
                after every structure batch, denoising step and decoding
                pass (stages ``'structure'``, ``'keyframes'``,
                ``'interpolate'``).

        Returns:
            dict: ``keyframes`` (indices), ``working_size``,
            ``runtime_s`` and ``runtime_<stage>_s`` (seconds of each of
            :data:`STAGES`, without model loading), ``num_evaluations`` =
            ``nfe_diffusion`` (U-Net + ControlNet sample evaluations) +
            ``nfe_transformer`` (decoding passes).
        """
        plan = self.plan(num_frames, *size, fixed_size)
        keys, groups = plan['keyframes'], plan['groups']
        batches = plan['batches']
        (h, w) = plan['working']
        out_size = (h, w) if fixed_size else tuple(size)
        timer = _StageTimer(self.device)
        report = progress or (lambda stage, done, total: None)
        editor = self.keyframe_editor
        editor.reset_counter()
        self._transformer_passes = 0
        token_gen = torch.Generator(self.device).manual_seed(self.seed)

        structure_tokens: Dict[int, Tensor] = {}  # frames not yet decoded
        key_source: Dict[int, Tensor] = {}  # working pixels of keyframes
        key_structure: Dict[int, Tensor] = {}
        color: Dict[int, Tensor] = {}  # colour tokens of edited keyframes
        edited: Dict[int, Tensor] = {}  # stage-1 pixels until emitted
        next_emit = 0

        def finish(pixels: Tensor) -> Tensor:
            """Crop the padding and resize to the output size."""
            x = pixels[..., :h, :w]
            if tuple(x.shape[-2:]) != out_size:
                x = F.interpolate(x[None], size=out_size, mode='bilinear',
                                  align_corners=False, antialias=True)[0]
            return x.clamp(0, 1).cpu()

        def emit(first: int, last: int, tokens: Tensor) -> None:
            """Decode a chunk and pass its frames not yet out to ``sink``;
            keep only what the next chunk needs (its first keyframe)."""
            nonlocal next_emit
            if first > next_emit:
                raise RuntimeError(f'frames {next_emit}..{first - 1} were '
                                   'skipped')
            with timer('decode'):
                pixels = (self.tokenizer.decode(tokens).float() + 1) / 2
            for i, idx in enumerate(range(first, last + 1)):
                if idx < next_emit:
                    continue  # the shared boundary keyframe, already out
                key = edited.pop(idx, None)
                frame = key if key is not None and self.paste_keyframes \
                    else pixels[i]
                sink(idx, finish(frame),
                     None if key is None else finish(key))
                next_emit = idx + 1
            for idx in [i for i in structure_tokens if i < last]:
                del structure_tokens[idx]
            for idx in [i for i in color if i < last]:
                del color[idx]

        def edit_group(g: int) -> None:
            """Stage 1 on group ``g`` (anchors included, then dropped),
            then decode every chunk it completes."""
            new, anchors = groups[g]
            members = anchors + new
            maps = torch.stack([key_structure[k] for k in members])
            source = torch.stack([key_source[k] for k in members])
            steps = getattr(editor, 'steps_per_edit', 1)
            done = [g * steps]

            def step() -> None:
                done[0] += 1
                report('keyframes', done[0], plan['keyframe_steps'])

            with self._placed(editor), timer('keyframes'):
                gen = torch.Generator(self.device).manual_seed(self.seed)
                out = editor.edit(
                    maps, source=source, prompt=prompt,
                    prompt_embeds=prompt_embeds,
                    negative_prompt_embeds=negative_prompt_embeds,
                    generator=gen, callback=step)[len(anchors):].float()
            with timer('tokenize'):
                tokens = self._tokens(out)
            for k, pixels, tok in zip(new, out, tokens):
                color[k], edited[k] = tok, pixels
            # the next group's anchors: the first and the latest keyframe
            for k in [k for k in key_source if k not in (keys[0], new[-1])]:
                del key_source[k], key_structure[k]
            for batch in batches[g]:
                decode_batch(batch)

        def decode_batch(batch: List[Tuple[int, int]]) -> None:
            """Stage 2 on chunks of one length, as one transformer batch
            (chunks of two keyframes have nothing to decode)."""
            length = batch[0][1] - batch[0][0] + 1
            spans = [range(a, b + 1) for a, b in batch]
            col = torch.stack([
                torch.stack([
                    color.get(j, torch.zeros_like(structure_tokens[j]))
                    for j in s
                ]) for s in spans
            ])
            if length > 2:
                struct = torch.stack([
                    torch.stack([structure_tokens[j] for j in s])
                    for s in spans
                ])
                given = torch.zeros(len(batch), length, dtype=torch.bool,
                                    device=col.device)
                given[:, [0, -1]] = True
                self._pass_callback = lambda: report(
                    'interpolate', self._transformer_passes,
                    plan['transformer_passes'])
                try:
                    with self._placed(self.interpolator), \
                            timer('interpolate'):
                        col = self.interpolator.interpolate(
                            col, struct, given, num_steps=self.num_steps,
                            generator=token_gen)
                finally:
                    self._pass_callback = None
            for (a, b), tokens in zip(batch, col):
                emit(a, b, tokens)

        group_of = {k: g for g, (new, _) in enumerate(groups) for k in new}
        pending: List[tuple] = []  # (index, source frame as given)

        def flush() -> None:
            idx = [i for i, _ in pending]
            with timer('structure'):
                batch = torch.stack(
                    [self.prepare_frame(x, plan) for _, x in pending])
                maps = self.detect(self.structure, batch)
                is_key = [i in group_of for i in idx]
                if self.keyframe_structure is not None and any(is_key):
                    kmaps = self.detect(self.keyframe_structure,
                                        batch[torch.tensor(is_key)])
                    kmaps = iter(kmaps)
            with timer('tokenize'):
                tokens = self._tokens(maps)
            for j, i in enumerate(idx):
                structure_tokens[i] = tokens[j]
                if i in group_of:
                    key_source[i] = batch[j]
                    key_structure[i] = maps[j] if \
                        self.keyframe_structure is None else next(kmaps)
            pending.clear()
            report('structure', idx[-1] + 1, num_frames)
            for i in idx:
                g = group_of.get(i)
                if g is not None and i == groups[g][0][-1]:
                    edit_group(g)

        count = 0
        for count, frame in enumerate(frames, 1):
            if count > num_frames:
                raise ValueError(f'the frame stream holds more than '
                                 f'num_frames={num_frames} frames')
            pending.append((count - 1, frame))
            if len(pending) == self.detector_batch_size or \
                    (count - 1) in group_of:
                flush()
        if pending:
            flush()
        if count != num_frames:
            raise ValueError(f'the frame stream ended after {count} frames, '
                             f'expected num_frames={num_frames}')
        return dict(
            keyframes=keys,
            working_size=(h, w),
            num_evaluations=editor.num_evaluations +
            self._transformer_passes,
            nfe_diffusion=editor.num_evaluations,
            nfe_transformer=self._transformer_passes,
            **timer.report())

    @torch.no_grad()
    def edit(self,
             frames: Tensor,
             prompt: Optional[str] = None,
             prompt_embeds: Optional[Tensor] = None,
             negative_prompt_embeds: Optional[Tensor] = None,
             fixed_size: bool = False,
             progress=None) -> Dict[str, Union[Tensor, float, int]]:
        """Edit one video held in memory (:meth:`edit_stream` collected).

        Args:
            frames (Tensor): ``(L, 3, H, W)`` RGB in [0, 1], L >= 2.
            fixed_size (bool): edit and return at exactly ``resolution``
                (else at about its pixel count, returned at ``H x W``).
            the rest: see :meth:`edit_stream`.

        Returns:
            dict: :meth:`edit_stream`'s, plus ``pred_frames (L, 3, H, W)``
            in [0, 1], ``source_frames`` (the input at the output size)
            and ``keyframe_pixels`` (stage-1 output, one per keyframe).
        """
        if frames.dim() != 4 or frames.shape[1] != 3:
            raise ValueError('frames must be (L, 3, H, W) RGB in [0, 1], got '
                             f'{tuple(frames.shape)}')
        out, keys = [], []
        res = self.edit_stream(
            frames, len(frames), tuple(frames.shape[-2:]),
            lambda i, f, k: (out.append(f), keys.append(k)
                             if k is not None else None),
            prompt=prompt, prompt_embeds=prompt_embeds,
            negative_prompt_embeds=negative_prompt_embeds,
            fixed_size=fixed_size, progress=progress)
        pred = torch.stack(out)
        source = frames.float().cpu()
        if tuple(source.shape[-2:]) != tuple(pred.shape[-2:]):
            source = F.interpolate(source, size=pred.shape[-2:],
                                   mode='bilinear', align_corners=False,
                                   antialias=True).clamp(0, 1)
        return dict(res, pred_frames=pred, source_frames=source,
                    keyframe_pixels=torch.stack(keys))

    def forward(self, inputs, data_samples=None, mode: str = 'predict'):
        """``mode='predict'`` (tools/test.py): ``inputs`` a list of ``(N, 3,
        H, W)`` clips in [0, 1] (or a ``(B, N, 3, H, W)`` tensor);
        ``data_samples`` dicts with ``prompt`` (or ``prompt_embeds`` and
        ``negative_prompt_embeds``) and ``video_id`` (a list, or the dict
        of lists ``pseudo_collate`` makes). Returns one result dict per clip
        (:meth:`edit` at exactly ``resolution``, as the paper evaluates,
        plus the sample's metadata)."""
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
                negative_prompt_embeds=sample.get('negative_prompt_embeds'),
                fixed_size=True)
            results.append({**sample, **res})
        return results


class _StageTimer:
    """Wall time summed per stage (CUDA synchronised)."""

    def __init__(self, device: torch.device):
        self.device = device
        self.times: Dict[str, float] = {name: 0. for name in STAGES}
        self._open = False

    def _sync(self) -> None:
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)

    @contextmanager
    def __call__(self, name: str):
        if self._open:  # nested: the outer stage keeps the time
            yield
            return
        self._open = True
        self._sync()
        start = time.perf_counter()
        try:
            yield
        finally:
            self._sync()
            self.times[name] += time.perf_counter() - start
            self._open = False

    def report(self) -> Dict[str, float]:
        out = {f'runtime_{k}_s': v for k, v in self.times.items()}
        out['runtime_s'] = sum(self.times.values())
        return out
