"""Pipeline steps of :class:`~mmhuman_ext.datasets.DensePoseVideoPairDataset`.

Keys they share (``S`` = source, ``D`` = driving; ``<side>`` is ``source``
or ``driving``):

* ``<side>_img``: RGB uint8 ``(H, W, 3)``;
* ``<side>_iuv``: float32 ``(H, W, 3)``, part id I (0..24), U, V in [0, 1];
* ``<side>_mask``: float32 ``(H, W)`` in [0, 1];
* ``<side>_keypoints``: float32 ``(18, 3)`` OpenPose-18 (x, y, confidence),
  ``-1`` rows for missing joints (only when the JSON files exist).
"""
import os.path as osp
import warnings

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from mmhuman_ext.registry import TRANSFORMS
from ..motion_transfer_inputs import (find_iuv_file, read_iuv, read_mask,
                                      read_openpose_json)

SIDES = ('source', 'driving')


@TRANSFORMS.register_module()
class LoadFramePair(BaseTransform):
    """Read the source and driving RGB frames (and, when present, their
    OpenPose-18 keypoints from ``kps/<stem>.json``).

    Args:
        with_keypoints (bool): read keypoints when the files exist.
    """

    def __init__(self, with_keypoints: bool = True):
        self.with_keypoints = with_keypoints

    def transform(self, results: dict) -> dict:
        src, drv = results['source'], results['driving']
        if src['frames'] is drv['frames']:
            s_idx, d_idx = results['src_idx'], results['drv_idx']
            results['source_img'], results['driving_img'] = \
                src['frames'].read([s_idx, d_idx])
        else:
            results['source_img'] = src['frames'].read([results['src_idx']])[0]
            results['driving_img'] = drv['frames'].read(
                [results['drv_idx']])[0]
        if self.with_keypoints:
            for side in SIDES:
                info = results[side]
                path = osp.join(info['video_dir'], 'kps',
                                info['stem'] + '.json')
                if osp.isfile(path):
                    results[f'{side}_keypoints'] = read_openpose_json(path)
        return results


@TRANSFORMS.register_module()
class LoadDensePoseIUV(BaseTransform):
    """Read ``iuv/<stem>.png`` (or ``.npz``) of both frames, in the
    dataset's ``iuv_channel_order``, and check that each map has the size of
    its frame (run after :class:`LoadFramePair`)."""

    def transform(self, results: dict) -> dict:
        order = results.get('iuv_channel_order', 'IUV_cv2')
        for side in SIDES:
            info = results[side]
            iuv_dir = osp.join(info['video_dir'], 'iuv')
            path = find_iuv_file(iuv_dir, info['stem'])
            if path is None:
                raise FileNotFoundError(
                    f'no DensePose file for frame {info["stem"]}: expected '
                    f'{iuv_dir}/{info["stem"]}.png or .npz')
            iuv = read_iuv(path, order)
            frame = results.get(f'{side}_img')
            if frame is not None and iuv.shape[:2] != frame.shape[:2]:
                raise ValueError(
                    f'{path}: IUV map is {iuv.shape[1]}x{iuv.shape[0]} (WxH) '
                    f'but its frame is {frame.shape[1]}x{frame.shape[0]}; '
                    'DensePose maps must be pasted at the frame size (see '
                    'tools/dataset_converters/densepose_dump_to_iuv.py)')
            results[f'{side}_iuv'] = iuv
        return results


@TRANSFORMS.register_module()
class LoadHumanMask(BaseTransform):
    """Read ``mask/<stem>.png`` of both frames (alpha in [0, 1]).

    When a mask file is missing and ``fallback='iuv'``, the mask is the
    DensePose silhouette ``I > 0`` dilated by ``dilate`` pixels (a warning is
    given once); ``fallback='error'`` raises instead. Run after
    :class:`LoadDensePoseIUV`.
    """

    def __init__(self, fallback: str = 'iuv', dilate: int = 5):
        if fallback not in ('iuv', 'error'):
            raise ValueError(f"fallback is 'iuv' or 'error', got {fallback!r}")
        self.fallback, self.dilate = fallback, dilate
        self._warned = False

    def transform(self, results: dict) -> dict:
        for side in SIDES:
            info = results[side]
            path = osp.join(info['video_dir'], 'mask', info['stem'] + '.png')
            if osp.isfile(path):
                mask = read_mask(path)
                frame = results.get(f'{side}_img')
                if frame is not None and mask.shape != frame.shape[:2]:
                    raise ValueError(
                        f'{path}: mask is {mask.shape[1]}x{mask.shape[0]} '
                        f'(WxH) but its frame is {frame.shape[1]}x'
                        f'{frame.shape[0]}')
            elif self.fallback == 'error':
                raise FileNotFoundError(f'mask file {path} not found')
            else:
                if not self._warned:
                    warnings.warn(f'{path} not found: using the dilated '
                                  'DensePose silhouette as the mask')
                    self._warned = True
                fg = (results[f'{side}_iuv'][..., 0] > 0).astype(np.uint8)
                k = 2 * self.dilate + 1
                mask = cv2.dilate(fg, np.ones((k, k), np.uint8)).astype(
                    np.float32)
            results[f'{side}_mask'] = mask
        return results


@TRANSFORMS.register_module()
class PairedResize(BaseTransform):
    """Resize both frames to ``size`` ``(w, h)``: RGB by area (shrinking) or
    bilinear (enlarging), masks bilinear, IUV maps **nearest** (interpolating
    labels or U, V across part borders makes values that belong to no part),
    keypoints scaled."""

    def __init__(self, size=(256, 256)):
        self.size = (size, size) if isinstance(size, int) else tuple(size)

    def transform(self, results: dict) -> dict:
        w, h = self.size
        for side in SIDES:
            img = results[f'{side}_img']
            sx, sy = w / img.shape[1], h / img.shape[0]
            if (sx, sy) == (1, 1):
                continue
            shrink = sx < 1 and sy < 1
            results[f'{side}_img'] = cv2.resize(
                img, (w, h), interpolation=cv2.INTER_AREA
                if shrink else cv2.INTER_LINEAR)
            if f'{side}_iuv' in results:
                results[f'{side}_iuv'] = cv2.resize(
                    results[f'{side}_iuv'], (w, h),
                    interpolation=cv2.INTER_NEAREST)
            if f'{side}_mask' in results:
                results[f'{side}_mask'] = cv2.resize(
                    results[f'{side}_mask'], (w, h),
                    interpolation=cv2.INTER_LINEAR)
            if f'{side}_keypoints' in results:
                kps = results[f'{side}_keypoints'].copy()
                found = kps[:, 2] >= 0
                kps[found, 0] *= sx
                kps[found, 1] *= sy
                results[f'{side}_keypoints'] = kps
        return results


@TRANSFORMS.register_module()
class PairedColorJitter(BaseTransform):
    """The same random brightness, contrast, saturation and hue change
    (torchvision's ``ColorJitter``, MRAA's 0.1 each) on both RGB frames;
    IUV maps and masks are untouched."""

    def __init__(self, brightness=0.1, contrast=0.1, saturation=0.1,
                 hue=0.1, prob: float = 1.0):
        from torchvision.transforms import ColorJitter
        self.jitter = ColorJitter(brightness, contrast, saturation, hue)
        self.prob = prob

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        from torchvision.transforms import functional as F
        j = self.jitter
        order, b, c, s, h = j.get_params(j.brightness, j.contrast,
                                         j.saturation, j.hue)
        ops = {0: (F.adjust_brightness, b), 1: (F.adjust_contrast, c),
               2: (F.adjust_saturation, s), 3: (F.adjust_hue, h)}
        for side in SIDES:
            img = torch.from_numpy(results[f'{side}_img']).permute(2, 0, 1)
            for k in order.tolist():
                fn, factor = ops[k]
                if factor is not None:
                    img = fn(img, factor)
            results[f'{side}_img'] = img.permute(1, 2, 0).numpy().copy()
        return results


@TRANSFORMS.register_module()
class RandomSwapSourceDriving(BaseTransform):
    """With probability ``prob``, exchange the source and driving frames
    with everything loaded for them."""

    def __init__(self, prob: float = 0.5):
        self.prob = prob

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        for key in list(results):
            if key.startswith('source_') and key != 'source_video_id':
                other = 'driving_' + key[len('source_'):]
                if other in results:
                    results[key], results[other] = results[other], \
                        results[key]
        results['source'], results['driving'] = results['driving'], \
            results['source']
        results['src_idx'], results['drv_idx'] = results['drv_idx'], \
            results['src_idx']
        results['source_video_id'], results['video_id'] = \
            results['video_id'], results['source_video_id']
        return results


@TRANSFORMS.register_module()
class PackMotionTransferInputs(BaseTransform):
    """Pack to ``dict(inputs, data_samples)``:

    * ``inputs``: ``source_img``, ``driving_img`` uint8 ``(3, H, W)``;
      ``source_iuv``, ``driving_iuv`` float32 ``(3, H, W)`` (I, U, V);
      ``source_mask``, ``driving_mask`` float32 ``(1, H, W)``;
    * ``data_samples``: a ``BaseDataElement`` whose metainfo holds
      ``video_id``, ``source_video_id``, ``src_idx``, ``drv_idx``, ``mode``
      and, when loaded, ``driving_keypoints`` / ``source_keypoints``
      (float32 tensors ``(18, 3)``, -1 where missing).
    """

    def transform(self, results: dict) -> dict:
        inputs = {}
        for side in SIDES:
            inputs[f'{side}_img'] = torch.from_numpy(np.ascontiguousarray(
                results[f'{side}_img'].transpose(2, 0, 1)))
            inputs[f'{side}_iuv'] = torch.from_numpy(np.ascontiguousarray(
                results[f'{side}_iuv'].transpose(2, 0, 1).astype(
                    np.float32)))
            if f'{side}_mask' in results:
                inputs[f'{side}_mask'] = torch.from_numpy(
                    results[f'{side}_mask'].astype(np.float32))[None]
        meta = {k: results[k] for k in ('video_id', 'source_video_id',
                                        'src_idx', 'drv_idx', 'mode')}
        for side in SIDES:
            if f'{side}_keypoints' in results:
                meta[f'{side}_keypoints'] = torch.from_numpy(
                    results[f'{side}_keypoints'].astype(np.float32))
        return dict(inputs=inputs, data_samples=BaseDataElement(
            metainfo=meta))
