"""Head avatars with CVTHead in mmengine's ``BaseInferencer`` style: one
source frame animated by a driving video's FLAME codes or by FLAME controls.

    from mmhuman_ext.apis.inferencers import HeadAvatarInferencer

    inferencer = HeadAvatarInferencer(CONFIG, CKPT, data_root='data/vox')
    inferencer('id10283#abc#001', source=dict(video='id10280#xyz#002'),
               out_dir='outputs/')                 # reenactment
    inferencer(['yaw', 'jaw'], source=dict(video='id10280#xyz#002'),
               out_dir='outputs/')                 # FLAME control sweeps
    inferencer('controls.npz', source=..., out_dir='outputs/')

The source (``source=dict(video=..., frame=0)``) and driving videos live in
the VoxCeleb layout of ``VoxCelebReenactDataset`` under ``data_root``
(``frames/``, ``parsing/``, ``deca/<video>.npz`` FLAME codes, see
``docs/data_preparation.md``). A driving input is

* the name of a video there: its frames (those its split file lists, else
  every frame of its codes file) drive the source (expression, head/jaw
  pose, camera and, same identity, the crop transform;
  ``cross_identity=True`` keeps the source's crop);
* a ``.npz`` file of FLAME controls: ``exp`` (T, 50) and / or ``pose``
  (T, 6), optionally ``cam`` (T, 3), ``shape`` (T, 100), ``tform``
  (T, 3, 3); codes it lacks stay the source's;
* a control sweep name (``'shape'``, ``'exp'``, ``'yaw'``, ``'jaw'``,
  see :data:`~mmhuman_ext.apis.head_animation.SWEEPS`) or a list of them.

Outputs per driving input ``<name>``: ``<vis_out_dir>/<name>.mp4`` (PyAV)
and ``<vis_out_dir>/<name>.png`` (source then every frame, side by side),
``<pred_out_dir>/<name>.json`` (the driving codes of every frame).
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.infer import BaseInferencer
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from mmengine.utils import ProgressBar

from mmhuman_ext.registry import INFERENCERS
from mmhuman_ext.utils.atomic_io import atomic_write_image, atomic_write_text
from mmhuman_ext.utils.video import VideoWriter
from ..head_animation import SWEEPS, HeadAnimator
from .base import to_jsonable

#: driving codes a controls file may hold, with their per-frame shapes
CONTROL_FIELDS = dict(
    exp=(50, ), pose=(6, ), cam=(3, ), shape=(100, ), tform=(3, 3))


def _to_uint8(img: np.ndarray) -> np.ndarray:
    """``(3, H, W)`` in [-1, 1] -> ``(H, W, 3)`` uint8."""
    return ((img.transpose(1, 2, 0) + 1) * 127.5).clip(0, 255).astype(np.uint8)


def load_controls(path: str) -> List[Dict[str, np.ndarray]]:
    """Per-frame code overrides from a controls ``.npz`` (module
    docstring)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'FLAME controls file not found: {path}')
    with np.load(path, allow_pickle=False) as z:
        fields = {k: z[k].astype(np.float32) for k in CONTROL_FIELDS if k in z}
    if not fields:
        raise KeyError(f'{path}: no FLAME controls; expected one or more of '
                       f'{list(CONTROL_FIELDS)} with a leading frame axis')
    lengths = set()
    for key, value in fields.items():
        if value.shape[1:] != CONTROL_FIELDS[key]:
            raise ValueError(f'{path}: {key!r} must have shape (T, '
                             f'{", ".join(map(str, CONTROL_FIELDS[key]))}), '
                             f'got {value.shape}')
        lengths.add(len(value))
    if len(lengths) != 1 or 0 in lengths:
        raise ValueError(
            f'{path}: the fields need the same number (> 0) of '
            f'frames, got { {k: len(v) for k, v in fields.items()} }')
    return [{k: v[t] for k, v in fields.items()} for t in range(lengths.pop())]


@INFERENCERS.register_module(name='head-avatar')
@INFERENCERS.register_module()
class HeadAvatarInferencer(BaseInferencer):
    """See the module docstring.

    Args:
        model (str | Config): CVTHead config.
        weights (str, optional): Checkpoint.
        data_root (str): Folder in the VoxCeleb layout (source and driving
            videos).
        device (str, optional): Defaults to CUDA when available, else CPU.
        scope (str): Registry scope. Defaults to ``'mmhuman_ext'``.
        show_progress (bool): Progress bar over the rendered frames.
    """

    preprocess_kwargs: set = {'source', 'cross_identity'}
    forward_kwargs: set = set()
    visualize_kwargs: set = {'return_vis'}
    postprocess_kwargs: set = {'vis_out_dir', 'pred_out_dir', 'fps'}

    def __init__(self,
                 model: Union[str, Config, ConfigDict],
                 weights: Optional[str] = None,
                 data_root: str = '',
                 device: Optional[str] = None,
                 scope: str = 'mmhuman_ext',
                 show_progress: bool = True) -> None:
        init_default_scope(scope)
        super().__init__(model, weights, device, scope, show_progress)
        self.data_root = data_root
        self._progress = None  # a ProgressBar during __call__
        device = next(self.model.parameters()).device
        self.animator = HeadAnimator(self.model, str(device))

    def _load_weights_to_model(self, model, checkpoint, cfg) -> None:
        if checkpoint is not None:
            _load_checkpoint_to_model(model, checkpoint, strict=True)

    def _init_pipeline(self, cfg):
        """Frames, masks and codes are read by ``LoadReenactPair``, the
        loader of the training data, at the network resolution."""
        from mmhuman_ext.datasets.transforms.reenact_transforms import \
            LoadReenactPair
        return LoadReenactPair(self.model.generator.rasterizer.image_size[0])

    def _dirs(self) -> dict:
        root = self.data_root
        if not osp.isdir(root):
            raise FileNotFoundError(
                f'data_root {root!r} is not a folder; it needs frames/, '
                'parsing/ and deca/ in the VoxCeleb layout')
        return dict(
            frames=osp.join(root, 'frames'),
            parsing=osp.join(root, 'parsing'),
            codes=osp.join(root, 'deca'),
            landmarks=osp.join(root, 'landmarks'))

    def _load_frame(self, video: str, frame: int) -> dict:
        """``img`` (3, S, S) in [-1, 1], ``mask`` (1, S, S), ``codes``."""
        res = self.pipeline(
            dict(
                video=video,
                src_frame=frame,
                drv_video=video,
                drv_frame=frame,
                dirs=self._dirs()))
        return dict(
            img=res['src_img'], mask=res['src_mask'], codes=res['src_codes'])

    def _video_frames(self, video: str) -> List[int]:
        """The frames of ``video`` that the split files list (frames with
        usable codes), else every frame of its codes file."""
        for split in ('test_imgs.json', 'train_imgs.json'):
            path = osp.join(self.data_root, split)
            if osp.isfile(path):
                with open(path) as f:
                    videos = json.load(f)
                if video in videos:
                    return [int(fid) for fid in videos[video]]
        path = osp.join(self._dirs()['codes'], f'{video}.npz')
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'driving video {video!r}: FLAME codes {path} not found; '
                'give a video of data_root, a controls .npz or one of '
                f'{list(SWEEPS)}')
        with np.load(path, allow_pickle=False) as z:
            if 'frame_ids' not in z:
                raise KeyError(f'{path}: missing field frame_ids')
            return [int(f) for f in z['frame_ids']]

    # ------------------------------------------------------------------
    def _inputs_to_list(self, inputs) -> List[str]:
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, (list, tuple)) or not inputs:
            raise ValueError('inputs: a driving video name, a controls .npz '
                             f'or sweep names {list(SWEEPS)}')
        return list(inputs)

    def preprocess(self,
                   inputs: List[str],
                   batch_size: int = 1,
                   source: Optional[dict] = None,
                   cross_identity: bool = False):
        """Encode the source once; yield ``(name, overrides)`` per driving
        input, ``overrides`` a list of per-frame code dicts."""
        if not source or 'video' not in source:
            raise ValueError('source=dict(video=..., frame=0) is required: '
                             'the frame of data_root to animate')
        src = self._load_frame(source['video'], int(source.get('frame', 0)))
        self.animator.set_source(
            torch.from_numpy(src['img']), torch.from_numpy(src['mask']),
            src['codes'])
        self._source_picture = _to_uint8(src['img'])
        for item in inputs:
            if item in SWEEPS:
                key, index, values = SWEEPS[item]
                base = np.asarray(src['codes'][key], np.float32)
                frames = []
                for value in values:
                    code = base.copy()
                    code[index] = value
                    frames.append({key: code})
                yield f'control_{item}', frames
            elif item.endswith('.npz'):
                name = osp.splitext(osp.basename(item))[0]
                yield name, load_controls(item)
            else:
                frames = []
                for fid in self._video_frames(item):
                    codes = self._load_frame(item, fid)['codes']
                    over = dict(
                        exp=codes['exp'], pose=codes['pose'], cam=codes['cam'])
                    if not cross_identity:
                        over['tform'] = codes['tform']
                    frames.append(over)
                yield f'reenact_{item}', frames

    @torch.no_grad()
    def forward(self, overrides: Sequence[dict]) -> List[np.ndarray]:
        """``(H, W, 3)`` uint8 RGB frames, one per override dict."""
        frames = []
        for over in overrides:
            frames.append(self.animator.render(**over)['image'])
            if self._progress is not None:
                self._progress.update()
        return frames

    def visualize(self, inputs, preds, return_vis: bool = False):
        """The source, then every rendered frame, side by side (RGB)."""
        return np.concatenate([self._source_picture] + list(preds), axis=1)

    def postprocess(self,
                    name: str,
                    frames: List[np.ndarray],
                    strip,
                    overrides: Sequence[dict],
                    vis_out_dir: str = '',
                    pred_out_dir: str = '',
                    fps: float = 10.) -> dict:
        files = []
        if vis_out_dir:
            video = osp.join(vis_out_dir, f'{name}.mp4')
            with VideoWriter(video, fps, channel_order='rgb') as writer:
                for frame in frames:
                    writer.write(frame)
            picture = osp.join(vis_out_dir, f'{name}.png')
            atomic_write_image(picture, strip[..., ::-1])
            files += [video, picture]
        if pred_out_dir:
            path = osp.join(pred_out_dir, f'{name}.json')
            atomic_write_text(
                path,
                json.dumps(
                    to_jsonable(dict(driving_codes=list(overrides))),
                    indent=1))
            files.append(path)
        return dict(name=name, frames=frames, files=files)

    def __call__(self,
                 inputs,
                 out_dir: Optional[str] = None,
                 **kwargs) -> dict:
        """Animate the source with each driving input.

        Returns:
            dict: ``predictions``: per driving input ``name``, ``frames``
            (list of (H, W, 3) uint8 RGB) and ``files`` written;
            ``visualization``: the strips, with ``return_vis=True``.
        """
        if out_dir is not None:
            kwargs.setdefault('vis_out_dir', osp.join(out_dir,
                                                      'visualizations'))
            kwargs.setdefault('pred_out_dir', osp.join(out_dir, 'predictions'))
        pre_kw, _, vis_kw, post_kw = self._dispatch_kwargs(**kwargs)
        jobs = list(self.preprocess(self._inputs_to_list(inputs), **pre_kw))
        total = sum(len(frames) for _, frames in jobs)
        self._progress = ProgressBar(total) if self.show_progress else None
        results = dict(predictions=[], visualization=[])
        for name, overrides in jobs:
            frames = self.forward(overrides)
            strip = self.visualize(None, frames)
            results['predictions'].append(
                self.postprocess(name, frames, strip, overrides, **post_kw))
            if vis_kw.get('return_vis'):
                results['visualization'].append(strip)
        return results
