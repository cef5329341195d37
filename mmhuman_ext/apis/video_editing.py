"""Text-driven video editing with MaskINT (structure maps, joint keyframe
diffusion, masked-token interpolation) from a config and a stage-2
checkpoint.

    editor = VideoEditor.from_config(
        'configs/maskint/maskint-edit-hed_davis2017-384x672.py', 'maskint.pth')
    stats = editor.edit_video('in.mp4', 'a wolf', 'out_dir', progress=True)

Everything that can be checked is checked before a network is built
(:meth:`VideoEditor.from_config`: knob ranges, every weight folder and file,
the checkpoint; :func:`open_edit_input` and :func:`prepare_out_dir`: the
input and the output folder). The video is streamed: frames are decoded,
edited and written chunk by chunk (``MaskINTEditPipeline.edit_stream``), so
memory does not grow with its length. The output keeps the source size,
frame rate and audio.
"""
import os
import os.path as osp
import re
import tempfile
from typing import Dict, List, Optional

import numpy as np
import torch
from torch import Tensor

from mmhuman_ext.utils.atomic_io import atomic_write_image
from mmhuman_ext.utils.video import (FrameSource, VideoWriter, is_video_file,
                                     video_info)

#: what the edit writes into its output folder (and removes from it first)
EDIT_NAME = 'edited'
_FRAME_FILE = re.compile(r'^\d{5}\.png$')

#: knobs of an edit: name -> (what it sets, lowest value, exclusive?)
KNOBS = dict(
    ddim_steps=('keyframe_editor.num_inference_steps', 1, False),
    guidance_scale=('keyframe_editor.guidance_scale', 0, False),
    negative_prompt=('keyframe_editor.negative_prompt', None, False),
    controlnet_scale=('keyframe_editor.controlnet_conditioning_scale', 0,
                      False),
    keyframe_stride=('chunk_len', 1, False),
    decode_steps=('num_steps', 1, False),
    seed=('seed', 0, False),
    fps=(None, 0, True),
    start=(None, 0, False),
    interval=(None, 1, False),
)


def _flag(name: str, names: Optional[Dict[str, str]]) -> str:
    return (names or {}).get(name, name)


def check_edit_args(names: Optional[Dict[str, str]] = None,
                    max_frames: int = 0, **values) -> None:
    """Refuse out-of-range knobs (:data:`KNOBS`) and ``max_frames`` (0:
    all, else >= 2) with one ``ValueError`` naming each, as ``names`` spells
    them (e.g. ``{'interval': '--interval'}``); None values are unset."""
    errors = []
    for name, value in values.items():
        if name not in KNOBS:
            raise TypeError(f'unknown edit option {name!r}; known: '
                            f'{sorted(KNOBS)}, max_frames')
        low, exclusive = KNOBS[name][1:]
        if value is None or low is None:
            continue
        if value < low or (exclusive and value == low):
            sign = '>' if exclusive else '>='
            errors.append(f'{_flag(name, names)} must be {sign} {low}, got '
                          f'{value}')
    if max_frames is not None and (max_frames < 0 or max_frames == 1):
        errors.append(f'{_flag("max_frames", names)} must be 0 (all frames) '
                      f'or >= 2 (editing needs two keyframes), got '
                      f'{max_frames}')
    if errors:
        raise ValueError('; '.join(errors))


def apply_knobs(pipeline, names: Optional[Dict[str, str]] = None,
                **values) -> None:
    """Set the edit knobs that are not None on a built pipeline
    (``keyframe_stride`` s sets ``chunk_len = s + 1``); a knob the keyframe
    editor does not have (the hue-shift stand-in has no DDIM steps) is an
    error naming it."""
    for name, value in values.items():
        target = KNOBS[name][0]
        if value is None or target is None:
            continue
        owner, attr = pipeline, target
        if '.' in target:
            part, attr = target.split('.')
            owner = getattr(pipeline, part)
        if not hasattr(owner, attr):
            raise ValueError(f'{_flag(name, names)}: the '
                             f'{type(owner).__name__} of this config has no '
                             f'{attr}')
        setattr(owner, attr, value + 1 if name == 'keyframe_stride' else
                value)


def select_frames(num_frames: int, start: int = 0, interval: int = 1,
                  max_frames: int = 0) -> range:
    """Indices edited: from ``start`` every ``interval`` (at most
    ``max_frames``; 0: all)."""
    inds = range(start, num_frames, interval)
    return inds[:max_frames] if max_frames else inds


def open_edit_input(path: str, start: int = 0, interval: int = 1,
                    max_frames: int = 0,
                    names: Optional[Dict[str, str]] = None) -> dict:
    """Check a video file or frame folder can be read and yields at least
    two frames to edit; returns ``source`` (a ``FrameSource``),
    ``indices``, ``size`` ``(H, W)``, ``fps`` (the file's, or None for a
    folder) and ``audio_start`` (seconds of the first edited frame)."""
    if not (osp.isdir(path) or osp.isfile(path)):
        raise FileNotFoundError(f'input video {path} does not exist (a video '
                                'file or a folder of frame images)')
    source = FrameSource(path)
    total = len(source)
    indices = select_frames(total, start, interval, max_frames)
    if len(indices) < 2:
        raise ValueError(
            f'{path}: {total} frames; {_flag("start", names)} {start} '
            f'{_flag("interval", names)} {interval} leave {len(indices)}, '
            'editing needs at least 2')
    first = source.read([indices[0]])[0]
    fps = None
    if source.kind == 'video':
        fps = video_info(path)['fps']
    return dict(source=source, indices=indices, size=first.shape[:2],
                fps=fps, audio_start=start / fps if fps else 0.)


def prepare_out_dir(out_dir: str, name: str = EDIT_NAME) -> None:
    """Make ``out_dir`` (it must be writable) and remove what an earlier
    edit wrote there: ``{name}/NNNNN.png``, ``keyframes/NNNNN.png``,
    ``{name}.mp4``, ``{name}.gif``. Other files are left alone."""
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise NotADirectoryError(f'output folder {out_dir} is a file')
    try:
        os.makedirs(out_dir, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as exc:
        raise PermissionError(f'output folder {out_dir} is not writable '
                              f'({exc.strerror or exc})') from None
    for sub in (name, 'keyframes'):
        folder = osp.join(out_dir, sub)
        if osp.isdir(folder):
            for f in os.listdir(folder):
                if _FRAME_FILE.match(f):
                    os.remove(osp.join(folder, f))
    for ext in ('.mp4', '.gif'):
        path = osp.join(out_dir, name + ext)
        if osp.isfile(path):
            os.remove(path)


def missing_weights(model_cfg, prefix: str = 'model') -> List[str]:
    """Every weight folder (``from_pretrained`` / ``pretrained``, with
    ``subfolder``) and file (``checkpoint``, ``codebook``) a model config
    names that is not on disk, as ``'model.x.y: PATH'`` lines."""
    missing = []
    if isinstance(model_cfg, dict):
        for key, value in model_cfg.items():
            where = f'{prefix}.{key}'
            if key in ('from_pretrained', 'pretrained') and isinstance(
                    value, str):
                folder = osp.join(value, model_cfg.get('subfolder') or '')
                if not osp.isdir(folder):
                    missing.append(f'{where}: folder {folder}')
            elif key in ('checkpoint', 'codebook', 'interpolator_checkpoint') \
                    and isinstance(value, str) and value:
                if not osp.isfile(value):
                    missing.append(f'{where}: file {value}')
            else:
                missing += missing_weights(value, where)
    elif isinstance(model_cfg, (list, tuple)):
        for i, value in enumerate(model_cfg):
            missing += missing_weights(value, f'{prefix}[{i}]')
    return missing


def check_interpolator_checkpoint(interpolator_cfg: dict,
                                  checkpoint: Optional[str],
                                  random_interpolator: bool = False,
                                  allow_partial: bool = False) -> None:
    """Refuse an empty or absent checkpoint (unless
    ``random_interpolator``), a file that is not a PyTorch checkpoint, and
    one that does not fit the interpolator (built from ``interpolator_cfg``,
    random weights; :func:`~mmhuman_ext.utils.run.check_checkpoint_fit`)."""
    if checkpoint == '':
        raise ValueError('the checkpoint argument is empty (an unset shell '
                         'variable?): give a stage-2 MaskINT checkpoint, or '
                         'none with --random-interpolator')
    if checkpoint is None:
        if not random_interpolator:
            raise ValueError('no interpolator checkpoint: give a stage-2 '
                             'MaskINT checkpoint; random weights (noise) '
                             'only with --random-interpolator')
        return
    if random_interpolator:
        raise ValueError(f'--random-interpolator and the checkpoint '
                         f'{checkpoint} contradict each other')
    from mmhuman_ext.registry import MODELS
    from mmhuman_ext.utils.checkpoint import load_checkpoint_file
    from mmhuman_ext.utils.run import check_checkpoint_fit
    try:
        state = load_checkpoint_file(checkpoint, map_location='cpu')
    except FileNotFoundError:
        raise
    except Exception as exc:  # noqa: B902  torch.load's many errors
        raise ValueError(f'{checkpoint} is not a PyTorch checkpoint (torch.'
                         f'load failed: {type(exc).__name__}: {exc})'
                         ) from None
    if isinstance(state, dict) and isinstance(state.get('state_dict'), dict):
        state = state['state_dict']
    if not isinstance(state, dict) or not any(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f'{checkpoint} is not a model checkpoint: it holds '
                         'no state dict of tensors')
    check_checkpoint_fit(MODELS.build(interpolator_cfg), state, checkpoint,
                         allow_partial)


def check_device(device: str, half: bool = False,
                 cpu_offload: bool = False) -> None:
    """Half precision and model CPU offload are for CUDA devices."""
    for wanted, what in ((half, 'half precision'),
                         (cpu_offload, 'model CPU offload')):
        if wanted and not str(device).startswith('cuda'):
            raise ValueError(f'{what} needs a CUDA device, got {device!r}')


class EditWriter:
    """Writes an edit as it streams: ``{name}/00000.png ...``,
    ``{name}.mp4`` (with the source's audio when ``audio_from`` has some),
    ``{name}.gif`` and the stage-1 keyframes ``keyframes/NNNNN.png``, all
    atomically, at the frame size given and ``fps``. Use as ``sink`` of
    ``MaskINTEditPipeline.edit_stream``, then :meth:`close`."""

    def __init__(self, out_dir: str, fps: float, gif: bool = True,
                 name: str = EDIT_NAME, audio_from: Optional[str] = None,
                 audio_start: float = 0.):
        self.paths = dict(frames=osp.join(out_dir, name),
                          keyframes=osp.join(out_dir, 'keyframes'),
                          mp4=osp.join(out_dir, f'{name}.mp4'))
        os.makedirs(self.paths['frames'], exist_ok=True)
        os.makedirs(self.paths['keyframes'], exist_ok=True)
        self.writers = [VideoWriter(self.paths['mp4'], fps=fps,
                                    channel_order='rgb',
                                    audio_from=audio_from,
                                    audio_start=audio_start)]
        if gif:
            self.paths['gif'] = osp.join(out_dir, f'{name}.gif')
            self.writers.append(VideoWriter(self.paths['gif'], fps=fps,
                                            channel_order='rgb'))

    def __call__(self, index: int, frame: Tensor,
                 keyframe: Optional[Tensor] = None) -> None:
        image = to_uint8(frame[None])[0]
        atomic_write_image(osp.join(self.paths['frames'], f'{index:05d}.png'),
                           image[..., ::-1])
        if keyframe is not None:
            atomic_write_image(
                osp.join(self.paths['keyframes'], f'{index:05d}.png'),
                to_uint8(keyframe[None])[0][..., ::-1])
        for writer in self.writers:
            writer.write(image)

    def close(self) -> Dict[str, str]:
        for writer in self.writers:
            writer.close()
        return self.paths

    def abort(self) -> None:
        for writer in self.writers:
            writer.abort()


def to_uint8(frames: Tensor) -> np.ndarray:
    """``(L, 3, H, W)`` in [0, 1] -> ``(L, H, W, 3)`` uint8 RGB."""
    return (frames.clamp(0, 1) * 255).round().byte().permute(
        0, 2, 3, 1).cpu().numpy()


def save_edit(result: Dict, out_dir: str, fps: float = 10.,
              name: str = EDIT_NAME, gif: bool = True) -> Dict[str, str]:
    """Write an in-memory result of ``MaskINTEditPipeline.edit``
    (``pred_frames``, ``keyframes``, ``keyframe_pixels``) as
    :class:`EditWriter` does; returns the paths written."""
    prepare_out_dir(out_dir, name)
    writer = EditWriter(out_dir, fps, gif, name)
    keys = dict(zip(result['keyframes'], result['keyframe_pixels']))
    for i, frame in enumerate(result['pred_frames']):
        writer(i, frame, keys.get(i))
    return writer.close()


class _Progress:
    """One tqdm bar (count, rate, ETA) per stage of
    ``MaskINTEditPipeline.edit_stream``'s ``progress``."""

    UNITS = dict(structure='frame', keyframes='step', interpolate='pass')

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.bars = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm
        if not self.enabled:
            return
        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(
                total=total, desc=f'{stage:<11}', unit=self.UNITS[stage],
                position=len(self.bars), dynamic_ncols=True)
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


class VideoEditor:
    """Runs a ``MaskINTEditPipeline``.

    Args:
        pipeline (MaskINTEditPipeline): built pipeline (eval mode is set).
        device (str): 'cpu' or 'cuda'.
        half (bool): the keyframe editor's networks in float16 (CUDA only).
        cpu_offload (bool): keep every network on the CPU and move each
            stage's to the GPU only while it runs (CUDA only).
    """

    def __init__(self, pipeline, device: str = 'cpu', half: bool = False,
                 cpu_offload: bool = False):
        check_device(device, half, cpu_offload)
        pipeline = pipeline.eval()
        if half:
            pipeline.keyframe_editor.half()
        if cpu_offload:
            pipeline.offload_device = torch.device(device)
            for module in (pipeline.structure, pipeline.keyframe_structure,
                           pipeline.tokenizer):
                if module is not None:
                    module.to(device)
        else:
            pipeline.to(device)
        self.pipeline = pipeline
        self.device = device

    @classmethod
    def from_config(cls,
                    config: str,
                    checkpoint: Optional[str],
                    device: str = 'cpu',
                    cfg_options: Optional[dict] = None,
                    allow_partial: bool = False,
                    random_interpolator: bool = False,
                    half: bool = False,
                    cpu_offload: bool = False,
                    names: Optional[Dict[str, str]] = None,
                    **knobs) -> 'VideoEditor':
        """Check, then build the pipeline of ``config`` (its ``model``) and
        load the stage-2 ``checkpoint`` into its interpolator.

        Before any network is built: ``knobs`` (:data:`KNOBS`, e.g.
        ``ddim_steps=20, guidance_scale=5``) in range, every weight folder
        and file of the config present (all missing ones in one
        ``FileNotFoundError``), and ``checkpoint``
        (:func:`check_interpolator_checkpoint`; None only with
        ``random_interpolator``). ``names`` spells the knobs in messages
        (the command line's flags). A checkpoint that fills fewer than half
        of the interpolator's tensors is refused unless ``allow_partial``.
        """
        from mmengine import Config

        from mmhuman_ext.registry import MODELS
        from mmhuman_ext.utils.setup_env import register_all_modules
        check_edit_args(names, **knobs)
        check_device(device, half, cpu_offload)
        register_all_modules()
        cfg = Config.fromfile(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        missing = missing_weights(cfg.model.to_dict())
        if checkpoint and not osp.isfile(checkpoint):
            missing.append(f'checkpoint: file {checkpoint}')
        if missing:
            raise FileNotFoundError(
                f'{config}: {len(missing)} weight file(s) or folder(s) '
                'missing (nothing is downloaded at run time; see the '
                'config\'s header for where each comes from):\n  ' +
                '\n  '.join(missing))
        check_interpolator_checkpoint(cfg.model.interpolator.to_dict(),
                                      checkpoint, random_interpolator,
                                      allow_partial)
        pipeline = MODELS.build(cfg.model)
        if checkpoint:
            pipeline.load_interpolator(checkpoint, allow_partial)
        apply_knobs(pipeline, names, **knobs)
        return cls(pipeline, device, half, cpu_offload)

    def edit(self, frames: Tensor, prompt: Optional[str] = None,
             prompt_embeds: Optional[Tensor] = None,
             progress: bool = False) -> Dict:
        """Edit ``frames (L, 3, H, W)`` in [0, 1] held in memory; returns
        ``MaskINTEditPipeline.edit``'s dict (frames at the source size)."""
        bars = _Progress(progress)
        try:
            return self.pipeline.edit(frames, prompt=prompt,
                                      prompt_embeds=prompt_embeds,
                                      progress=bars)
        finally:
            bars.close()

    def edit_video(self, path: str, prompt: Optional[str] = None,
                   out_dir: Optional[str] = None,
                   prompt_embeds: Optional[Tensor] = None, start: int = 0,
                   interval: int = 1, max_frames: int = 0,
                   fps: Optional[float] = None, gif: bool = True,
                   progress: bool = False,
                   names: Optional[Dict[str, str]] = None) -> Dict:
        """Edit a video file or frame folder into ``out_dir``, streaming.

        Writes what :class:`EditWriter` writes, at the source size and
        frame rate (the file's divided by ``interval``, or ``fps``; 10 for
        a folder), with the source's audio when ``interval`` is 1. The
        folder is emptied of an earlier edit's outputs first.

        Returns:
            dict: ``MaskINTEditPipeline.edit_stream``'s (keyframes, seconds
            per stage, network evaluations) plus ``paths``, ``num_frames``,
            ``size`` and ``fps``.
        """
        check_edit_args(names, start=start, interval=interval,
                        max_frames=max_frames, fps=fps)
        video = open_edit_input(path, start, interval, max_frames, names)
        if out_dir is None:
            raise ValueError('out_dir: the output folder is required')
        prepare_out_dir(out_dir)
        fps = fps or (video['fps'] / interval if video['fps'] else 10.)
        audio = path if is_video_file(path) and interval == 1 else None
        writer = EditWriter(out_dir, fps, gif, audio_from=audio,
                            audio_start=video['audio_start'])
        bars = _Progress(progress)
        try:
            stats = self.pipeline.edit_stream(
                video['source'].iter_at(video['indices']),
                len(video['indices']), video['size'], writer, prompt=prompt,
                prompt_embeds=prompt_embeds, progress=bars)
        except BaseException:
            writer.abort()
            raise
        finally:
            bars.close()
        return dict(stats, paths=writer.close(),
                    num_frames=len(video['indices']),
                    size=tuple(video['size']), fps=fps)
