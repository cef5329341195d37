"""Base class: centred, strided windows over 2D/3D pose videos.

Subclasses load whole videos (:meth:`PoseWindowDataset._load_videos`); this
class indexes every centre frame of every video and builds each window on
access, so no per-sample list is materialised (Human3.6M has ~1.5 M
training windows).
"""
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import mmpose
import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmpose.datasets.datasets.utils import parse_pose_metainfo


def mmpose_metainfo(name: str) -> dict:
    """``dict(from_file=...)`` of mmpose's ``configs/_base_/datasets/{name}``
    inside the installed mmpose package (not resolved against the working
    directory, where another file of that name may exist)."""
    return dict(
        from_file=osp.join(
            osp.dirname(mmpose.__file__), '.mim', 'configs', '_base_',
            'datasets', name))


class PoseWindowDataset(BaseDataset):
    """Windows ``clip(t + s k, 0, T - 1)``, ``k = -(N-1)/2 .. (N-1)/2``.

    A loaded video is a dict with ``subject``, ``action``, ``camera_id``
    (str), ``keypoints`` (T, J, 2) pixels, ``keypoints_3d`` (T, J, 3)
    camera frame, ``camera_param`` (dict with at least ``w``, ``h``) and
    optionally ``valid`` (T,) bool: only valid frames become samples (their
    windows still use the invalid neighbours).

    Each sample holds ``keypoints`` (N, J, 2), ``keypoints_visible`` (N, J),
    ``keypoints_3d`` (N, J, 3), ``lifting_target`` (1, J, 3),
    ``lifting_target_visible`` (1, J), ``camera_param``,
    ``target_img_path`` ``['<subject>_<action>.<camera>_<frame+1:06d>.jpg']``
    (the name mmpose's metrics parse; spaces in the action become ``_``),
    ``flip``, ``id``, ``subject``, ``action``, ``camera_id``, ``frame`` and
    the metainfo's ``flip_indices``.

    Windows reaching past a video end are padded by repeating the
    first/last frame (as the official P-STMO code does); the log reports how
    many videos are shorter than the whole receptive field.

    Args:
        seq_len (int): N, odd.
        seq_step (int): Temporal downsampling rate s.
        sample_stride (int): Use every ``sample_stride``-th centre frame
            (1 = every frame, the benchmark protocol).
        flip_mode (str): ``'double'`` lists every window twice, the second
            time with ``flip=True`` (official training); ``'none'``. Random
            flips: ``FlipPoseSequence(mode='random')`` in the pipeline.
        metainfo, pipeline, test_mode, lazy_init, max_refetch: As
            :class:`mmengine.dataset.BaseDataset`.
        indices (int or Sequence[int], optional): As
            :class:`mmengine.dataset.BaseDataset`: keep only these windows
            (an int: the first ``n``, or the last ``-n``), before flipping.
    """

    METAINFO: dict = dict()

    def __init__(self,
                 seq_len: int,
                 seq_step: int = 1,
                 sample_stride: int = 1,
                 flip_mode: str = 'none',
                 data_root: str = '',
                 metainfo: Optional[dict] = None,
                 pipeline: List[Union[dict, Callable]] = [],
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 max_refetch: int = 1000,
                 indices: Optional[Union[int, Sequence[int]]] = None):
        if seq_len % 2 != 1:
            raise ValueError(f'seq_len must be odd, got {seq_len}')
        if flip_mode not in ('none', 'double'):
            raise ValueError(
                f"flip_mode must be 'none' or 'double', got {flip_mode!r}")
        self.seq_len = seq_len
        self.seq_step = seq_step
        self.sample_stride = sample_stride
        self.flip_mode = flip_mode
        self._offsets = seq_step * np.arange(-(seq_len // 2), seq_len // 2 + 1)
        super().__init__(
            data_root=data_root,
            metainfo=metainfo,
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init,
            serialize_data=False,
            max_refetch=max_refetch,
            indices=indices)

    @classmethod
    def _load_metainfo(cls, metainfo: dict = None) -> dict:
        """mmpose's parsed metainfo (skeleton, flip pairs, colours)."""
        if metainfo is None:
            metainfo = dict(cls.METAINFO)
        metainfo = parse_pose_metainfo(metainfo)
        return metainfo

    @property
    def receptive_field(self) -> int:
        """Raw frames spanned by one window, ``(N - 1) s + 1``."""
        return (self.seq_len - 1) * self.seq_step + 1

    def _load_videos(self) -> List[dict]:
        raise NotImplementedError

    def full_init(self):
        """Load the videos and index their (valid) centre frames."""
        if self._fully_initialized:
            return
        self.videos = self._load_videos()
        video_idx, frame_idx = [], []
        for v, video in enumerate(self.videos):
            frames = np.arange(len(video['keypoints']))
            if 'valid' in video:
                frames = frames[np.asarray(video['valid'], dtype=bool)]
            frames = frames[::self.sample_stride]
            video_idx.append(np.full(len(frames), v))
            frame_idx.append(frames)
        self._video_idx = np.concatenate(video_idx)
        self._frame_idx = np.concatenate(frame_idx)
        if self._indices is not None:
            keep = np.arange(len(self._frame_idx))
            if isinstance(self._indices, int):
                keep = keep[:self._indices] if self._indices >= 0 else \
                    keep[self._indices:]
            else:
                keep = keep[list(self._indices)]
            self._video_idx = self._video_idx[keep]
            self._frame_idx = self._frame_idx[keep]
        short = sum(
            len(v['keypoints']) < self.receptive_field for v in self.videos)
        print_log(
            f'{type(self).__name__}: {len(self.videos)} videos, '
            f'{len(self._frame_idx)} windows of {self.seq_len} frames (step '
            f'{self.seq_step}, receptive field {self.receptive_field}), '
            f'flip_mode={self.flip_mode!r}. {short} videos are shorter than '
            'the receptive field; windows reaching past a video end are '
            'padded by repeating its first/last frame, as the official '
            'P-STMO code does.',
            logger='current')
        self._fully_initialized = True

    def __len__(self) -> int:
        if not self._fully_initialized:
            self.full_init()
        return len(self._frame_idx) * (2 if self.flip_mode == 'double' else 1)

    def centre_poses(self) -> np.ndarray:
        """3D poses of the centre frames of all (unflipped) windows,
        (M, J, 3), in dataset order, gathered without building windows."""
        if not self._fully_initialized:
            self.full_init()
        out = np.empty((len(self._frame_idx), ) +
                       self.videos[0]['keypoints_3d'].shape[1:], np.float32)
        for v, video in enumerate(self.videos):
            sel = self._video_idx == v
            out[sel] = video['keypoints_3d'][self._frame_idx[sel]]
        return out

    def window_frames(self, t: int, num_frames: int) -> np.ndarray:
        """Frame indices of the window centred on ``t`` in a video of
        ``num_frames`` frames, shape (N,)."""
        return np.clip(t + self._offsets, 0, num_frames - 1)

    def get_data_info(self, idx: int) -> dict:
        flip, base = divmod(int(idx), len(self._frame_idx))
        video = self.videos[self._video_idx[base]]
        t = int(self._frame_idx[base])
        frames = self.window_frames(t, len(video['keypoints']))
        kpts_3d = video['keypoints_3d'][frames]
        action = video['action'].replace(' ', '_')
        return dict(
            id=int(idx),
            keypoints=video['keypoints'][frames],
            keypoints_visible=np.ones(kpts_3d.shape[:2], dtype=np.float32),
            keypoints_3d=kpts_3d,
            lifting_target=video['keypoints_3d'][t:t + 1].copy(),
            lifting_target_visible=np.ones((1, kpts_3d.shape[1]),
                                           dtype=np.float32),
            camera_param=dict(video['camera_param']),
            target_img_path=[
                f"{video['subject']}_{action}.{video['camera_id']}_"
                f'{t + 1:06d}.jpg'
            ],
            flip=bool(flip),
            subject=video['subject'],
            action=video['action'],
            camera_id=video['camera_id'],
            frame=t,
            flip_indices=list(self._metainfo['flip_indices']))
