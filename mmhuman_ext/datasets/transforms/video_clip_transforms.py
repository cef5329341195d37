"""Pipeline steps of the MaskINT clip datasets.

``SampleClipIndices -> LoadVideoFrames -> ResizeVideo -> PackMaskINTInputs``
for raw videos, ``SampleClipIndices -> LoadTokenClip -> PackMaskINTInputs``
for the token cache.
"""
import os.path as osp
import zipfile
import zlib
from typing import Optional, Tuple

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmhuman_ext.registry import TRANSFORMS
from mmhuman_ext.utils.video import list_image_files, read_video_frames_at


def _video_name(results: dict) -> str:
    return results.get('frame_dir') or results.get('video_path') or \
        results.get('token_path') or str(results.get('video_id'))


@TRANSFORMS.register_module()
class SampleClipIndices(BaseTransform):
    """Choose the clip's frame indices ``frame_inds (N,)``.

    Training: an interval ``s`` uniformly from ``frame_intervals``, falling
    back to the largest smaller one the video allows, and a start ``t0``
    uniformly with ``t0 + (N-1) s <= L-1``. Test mode (``clip_index`` in the
    results): interval ``test_interval`` (default: the smallest), clip
    ``c`` of ``num_clips`` starting at ``round(c (L-1-(N-1)s) /
    max(num_clips-1, 1))``.

    Training clips play backwards with probability ``reverse_prob``
    (default 0): interpolating between two keyframes is symmetric in time,
    so a reversed clip is a valid new training clip. Unlike flips, this
    works on the token cache too (tokens are per frame). Not in the paper
    (no augmentation is stated); the CPU demo uses it to double its small
    corpus.

    Reads ``num_frames``, ``clip_len``, ``frame_intervals``; adds
    ``frame_inds``, ``frame_interval``.
    """

    def __init__(self, test_interval: Optional[int] = None,
                 reverse_prob: float = 0.0):
        if not 0.0 <= reverse_prob <= 1.0:
            raise ValueError(f'reverse_prob must be in [0, 1], got '
                             f'{reverse_prob}')
        self.test_interval = test_interval
        self.reverse_prob = reverse_prob

    def transform(self, results: dict) -> dict:
        L, N = results['num_frames'], results['clip_len']
        intervals = sorted(results['frame_intervals'])
        fits = [s for s in intervals if (N - 1) * s <= L - 1]
        if not fits:
            raise ValueError(f'{_video_name(results)}: {L} frames are fewer '
                             f'than one clip of {N} frames at interval '
                             f'{intervals[0]}')
        if 'clip_index' in results:
            s = self.test_interval or fits[0]
            if (N - 1) * s > L - 1:
                raise ValueError(f'{_video_name(results)}: {L} frames are '
                                 f'fewer than one clip of {N} frames at '
                                 f'test interval {s}')
            free = L - 1 - (N - 1) * s
            start = round(results['clip_index'] * free /
                          max(results['num_clips'] - 1, 1))
        else:
            wanted = intervals[np.random.randint(len(intervals))]
            s = max(x for x in fits if x <= wanted) if any(
                x <= wanted for x in fits) else fits[0]
            start = np.random.randint(L - (N - 1) * s)
        results['frame_inds'] = start + s * np.arange(N)
        if self.reverse_prob and 'clip_index' not in results and \
                np.random.rand() < self.reverse_prob:
            results['frame_inds'] = results['frame_inds'][::-1].copy()
        results['frame_interval'] = s
        return results


def _read_image(path: str, flag: int) -> np.ndarray:
    img = cv2.imread(path, flag)
    if img is None:
        raise OSError(f'cannot read image {path}')
    return img


def _listing(folder: str, needed: int) -> list:
    if not osp.isdir(folder):
        raise FileNotFoundError(f'frame folder {folder} does not exist')
    names = list_image_files(folder)
    if len(names) < needed:
        raise ValueError(f'{folder} holds {len(names)} images but the clip '
                         f'needs frame index {needed - 1}')
    return names


@TRANSFORMS.register_module()
class LoadVideoFrames(BaseTransform):
    """Load ``frames (N, H, W, 3)`` uint8 RGB at ``frame_inds`` from
    ``frame_dir`` (images sorted by name) or ``video_path`` (PyAV), and,
    with ``with_structure`` and a ``structure_dir``, ``structure_maps (N, H,
    W, 1)`` uint8."""

    def __init__(self, with_structure: bool = True):
        self.with_structure = with_structure

    def transform(self, results: dict) -> dict:
        inds = results['frame_inds']
        needed = int(max(inds)) + 1
        if 'frame_dir' in results:
            names = _listing(results['frame_dir'], needed)
            results['frames'] = np.stack([
                _read_image(osp.join(results['frame_dir'], names[i]),
                            cv2.IMREAD_COLOR)[..., ::-1] for i in inds
            ])
        else:
            results['frames'] = np.stack(
                read_video_frames_at(results['video_path'], inds))
        if self.with_structure and results.get('structure_dir'):
            names = _listing(results['structure_dir'], needed)
            maps = np.stack([
                _read_image(osp.join(results['structure_dir'], names[i]),
                            cv2.IMREAD_GRAYSCALE) for i in inds
            ])[..., None]
            if maps.shape[1:3] != results['frames'].shape[1:3]:
                raise ValueError(
                    f'{results["structure_dir"]}: structure maps are '
                    f'{maps.shape[1:3]}, frames are '
                    f'{results["frames"].shape[1:3]}')
            results['structure_maps'] = maps
        return results


@TRANSFORMS.register_module()
class ResizeVideo(BaseTransform):
    """Resize ``frames`` (and ``structure_maps``) to ``scale = (H, W)``.

    ``keep_ratio=False`` (default): direct bilinear resize; ``True``: scale
    the short side to fit, then center-crop."""

    def __init__(self, scale: Tuple[int, int], keep_ratio: bool = False):
        self.scale = tuple(scale)
        self.keep_ratio = keep_ratio

    def _resize(self, clip: np.ndarray) -> np.ndarray:
        H, W = self.scale
        h, w = clip.shape[1:3]
        if self.keep_ratio:
            r = max(H / h, W / w)
            size = (max(W, round(w * r)), max(H, round(h * r)))
        else:
            size = (W, H)
        out = np.stack([
            cv2.resize(f, size, interpolation=cv2.INTER_LINEAR)
            for f in clip
        ])
        if out.ndim == 3:
            out = out[..., None]
        top, left = (out.shape[1] - H) // 2, (out.shape[2] - W) // 2
        return out[:, top:top + H, left:left + W]

    def transform(self, results: dict) -> dict:
        for key in ('frames', 'structure_maps'):
            if key in results and results[key].shape[1:3] != self.scale:
                results[key] = self._resize(results[key])
        return results


def read_token_field(data, path: str, key: str) -> np.ndarray:
    """Array ``key`` of an open token ``.npz``; an unreadable member
    (truncated file, object array) names the file and the field."""
    try:
        return data[key]
    except (ValueError, OSError, EOFError, zipfile.BadZipFile,
            zlib.error) as exc:
        raise ValueError(
            f'{path}: field {key!r} cannot be read ({exc}); expected uint16 '
            '(L, h, w) token ids (color, structure) and the codebook '
            'identity; write the file again with maskint_precompute_tokens.py'
            ' --overwrite') from None


def open_token_file(path: str):
    """``np.load`` of a token ``.npz`` (no pickles); a file that is not an
    npz archive (truncated, or another format) names the file."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'token file {path} does not exist; write the cache with '
            'tools/dataset_converters/maskint_precompute_tokens.py')
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(
            f'{path}: not a readable token .npz ({exc}); it may be '
            'truncated; write it again with maskint_precompute_tokens.py '
            '--overwrite') from None


def read_token_codebook(path: str) -> Optional[str]:
    """The codebook identity recorded in a token file (None: none)."""
    with open_token_file(path) as data:
        if 'codebook' not in data.files:
            return None
        return str(read_token_field(data, path, 'codebook')[()])


@TRANSFORMS.register_module()
class LoadTokenClip(BaseTransform):
    """Load ``color_tokens`` / ``structure_tokens`` ``(N, h, w)`` int64 at
    ``frame_inds`` from the ``.npz`` at ``token_path`` (arrays ``color`` and
    ``structure``, ``(L, h, w)``; read with ``allow_pickle=False``) and
    ``codebook``, the identity of the codebook that made them (``''`` when
    the file records none; the model's data preprocessor compares it with
    its tokenizer). Ids at or above the recorded codebook size are an
    error naming the file."""

    KEYS = ('color', 'structure')

    def transform(self, results: dict) -> dict:
        from mmhuman_ext.models.editors.maskint.codebook import \
            codebook_size_of
        path = results['token_path']
        inds = results['frame_inds']
        with open_token_file(path) as data:
            codebook = str(read_token_field(data, path, 'codebook')[()]) \
                if 'codebook' in data.files else ''
            for key in self.KEYS:
                if key not in data.files:
                    raise KeyError(f'{path} has no "{key}" array (expected '
                                   f'{self.KEYS}, uint16 (L, h, w))')
                tokens = read_token_field(data, path, key)
                if tokens.ndim != 3 or tokens.shape[0] <= max(inds):
                    raise ValueError(
                        f'{path}: "{key}" has shape {tokens.shape}; expected '
                        f'(L, h, w) with L > {int(max(inds))}')
                tokens = tokens[inds].astype(np.int64)
                if codebook and tokens.size and tokens.max(
                ) >= codebook_size_of(codebook):
                    raise ValueError(
                        f'{path}: "{key}" holds token id {tokens.max()}; '
                        f'expected ids below the {codebook_size_of(codebook)}'
                        ' codes of the codebook the file records')
                results[f'{key}_tokens'] = tokens
        results['codebook'] = codebook
        return results


@TRANSFORMS.register_module()
class PackMaskINTInputs(BaseTransform):
    """Pack into ``{'inputs': {...}, 'data_samples': {...}}`` for
    ``default_collate``.

    ``inputs``: ``frames (N, 3, H, W)`` uint8, ``structure_maps (N, 1, H,
    W)`` uint8, ``color_tokens`` / ``structure_tokens (N, h, w)`` int64,
    whichever are present. ``data_samples``: ``video_id``, ``frame_inds``,
    ``frame_interval`` (and ``codebook`` from :class:`LoadTokenClip`).
    Frame sizes must be multiples of ``size_divisor`` (the VQ's 8x
    downsampling)."""

    def __init__(self, size_divisor: int = 8):
        self.size_divisor = size_divisor

    def transform(self, results: dict) -> dict:
        inputs = {}
        if 'frames' in results:
            H, W = results['frames'].shape[1:3]
            d = self.size_divisor
            if H % d or W % d:
                raise ValueError(
                    f'{_video_name(results)}: frames are {H}x{W}, not '
                    f'divisible by {d} (the VQ downsampling); add '
                    f'ResizeVideo(scale=(H, W)) with multiples of {d}')
        for key in ('frames', 'structure_maps'):
            if key in results:
                inputs[key] = torch.from_numpy(np.ascontiguousarray(
                    results[key].transpose(0, 3, 1, 2)))
        for key in ('color_tokens', 'structure_tokens'):
            if key in results:
                inputs[key] = torch.from_numpy(results[key])
        samples = dict(video_id=results['video_id'],
                       frame_inds=torch.as_tensor(results['frame_inds']),
                       frame_interval=results['frame_interval'])
        if 'codebook' in results:
            samples['codebook'] = results['codebook']
        return dict(inputs=inputs, data_samples=samples)
