"""Animate one source image with the poses of a driving video (one-shot
human motion transfer, ORFNT; ``docs/motion_transfer.md``).

The model needs DensePose IUV maps of the source image and of every driving
frame; the driving RGB is not used. They come from

* IUV files: a folder of per-frame ``.png`` / ``.npz`` maps, or a video
  folder of the dataset layout (``<video>/iuv/``); or
* a TorchScript DensePose model run on the frames (a video file, a frame
  folder or a stacked PNG), see
  :class:`~mmhuman_ext.datasets.densepose_charts.TorchScriptDensePose`.

:func:`motion_transfer_video` writes ``out_dir/frames/%06d.png`` and
``out_dir/animation.mp4`` (H.264 through PyAV), optionally
``out_dir/comparison.mp4`` (source | driving DensePose | result).
"""
import os
import os.path as osp
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

import cv2
import numpy as np
import torch
from tqdm import tqdm

from mmhuman_ext.datasets.motion_transfer_inputs import (find_iuv_file,
                                                         list_iuv_files,
                                                         read_iuv)
from mmhuman_ext.utils.video import (IMAGE_EXTENSIONS, FrameSource,
                                     VideoWriter, is_image_file,
                                     read_image_file)


def write_video(path: str, frames: Iterable[np.ndarray], fps: float) -> None:
    """RGB uint8 frames to an mp4 (PyAV, written atomically)."""
    with VideoWriter(path, fps=fps, channel_order='rgb') as writer:
        for frame in frames:
            writer.write(frame)


def inference_model_cfg(model_cfg):
    """A copy of an ORFNT model config without its losses and the VGG-19
    two of them use: they only train, and inference needs no file of
    theirs."""
    import copy
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg.update(loss_cfg=None, vgg=None)
    return model_cfg


class MotionTransferer:
    """Args:
        model: a built ``ORFNTMotionTransfer`` (any model with
            ``out_size`` and ``animate(source_img, source_iuv, driving_iuv)
            -> dict(fake, mask)``; ``encode_source`` is used when present).
        device (str): 'cpu' or 'cuda'.

    Frames and IUV maps are resized to the model's output side
    ``model.out_size`` (the size its training frames are loaded at) before
    the model; RGB by area, IUV nearest.
    """

    def __init__(self, model, device: str = 'cpu'):
        self.model = model.to(device).eval()
        self.device, self.size = device, model.out_size

    @classmethod
    def from_config(cls, config: str, checkpoint: Optional[str] = None,
                    device: str = 'cpu',
                    allow_partial: bool = False) -> 'MotionTransferer':
        """Build the model of ``config`` and load ``checkpoint`` (weights
        only; an mmengine checkpoint or a plain state dict), refused when
        it fills fewer than half the model's tensors unless
        ``allow_partial``."""
        from mmengine import Config

        from mmhuman_ext.registry import MODELS
        from mmhuman_ext.utils.run import load_model_weights
        from mmhuman_ext.utils.setup_env import register_all_modules
        register_all_modules()
        model = MODELS.build(
            inference_model_cfg(Config.fromfile(config).model))
        if checkpoint:
            load_model_weights(model, checkpoint, allow_partial)
        return cls(model, device)

    def _image(self, rgb: np.ndarray) -> torch.Tensor:
        if rgb.shape[:2] != (self.size, self.size):
            shrink = min(rgb.shape[:2]) > self.size
            rgb = cv2.resize(rgb, (self.size, self.size),
                             interpolation=cv2.INTER_AREA if shrink else
                             cv2.INTER_LINEAR)
        x = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)
        return (x.float() / 127.5 - 1)[None].to(self.device)

    def _iuv(self, iuv: np.ndarray) -> torch.Tensor:
        if iuv.shape[:2] != (self.size, self.size):
            iuv = cv2.resize(iuv, (self.size, self.size),
                             interpolation=cv2.INTER_NEAREST)
        return torch.from_numpy(np.ascontiguousarray(
            iuv.transpose(2, 0, 1)))[None].float().to(self.device)

    @torch.no_grad()
    def animate(self, source_rgb: np.ndarray, source_iuv: np.ndarray,
                driving_iuvs: Iterable[np.ndarray], batch_size: int = 8
                ) -> Iterator[Dict[str, np.ndarray]]:
        """Yield, per driving IUV map ``(h, w, 3)``, ``frame`` RGB uint8
        ``(S, S, 3)`` and ``mask`` float ``(S, S)`` (S = output size).

        Args:
            source_rgb: RGB uint8 ``(H, W, 3)``.
            source_iuv: ``(H, W, 3)`` I, U, V of the source.
            driving_iuvs: the driving maps, in order.
        """
        def finite(array, what):
            bad = ~np.isfinite(np.asarray(array, np.float64))
            if bad.any():
                raise ValueError(
                    f'{what} holds NaN/inf at {bad.sum()} of {bad.size} '
                    'values; expected finite numbers (RGB 0..255, IUV: I '
                    '0..24, U and V in [0, 1])')
            return array

        finite(source_rgb, 'source_rgb')
        finite(source_iuv, 'source_iuv')
        src, src_iuv = self._image(source_rgb), self._iuv(source_iuv)
        cache = self.model.encode_source(src, src_iuv) if hasattr(
            self.model, 'encode_source') else None
        batch: List[torch.Tensor] = []

        def run(items):
            drv = torch.cat(items)
            n = len(drv)
            kwargs = dict(source_cache=cache) if cache is not None else {}
            out = self.model.animate(src.expand(n, -1, -1, -1),
                                     src_iuv.expand(n, -1, -1, -1), drv,
                                     **kwargs)
            frames = ((out['fake'].clamp(-1, 1) + 1) * 127.5).round()
            frames = frames.byte().permute(0, 2, 3, 1).cpu().numpy()
            masks = out['mask'][:, 0].float().cpu().numpy()
            return [dict(frame=f, mask=m) for f, m in zip(frames, masks)]

        for t, iuv in enumerate(driving_iuvs):
            batch.append(self._iuv(finite(iuv, f'driving IUV map {t}')))
            if len(batch) == batch_size:
                yield from run(batch)
                batch = []
        if batch:
            yield from run(batch)


def iuv_visual(iuv: np.ndarray) -> np.ndarray:
    """RGB uint8 picture of an IUV map: hue from the part id, brightness
    from U and V (background black)."""
    part = iuv[..., 0]
    hsv = np.zeros(iuv.shape[:2] + (3, ), np.uint8)
    hsv[..., 0] = (part * 7).astype(np.uint8) % 180
    hsv[..., 1] = 255
    hsv[..., 2] = (96 + 159 * (iuv[..., 1] + iuv[..., 2]) / 2).astype(
        np.uint8) * (part > 0)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def driving_iuv_source(driving: str, channel_order: str = 'IUV_cv2',
                       densepose=None) -> Tuple[int, Iterator[np.ndarray]]:
    """Count and iterator of the driving IUV maps of ``driving``: a folder of
    IUV files, a video folder with ``iuv/``, or frames (video file, image
    folder, stacked PNG) run through ``densepose`` (a callable RGB ->
    IUV)."""
    if osp.isdir(driving):
        folder = osp.join(driving, 'iuv') if osp.isdir(
            osp.join(driving, 'iuv')) else driving
        files = list_iuv_files(folder)
        if files:
            try:
                read_iuv(files[0], channel_order)
                is_iuv = True
            except ValueError as exc:
                if densepose is None:
                    raise ValueError(
                        f'{driving}: expected DensePose IUV maps, but '
                        f'{files[0]} is not one ({exc}); to run DensePose '
                        'on RGB frames, give a TorchScript DensePose model'
                    ) from None
                is_iuv = False
            if is_iuv:
                return len(files), (read_iuv(f, channel_order)
                                    for f in files)
    if densepose is None:
        raise ValueError(
            f'{driving} holds no DensePose IUV maps (a folder of .png / .npz '
            'maps or a video folder with iuv/); to use RGB frames or a video '
            'file, give a TorchScript DensePose model')
    source = FrameSource(driving)
    return len(source), (densepose(frame) for frame in source)


def source_iuv_for(source: str, source_iuv: Optional[str] = None,
                   channel_order: str = 'IUV_cv2',
                   densepose=None) -> np.ndarray:
    """The source's IUV: ``source_iuv`` if given; else ``iuv/<stem>`` beside
    the ``frames/`` folder of ``source`` (dataset layout); else DensePose."""
    if source_iuv:
        return read_iuv(source_iuv, channel_order)
    frames_dir = osp.dirname(osp.abspath(source))
    stem = osp.splitext(osp.basename(source))[0]
    if osp.basename(frames_dir) == 'frames':
        path = find_iuv_file(osp.join(osp.dirname(frames_dir), 'iuv'), stem)
        if path:
            return read_iuv(path, channel_order)
    if densepose is None:
        raise ValueError(
            f'no DensePose map for the source {source}: give its IUV file, '
            'keep it in the dataset layout (<video>/frames/ beside '
            '<video>/iuv/) or give a TorchScript DensePose model')
    rgb = cv2.cvtColor(cv2.imread(source, cv2.IMREAD_COLOR),
                       cv2.COLOR_BGR2RGB)
    return densepose(rgb)


def motion_transfer_video(transferer: MotionTransferer, source: str,
                          driving: str, out_dir: str,
                          source_iuv: Optional[str] = None,
                          channel_order: str = 'IUV_cv2',
                          densepose_model: Optional[str] = None,
                          fps: float = 25, batch_size: int = 8,
                          comparison: bool = False,
                          progress: bool = True) -> Dict[str, str]:
    """Animate the image ``source`` with ``driving`` and write the result.

    Returns:
        dict: paths ``frames`` (folder), ``video`` (mp4) and, with
        ``comparison``, ``comparison`` (mp4).
    """
    from mmhuman_ext.utils.atomic_io import atomic_write_image
    if not osp.isfile(source) or not is_image_file(source):
        raise FileNotFoundError(f'source image {source} not found (an image '
                                f'file {IMAGE_EXTENSIONS} is expected)')
    densepose = None
    if densepose_model:
        from mmhuman_ext.datasets.densepose_charts import TorchScriptDensePose
        densepose = TorchScriptDensePose(densepose_model, transferer.device)
    src_rgb = cv2.cvtColor(read_image_file(source, what='source'),
                           cv2.COLOR_BGR2RGB)
    src_iuv = source_iuv_for(source, source_iuv, channel_order, densepose)
    if src_iuv.shape[:2] != src_rgb.shape[:2]:
        raise ValueError(f'the source IUV map is {src_iuv.shape[1]}x'
                         f'{src_iuv.shape[0]} but {source} is '
                         f'{src_rgb.shape[1]}x{src_rgb.shape[0]}')
    count, iuvs = driving_iuv_source(driving, channel_order, densepose)
    frames_dir = osp.join(out_dir, 'frames')
    os.makedirs(frames_dir, exist_ok=True)
    driving_seen: List[np.ndarray] = []

    def remember(it):
        for iuv in it:
            if comparison:
                driving_seen.append(iuv)
            yield iuv

    results = transferer.animate(src_rgb, src_iuv, remember(iuvs),
                                 batch_size)
    frames = []
    for t, out in enumerate(tqdm(results, total=count, disable=not progress,
                                 desc='motion transfer')):
        atomic_write_image(osp.join(frames_dir, f'{t:06d}.png'),
                           out['frame'][..., ::-1])
        frames.append(out['frame'])
    if not frames:
        raise ValueError(f'{driving}: no driving frames')
    paths = dict(frames=frames_dir, video=osp.join(out_dir, 'animation.mp4'))
    write_video(paths['video'], frames, fps)
    if comparison:
        size = frames[0].shape[0]

        def fit(img, nearest=False):
            return cv2.resize(img, (size, size), interpolation=(
                cv2.INTER_NEAREST if nearest else cv2.INTER_AREA))
        src = fit(src_rgb)
        panels = [np.concatenate([src, fit(iuv_visual(iuv), True), f], 1)
                  for iuv, f in zip(driving_seen, frames)]
        paths['comparison'] = osp.join(out_dir, 'comparison.mp4')
        write_video(paths['comparison'], panels, fps)
    return paths
