"""Videos with per-frame DensePose for one-shot human motion transfer
(TED-Talks, TaiChiHD, iPER; the built-in puppets write the same layout).

On-disk layout (``data_root``)::

    <split>/<video>/frames/%06d.png    frames (any sorted image names), or
    <split>/<video>/<video>.mp4        a video file read with PyAV, or
    <split>/<video>.mp4                FOMM / MRAA's layout, or
    <split>/<video>.png                FOMM's stacked PNG (frames side by side)
    <split>/<video>/iuv/<stem>.png     DensePose [I, U*255, V*255] (or .npz
                                       with I, U, V); required for every frame
    <split>/<video>/mask/<stem>.png    matting alpha (optional)
    <split>/<video>/kps/<stem>.json    OpenPose-18 JSON (optional)
    animation_pairs_<split>.csv        columns source,driving (+ any others)

``<stem>`` is the frame's file name in a frame folder and ``%06d`` of the
frame index otherwise. A video is a sub-folder of ``<split>`` with an ``iuv``
folder. Modes:

* ``train_pair``: one item per video (per identity with ``id_sampling``, the
  part of the name before ``#`` as in FOMM); each fetch draws a video of the
  identity and two distinct frames uniformly, source and driving;
* ``reconstruction``: frame 0 of every video is the source and every other
  frame of that video drives it (one item per driving frame);
* ``animation``: for every row of the pairs CSV, frame 0 of the source video
  is the source and every frame of the driving video drives it.

Items carry ``video_id`` (the driving video), ``source_video_id``,
``src_idx``, ``drv_idx``, ``mode`` and the paths the pipeline reads
(:mod:`mmhuman_ext.datasets.transforms.motion_transfer_transforms`).
"""
import csv
import logging
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmhuman_ext.registry import DATASETS
from mmhuman_ext.utils.video import (VIDEO_EXTENSIONS, FrameSource,
                                     is_video_file)
from .layout import DataLayout, register_layout
from .motion_transfer_inputs import (IUV_CHANNEL_ORDERS, find_iuv_file,
                                     read_mask)

MODES = ('train_pair', 'reconstruction', 'animation')


def _strip_ext(name: str) -> str:
    """FOMM's pairs lists name videos with their file extension."""
    root, ext = osp.splitext(name)
    return root if is_video_file(name) or ext.lower() == '.png' else name


@DATASETS.register_module()
class DensePoseVideoPairDataset(BaseDataset):
    """Args:
        data_root (str): dataset folder (module docstring).
        split (str): sub-folder, e.g. ``'train'`` or ``'test'``.
        mode (str): ``'train_pair'``, ``'reconstruction'`` or
            ``'animation'``.
        pairs_csv (str, optional): pairs list of the animation mode; default
            ``<data_root>/animation_pairs_<split>.csv``.
        id_sampling (bool): train_pair: sample an identity first.
        iuv_channel_order (str): how IUV PNGs store their channels,
            ``'IUV_cv2'`` (default) or ``'IUV_rgb'``
            (:data:`~mmhuman_ext.datasets.motion_transfer_inputs.IUV_CHANNEL_ORDERS`).
        stacked_frame_width (int, optional): frame width of stacked PNGs
            (default their height).
        max_test_frames (int, optional): keep at most this many driving
            frames per test video (evenly spaced); None keeps all.
        pipeline (list): e.g. ``[LoadFramePair, LoadDensePoseIUV,
            LoadHumanMask, PairedResize, PackMotionTransferInputs]``.
    """

    def __init__(self, data_root: str, split: str = 'train',
                 mode: str = 'train_pair', pairs_csv: Optional[str] = None,
                 id_sampling: bool = False,
                 iuv_channel_order: str = 'IUV_cv2',
                 stacked_frame_width: Optional[int] = None,
                 max_test_frames: Optional[int] = None, **kwargs):
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
        if iuv_channel_order not in IUV_CHANNEL_ORDERS:
            raise ValueError(f'iuv_channel_order must be one of '
                             f'{IUV_CHANNEL_ORDERS}, got '
                             f'{iuv_channel_order!r}')
        self.split, self.mode = split, mode
        self.pairs_csv = pairs_csv
        self.id_sampling = id_sampling
        self.iuv_channel_order = iuv_channel_order
        self.stacked_frame_width = stacked_frame_width
        self.max_test_frames = max_test_frames
        self.videos: Dict[str, dict] = OrderedDict()
        super().__init__(data_root=data_root, **kwargs)

    # ------------------------------------------------------------ videos
    def _frame_source(self, split_dir: str, name: str) -> FrameSource:
        vdir = osp.join(split_dir, name)
        candidates = [osp.join(vdir, 'frames')]
        candidates += [osp.join(folder, name + ext)
                       for folder in (vdir, split_dir)
                       for ext in VIDEO_EXTENSIONS]
        for path in candidates:
            if osp.exists(path):
                return FrameSource(path)
        stacked = osp.join(split_dir, name + '.png')
        if osp.isfile(stacked):
            return FrameSource(stacked, 'stacked', self.stacked_frame_width)
        raise FileNotFoundError(
            f'video {name!r} in {split_dir} has no frames: expected '
            f'{vdir}/frames/, {vdir}/{name}.mp4, {split_dir}/{name}.mp4 or '
            f'the stacked {stacked} (see docs/motion_transfer.md#data)')

    def _scan_videos(self) -> None:
        split_dir = osp.join(self.data_root, self.split)
        if not osp.isdir(split_dir):
            raise FileNotFoundError(
                f'{split_dir} not found: expected <data_root>/<split>/<video>/'
                '{frames,iuv,mask,kps} (see docs/motion_transfer.md#data)')
        names = sorted(d for d in os.listdir(split_dir)
                       if osp.isdir(osp.join(split_dir, d, 'iuv')))
        if not names:
            raise FileNotFoundError(
                f'{split_dir} holds no video folder with an iuv/ sub-folder '
                '(DensePose maps are required; see docs/motion_transfer.md'
                '#data)')
        for name in names:
            source = self._frame_source(split_dir, name)
            stems = source.stems()
            vdir = osp.join(split_dir, name)
            iuv_dir = osp.join(vdir, 'iuv')
            for t, stem in enumerate(stems):
                if find_iuv_file(iuv_dir, stem) is None:
                    raise FileNotFoundError(
                        f'video {name!r} ({source.path}) has no DensePose '
                        f'file for frame {t}: expected {iuv_dir}/{stem}.png '
                        f'or .npz')
            if not stems:
                raise ValueError(f'video {name!r} ({source.path}) has no '
                                 'frames')
            self.videos[name] = dict(dir=vdir, source=source, stems=stems)

    def _read_pairs(self) -> List[tuple]:
        path = self.pairs_csv or osp.join(
            self.data_root, f'animation_pairs_{self.split}.csv')
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'pairs list {path} not found: expected a CSV with columns '
                'source,driving naming videos of split '
                f'{self.split!r}')
        with open(path, newline='') as f:
            rows = list(csv.DictReader(f))
        pairs = []
        for line, row in enumerate(rows, start=2):
            if 'source' not in row or 'driving' not in row:
                raise KeyError(f'{path}: needs the columns source,driving; '
                               f'found {list(row)}')
            src, drv = _strip_ext(row['source']), _strip_ext(row['driving'])
            for field, name in (('source', src), ('driving', drv)):
                if name not in self.videos:
                    raise ValueError(
                        f'{path} line {line}: {field} video {name!r} is not '
                        f'in {osp.join(self.data_root, self.split)} (a video '
                        'folder with frames and iuv/)')
            pairs.append((src, drv))
        if not pairs:
            raise ValueError(f'{path}: no pairs')
        return pairs

    def _test_frames(self, num: int, first: int) -> List[int]:
        frames = list(range(first, num))
        if self.max_test_frames and len(frames) > self.max_test_frames:
            keep = np.linspace(0, len(frames) - 1, self.max_test_frames)
            frames = [frames[int(round(k))] for k in keep]
        return frames

    def _check_person_masks(self) -> None:
        """Read the first, middle and last mask of every video that has
        ``mask/``: all of them empty (no person) is an error, some empty a
        counted warning."""
        empty, read = [], 0
        for video in self.videos.values():
            stems = video['stems']
            for t in sorted({0, len(stems) // 2, len(stems) - 1}):
                path = osp.join(video['dir'], 'mask', stems[t] + '.png')
                if osp.isfile(path):
                    read += 1
                    if read_mask(path).max() == 0:
                        empty.append(path)
        if read and len(empty) == read:
            raise ValueError(
                f'{self.data_root}/{self.split}: all {read} person masks '
                f'checked are empty (no pixel above 0), e.g. {empty[:3]}; '
                'expected alpha mattes with the person > 0 (re-run the '
                'matting, or delete the mask/ folders to use the DensePose '
                'silhouette)')
        if empty:
            print_log(
                f'{self.data_root}/{self.split}: {len(empty)} of {read} '
                'person masks checked (first, middle, last frame per video) '
                f'are empty, e.g. {empty[:3]}', logger='current',
                level=logging.WARNING)

    def load_data_list(self) -> List[dict]:
        self._scan_videos()
        self._check_person_masks()
        items = []
        if self.mode == 'train_pair':
            groups: Dict[str, List[str]] = OrderedDict()
            for name, video in self.videos.items():
                if len(video['stems']) < 2:
                    continue
                key = name.split('#')[0] if self.id_sampling else name
                groups.setdefault(key, []).append(name)
            items = [dict(video_ids=v) for v in groups.values()]
        elif self.mode == 'reconstruction':
            for name, video in self.videos.items():
                items += [dict(video_id=name, source_video_id=name,
                               src_idx=0, drv_idx=t)
                          for t in self._test_frames(len(video['stems']), 1)]
        else:
            for src, drv in self._read_pairs():
                items += [dict(video_id=drv, source_video_id=src, src_idx=0,
                               drv_idx=t) for t in self._test_frames(
                                   len(self.videos[drv]['stems']), 0)]
        if not items:
            raise ValueError(f'{self.data_root}/{self.split}: no {self.mode} '
                             'items (training needs videos of >= 2 frames)')
        return items

    # ------------------------------------------------------------- items
    def _frame(self, video_id: str, idx: int) -> dict:
        video = self.videos[video_id]
        return dict(video_dir=video['dir'], frames=video['source'],
                    stem=video['stems'][idx])

    def get_data_info(self, idx: int) -> dict:
        info = dict(super().get_data_info(idx))
        if self.mode == 'train_pair':
            names = info.pop('video_ids')
            name = names[np.random.randint(len(names))]
            num = len(self.videos[name]['stems'])
            src, drv = np.random.choice(num, 2, replace=False)
            info.update(video_id=name, source_video_id=name,
                        src_idx=int(src), drv_idx=int(drv))
        info.update(
            mode=self.mode, iuv_channel_order=self.iuv_channel_order,
            source=self._frame(info['source_video_id'], info['src_idx']),
            driving=self._frame(info['video_id'], info['drv_idx']))
        return info


register_layout(
    ['DensePoseVideoPairDataset'],
    DataLayout(
        tree='data/{ted,taichi,iper}/\n'
        '  {train,test}/<video>/frames/%06d.png   (or <video>.mp4, or the '
        'stacked <split>/<video>.png)\n'
        '  {train,test}/<video>/iuv/%06d.png      DensePose [I, U*255, V*255]'
        ' (or .npz I, U, V)\n'
        '  {train,test}/<video>/mask/%06d.png     matting alpha (optional)\n'
        '  {train,test}/<video>/kps/%06d.json     OpenPose-18 (optional)\n'
        '  animation_pairs_test.csv               source,driving',
        prepare='frames from the MRAA / FOMM / iPER releases; DensePose by '
        'tools/dataset_converters/densepose_dump_to_iuv.py (detectron2 '
        'dumps) or densepose_torchscript_iuv.py; masks by Robust Video '
        'Matting; see docs/data_preparation.md'))
