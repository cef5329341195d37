"""Reading the files of a motion-transfer video: frames (PNG folder, video
file through PyAV, FOMM's stacked PNG), DensePose IUV maps (PNG in either
channel order, or npz), matting masks and OpenPose-18 keypoint JSON.

Every reader raises one error that names the file, the field and what was
expected; nothing is unpickled (``np.load(allow_pickle=False)``).
"""
import json
import os
import os.path as osp
from typing import Iterator, List, Optional, Sequence

import cv2
import numpy as np

from mmhuman_ext.utils.video import (count_video_frames, read_video_frames,
                                     read_video_frames_at)

IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.bmp')
VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.gif')
NUM_PARTS = 24  # DensePose body parts; 0 is the background
NUM_OPENPOSE_JOINTS = 18

# How the three channels of an IUV PNG lie in the file.
#   IUV_cv2: the array [I, U*255, V*255] was written with cv2.imwrite (the
#            common DensePose dump), so cv2.imread gives I, U, V in channels
#            0, 1, 2 while PIL / RGB readers give them reversed (V, U, I);
#   IUV_rgb: the file's R, G, B channels hold I, U, V (written by PIL,
#            imageio or any RGB writer from the array [I, U, V]).
IUV_CHANNEL_ORDERS = ('IUV_cv2', 'IUV_rgb')


def frame_stems(num_frames: int) -> List[str]:
    """File stems ``%06d`` of the per-frame annotation files."""
    return [f'{i:06d}' for i in range(num_frames)]


class FrameSource:
    """The frames of one video.

    Args:
        path (str): a folder of images (sorted by name), a video file read
            with PyAV, or a stacked PNG (FOMM: frames side by side).
        kind (str): ``'folder'``, ``'video'`` or ``'stacked'``; guessed from
            ``path`` when None.
        frame_width (int, optional): width of one frame of a stacked PNG;
            default its height (square frames).
    """

    def __init__(self, path: str, kind: Optional[str] = None,
                 frame_width: Optional[int] = None):
        if kind is None:
            if osp.isdir(path):
                kind = 'folder'
            elif path.lower().endswith(VIDEO_EXTS):
                kind = 'video'
            elif path.lower().endswith(IMAGE_EXTS):
                kind = 'stacked'
            else:
                raise ValueError(f'{path}: not a frame folder, a video file '
                                 f'({", ".join(VIDEO_EXTS)}) or a stacked '
                                 'PNG')
        self.path, self.kind, self.frame_width = path, kind, frame_width
        self._files = None
        self._count = None

    @property
    def files(self) -> List[str]:
        if self._files is None:
            self._files = sorted(
                f for f in os.listdir(self.path)
                if f.lower().endswith(IMAGE_EXTS))
        return self._files

    def __len__(self) -> int:
        if self._count is None:
            if self.kind == 'folder':
                self._count = len(self.files)
            elif self.kind == 'stacked':
                h, w = self._stacked_shape()
                self._count = w // (self.frame_width or h)
            else:
                self._count = count_video_frames(self.path)
        return self._count

    def stems(self) -> List[str]:
        """Stems of the per-frame annotation files: the frame file names of
        a folder, ``%06d`` otherwise."""
        if self.kind == 'folder':
            return [osp.splitext(f)[0] for f in self.files]
        return frame_stems(len(self))

    def __iter__(self) -> Iterator[np.ndarray]:
        """All frames in order (a video file is decoded once)."""
        if self.kind == 'folder':
            for i in range(len(self)):
                yield self.read([i])[0]
            return
        if self.kind == 'stacked':  # one read of the whole strip
            yield from self.read(range(len(self)))
            return
        yield from read_video_frames(self.path, channel_order='rgb')

    def _stacked_shape(self):
        img = _imread(self.path, cv2.IMREAD_UNCHANGED, 'stacked frames')
        return img.shape[:2]

    def read(self, indices: Sequence[int]) -> List[np.ndarray]:
        """RGB uint8 frames ``(H, W, 3)`` at ``indices``."""
        n = len(self)
        for i in indices:
            if not 0 <= i < n:
                raise IndexError(f'{self.path}: frame {i} requested, the '
                                 f'video has {n} frames')
        if self.kind == 'folder':
            return [_read_rgb(osp.join(self.path, self.files[i]))
                    for i in indices]
        if self.kind == 'stacked':
            img = _read_rgb(self.path)
            w = self.frame_width or img.shape[0]
            return [np.ascontiguousarray(img[:, i * w:(i + 1) * w])
                    for i in indices]
        return read_video_frames_at(self.path, indices)


def _imread(path: str, flags: int, what: str) -> np.ndarray:
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} file {path} not found')
    img = cv2.imread(path, flags)
    if img is None:
        raise ValueError(f'{path}: cannot decode the {what} image')
    return img


def _read_rgb(path: str) -> np.ndarray:
    img = _imread(path, cv2.IMREAD_COLOR, 'frame')
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def find_iuv_file(iuv_dir: str, stem: str) -> Optional[str]:
    """``<iuv_dir>/<stem>.png`` or ``.npz``, whichever exists."""
    for ext in ('.png', '.npz'):
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
        raw = _imread(path, cv2.IMREAD_UNCHANGED, 'DensePose IUV')
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
    from mmhuman_ext.utils import atomic_write_image
    arr = np.stack([iuv[..., 0], np.round(iuv[..., 1] * 255),
                    np.round(iuv[..., 2] * 255)], -1)
    atomic_write_image(path, np.clip(arr, 0, 255).astype(np.uint8))


def read_mask(path: str) -> np.ndarray:
    """An 8- or 16-bit alpha PNG as float32 ``(H, W)`` in [0, 1] (grey, or
    the alpha channel of RGBA, or the first channel of RGB)."""
    img = _imread(path, cv2.IMREAD_UNCHANGED, 'mask')
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
