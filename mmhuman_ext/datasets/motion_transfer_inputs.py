"""Reading the per-frame annotation files of a motion-transfer video:
DensePose IUV maps (PNG in either channel order, or npz), matting masks and
OpenPose-18 keypoint JSON. The frames themselves are read by
:class:`mmhuman_ext.utils.video.FrameSource`; DensePose's raw chart
predictions become IUV maps in :mod:`mmhuman_ext.datasets.densepose_charts`.

Every reader raises one error that names the file, the field and what was
expected; nothing is unpickled (``np.load(allow_pickle=False)``).
"""
import json
import os
import os.path as osp
from typing import List, Optional

import cv2
import numpy as np

from mmhuman_ext.utils.atomic_io import atomic_write_image
from mmhuman_ext.utils.video import read_image_file

NUM_PARTS = 24  # DensePose body parts; 0 is the background
NUM_OPENPOSE_JOINTS = 18

# How the three channels of an IUV PNG lie in the file.
#   IUV_cv2: the array [I, U*255, V*255] was written with cv2.imwrite (the
#            common DensePose dump), so cv2.imread gives I, U, V in channels
#            0, 1, 2 while PIL / RGB readers give them reversed (V, U, I);
#   IUV_rgb: the file's R, G, B channels hold I, U, V (written by PIL,
#            imageio or any RGB writer from the array [I, U, V]).
IUV_CHANNEL_ORDERS = ('IUV_cv2', 'IUV_rgb')
IUV_EXTENSIONS = ('.png', '.npz')


def list_iuv_files(folder: str) -> List[str]:
    """Paths of the IUV files (:data:`IUV_EXTENSIONS`) in ``folder``,
    sorted."""
    return sorted(osp.join(folder, f) for f in os.listdir(folder)
                  if f.lower().endswith(IUV_EXTENSIONS))


def find_iuv_file(iuv_dir: str, stem: str) -> Optional[str]:
    """``<iuv_dir>/<stem>.png`` or ``.npz``, whichever exists."""
    for ext in IUV_EXTENSIONS:
        path = osp.join(iuv_dir, stem + ext)
        if osp.isfile(path):
            return path
    return None


def read_iuv(path: str, channel_order: str = 'IUV_cv2') -> np.ndarray:
    """A DensePose IUV map as float32 ``(H, W, 3)``: part id ``I`` in
    0..24 (stored as float), ``U`` and ``V`` in [0, 1].

    Args:
        path (str): a 3-channel 8-bit PNG ``[I, U*255, V*255]`` (see
            :data:`IUV_CHANNEL_ORDERS`), or an npz with arrays ``I``, ``U``,
            ``V`` of shape ``(H, W)`` (``U``, ``V`` float in [0, 1] or
            integers 0..255).
        channel_order (str): ``'IUV_cv2'`` or ``'IUV_rgb'`` (PNG only).
    """
    if channel_order not in IUV_CHANNEL_ORDERS:
        raise ValueError(f'channel_order must be one of {IUV_CHANNEL_ORDERS},'
                         f' got {channel_order!r}')
    if path.endswith('.npz'):
        if not osp.isfile(path):
            raise FileNotFoundError(f'DensePose IUV file {path} not found')
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in 'IUV' if k not in z]
            if missing:
                raise KeyError(f'{path}: missing array(s) {missing}; '
                               'expected I, U, V of shape (H, W)')
            i, u, v = (np.asarray(z[k]) for k in 'IUV')
        if not i.shape == u.shape == v.shape or i.ndim != 2:
            raise ValueError(f'{path}: I, U, V must share one (H, W) shape, '
                             f'got {i.shape}, {u.shape}, {v.shape}')
        for name, a in zip('IUV', (i, u, v)):
            bad = ~np.isfinite(a) if a.dtype.kind == 'f' else None
            if bad is not None and bad.any():
                raise ValueError(
                    f'{path}: field {name} holds NaN/inf at {bad.sum()} of '
                    f'{bad.size} pixels (first at row, column '
                    f'{np.argwhere(bad)[0].tolist()}); expected finite '
                    'numbers')
        uv = []
        for name, a in (('U', u), ('V', v)):
            if np.issubdtype(a.dtype, np.integer):
                a = a.astype(np.float32) / 255
            a = a.astype(np.float32)
            if a.size and (a.min() < 0 or a.max() > 1):
                raise ValueError(f'{path}: field {name} must lie in [0, 1] '
                                 f'(or 0..255 as integers), found '
                                 f'[{a.min():.3g}, {a.max():.3g}]')
            uv.append(a)
        iuv = np.stack([i.astype(np.float32)] + uv, -1)
    else:
        raw = read_image_file(path, cv2.IMREAD_UNCHANGED, 'DensePose IUV')
        if raw.ndim != 3 or raw.shape[2] != 3 or raw.dtype != np.uint8:
            raise ValueError(f'{path}: an IUV PNG must be 3-channel 8-bit '
                             f'[I, U*255, V*255], got shape {raw.shape} '
                             f'{raw.dtype}')
        if channel_order == 'IUV_rgb':
            raw = raw[..., ::-1]  # cv2 reads B, G, R = V, U, I
        iuv = raw.astype(np.float32)
        iuv[..., 1:] /= 255
    labels = iuv[..., 0]
    if labels.size and (labels.max() > NUM_PARTS or labels.min() < 0 or
                        (labels != np.round(labels)).any()):
        raise ValueError(
            f'{path}: field I holds part labels in [{labels.min():g}, '
            f'{labels.max():g}]; expected integers 0 (background) .. '
            f'{NUM_PARTS}. Is channel_order={channel_order!r} right for this '
            'file (IUV_cv2: written by cv2 from [I, U, V]; IUV_rgb: R, G, B '
            '= I, U, V)?')
    return iuv


def write_iuv_png(path: str, iuv: np.ndarray) -> None:
    """Write ``(H, W, 3)`` I (0..24), U, V (in [0, 1]) as the common
    DensePose dump does: the array ``[I, U*255, V*255]`` through cv2
    (channel order ``'IUV_cv2'``), atomically."""
    arr = np.stack([iuv[..., 0], np.round(iuv[..., 1] * 255),
                    np.round(iuv[..., 2] * 255)], -1)
    atomic_write_image(path, np.clip(arr, 0, 255).astype(np.uint8))


def read_mask(path: str) -> np.ndarray:
    """An 8- or 16-bit alpha PNG as float32 ``(H, W)`` in [0, 1] (grey, or
    the alpha channel of RGBA, or the first channel of RGB)."""
    img = read_image_file(path, cv2.IMREAD_UNCHANGED, 'mask')
    if img.ndim == 3:
        img = img[..., 3] if img.shape[2] == 4 else img[..., 0]
    scale = 65535. if img.dtype == np.uint16 else 255.
    return img.astype(np.float32) / scale


def read_openpose_json(path: str) -> np.ndarray:
    """OpenPose-18 keypoints ``(18, 3)`` (x, y, confidence) of
    ``people[0].pose_keypoints_2d``; joints OpenPose did not find (confidence
    0) and frames without people give ``-1`` rows."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'keypoint file {path} not found')
    with open(path) as f:
        data = json.load(f)
    people = data.get('people') if isinstance(data, dict) else None
    if people is None:
        raise KeyError(f'{path}: no "people" list (expected OpenPose JSON)')
    out = -np.ones((NUM_OPENPOSE_JOINTS, 3), np.float32)
    if not people:
        return out
    flat = people[0].get('pose_keypoints_2d')
    if flat is None or len(flat) != 3 * NUM_OPENPOSE_JOINTS:
        raise ValueError(
            f'{path}: people[0].pose_keypoints_2d must hold '
            f'{3 * NUM_OPENPOSE_JOINTS} numbers (OpenPose COCO-18 model), got '
            f'{None if flat is None else len(flat)}')
    kps = np.asarray(flat, np.float32).reshape(NUM_OPENPOSE_JOINTS, 3)
    found = kps[:, 2] > 0
    out[found] = kps[found]
    return out
