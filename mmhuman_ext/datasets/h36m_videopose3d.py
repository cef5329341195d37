"""Human3.6M windows read from the VideoPose3D ``.npz`` files.

P-STMO's (and VideoPose3D's) numbers come from these files, which mmpose's
``Human36mDataset`` does not read (it reads mmpose's own converted
annotations; use it with ``SeqPoseLifting`` for that format), so this loader
is added. Files, all under ``data_root``:

* ``data_3d_h36m.npz`` — key ``positions_3d``: pickled dict
  ``{subject: {action: float array (T, 32, 3)}}``, world coordinates in
  metres (32 original joints; the 17 used ones are kept; arrays that
  already have 17 joints are taken as they are; millimetres or centimetres
  are recognised from the thigh length, converted and logged; NaN/inf is
  refused, naming the frames);
* ``data_2d_h36m_cpn_ft_h36m_dbb.npz`` / ``data_2d_h36m_gt.npz`` — key
  ``positions_2d``: ``{subject: {action: [cam_0, ..., cam_3]}}``, each
  (T', 17, 2) pixels (extra channels such as a score are dropped), cameras
  in the order of the camera file's ``camera_order``; ``T' >= T`` and the
  2D is cut to the mocap length T;
* a camera file (:mod:`mmhuman_ext.geometry.h36m_cameras`).

Each centre frame t of each (subject, action, camera) video is one sample;
its window takes frames ``clip(t + s k, 0, T - 1)``, ``k = -(N-1)/2 ..
(N-1)/2`` (edge replication at video ends, as the official code pads).
"""
import logging
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
from mmengine.logging import print_log

from mmhuman_ext.geometry.h36m_cameras import (load_h36m_cameras,
                                               world_to_camera)
from mmhuman_ext.geometry.units import scale_to_unit
from mmhuman_ext.registry import DATASETS
from mmhuman_ext.utils.safe_pickle import safe_load_npz_field
from .annotation_errors import AnnotationError, check_finite
from .pose_window_dataset import PoseWindowDataset, mmpose_metainfo

#: Indices of the 17 used joints among Human3.6M's 32.
H36M_KEPT_JOINTS = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26,
                    27)
#: The 15 action categories of the Human3.6M tables (VideoPose3D spelling).
H36M_ACTIONS = ('Directions', 'Discussion', 'Eating', 'Greeting', 'Phoning',
                'Photo', 'Posing', 'Purchases', 'Sitting', 'SittingDown',
                'Smoking', 'Waiting', 'WalkDog', 'Walking', 'WalkTogether')
_ACTION_ALIASES = {'TakingPhoto': 'Photo', 'WalkingDog': 'WalkDog'}


def h36m_action_category(action: str) -> str:
    """``'Walking 1'``, ``'Walking_1'`` -> ``'Walking'``; ``'TakingPhoto'``
    -> ``'Photo'``; ``'WalkingDog 1'`` -> ``'WalkDog'``."""
    name = action.replace('_', ' ').split(' ')[0]
    return _ACTION_ALIASES.get(name, name)


def _load_npz_dict(path: str, key: str) -> dict:
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found (expected the VideoPose3D '
                                f'file with field {key!r})')
    try:
        value = safe_load_npz_field(
            path, key, what='numpy arrays inside dicts (VideoPose3D layout)')
    except KeyError as exc:
        raise AnnotationError(f'{exc.args[0]}; expected the VideoPose3D '
                              'layout') from None
    if not isinstance(value, dict):
        raise AnnotationError(f'{path}: field {key!r} must be a pickled dict '
                              '{subject: {action: ...}}')
    return value


def fill_nan_frames(poses: np.ndarray, where: str) -> np.ndarray:
    """Linearly interpolate NaN joints over time, per joint coordinate.

    Args:
        poses (np.ndarray): ``(T, J, C)``; NaN marks a missing joint.
        where (str): Used in the error message.

    Returns:
        np.ndarray: ``(T, J, C)`` without NaN (edge values held constant).

    Raises:
        ValueError: A joint is NaN in every frame.
    """
    flat = poses.reshape(len(poses), -1).copy()
    bad = np.isnan(flat)
    if bad.all(axis=0).any():
        joints = sorted(
            {int(j) // poses.shape[2]
             for j in np.nonzero(bad.all(axis=0))[0]})
        raise AnnotationError(
            f'{where}: joints {joints} are NaN in every frame')
    t = np.arange(len(flat))
    for col in np.nonzero(bad.any(axis=0))[0]:
        ok = ~bad[:, col]
        flat[bad[:, col], col] = np.interp(t[~ok], t[ok], flat[ok, col])
    return flat.reshape(poses.shape)


@DATASETS.register_module()
class H36MVideoPose3DDataset(PoseWindowDataset):
    """Human3.6M 2D-window -> 3D lifting samples from VideoPose3D files.

    Sample fields: see :class:`PoseWindowDataset` (``keypoints_3d`` and
    ``lifting_target`` are camera-frame metres, absolute; ``camera_param``
    holds ``w``, ``h``, ``f``, ``c``, ``k``, ``p``, ``R``, ``T``, ``id``).

    Args:
        data_root (str): Folder with the files.
        file_3d (str): 3D file name. Defaults to ``'data_3d_h36m.npz'``.
        file_2d (str): 2D file name (CPN detections or GT projections).
        camera_file (str): Camera file name (``.json`` or mmpose ``.pkl``).
        subjects (Sequence[str]): e.g. ``['S1', 'S5', 'S6', 'S7', 'S8']``.
        actions (Sequence[str], optional): Categories to keep (e.g.
            ``['Walking']``); all when None.
        camera_ids (Sequence[str], optional): Cameras to keep; all when None.
        seq_len (int): N (odd). Defaults to 243.
        seq_step (int): TDS rate s. Defaults to 1.
        sample_stride (int): Use every ``sample_stride``-th centre frame
            (1 = every frame, the benchmark protocol; larger for quick runs).
        flip_mode (str): ``'double'`` lists every window twice, the second
            time with ``flip=True`` (official training); ``'none'``.
            For random flips use ``FlipPoseSequence(mode='random')``.
        nan_policy (str): What to do with NaN/inf 2D joints: ``'error'``
            (raise,
            naming file, subject, action, camera and frames) or
            ``'interpolate'`` (linear in time per joint, logged).
        metainfo (dict, optional): Defaults to mmpose's ``h36m.py``.
        pipeline (list): Data transforms.
        test_mode (bool): Test mode.
        lazy_init (bool): Defer loading to the first access.
        max_refetch, indices: As :class:`PoseWindowDataset`.
    """

    METAINFO: dict = mmpose_metainfo('h36m.py')

    def __init__(self,
                 data_root: str = '',
                 file_3d: str = 'data_3d_h36m.npz',
                 file_2d: str = 'data_2d_h36m_cpn_ft_h36m_dbb.npz',
                 camera_file: str = 'h36m_cameras.json',
                 subjects: Sequence[str] = ('S1', 'S5', 'S6', 'S7', 'S8'),
                 actions: Optional[Sequence[str]] = None,
                 camera_ids: Optional[Sequence[str]] = None,
                 seq_len: int = 243,
                 seq_step: int = 1,
                 sample_stride: int = 1,
                 flip_mode: str = 'none',
                 nan_policy: str = 'error',
                 metainfo: Optional[dict] = None,
                 pipeline: List[Union[dict, Callable]] = [],
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 max_refetch: int = 1000,
                 indices: Optional[Union[int, Sequence[int]]] = None):
        if nan_policy not in ('error', 'interpolate'):
            raise ValueError("nan_policy must be 'error' or 'interpolate', "
                             f'got {nan_policy!r}')
        self.file_3d = osp.join(data_root, file_3d)
        self.file_2d = osp.join(data_root, file_2d)
        self.camera_file = osp.join(data_root, camera_file)
        self.subjects = list(subjects)
        self.actions = None if actions is None else set(actions)
        self.camera_ids = None if camera_ids is None else [
            str(c) for c in camera_ids
        ]
        self.nan_policy = nan_policy
        super().__init__(
            seq_len=seq_len,
            seq_step=seq_step,
            sample_stride=sample_stride,
            flip_mode=flip_mode,
            data_root=data_root,
            metainfo=metainfo,
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch,
            indices=indices)

    def _load_videos(self) -> List[dict]:
        pos3d = _load_npz_dict(self.file_3d, 'positions_3d')
        self.converted_units = set()
        pos2d = _load_npz_dict(self.file_2d, 'positions_2d')
        cameras, order = load_h36m_cameras(self.camera_file)
        videos = []
        for subject in self.subjects:
            for name, where in ((pos3d, self.file_3d), (pos2d, self.file_2d)):
                if subject not in name:
                    raise AnnotationError(
                        f'{where}: subject {subject!r} not found '
                        f'(found {sorted(name)})')
            for action in sorted(pos3d[subject]):
                if (self.actions is not None
                        and h36m_action_category(action) not in self.actions):
                    continue
                videos += self._load_action(pos3d, pos2d, cameras, order,
                                            subject, action)
        if not videos:
            raise AnnotationError(
                f'no video of subjects {self.subjects} and actions '
                f'{self.actions} in {self.file_3d}')
        if self.converted_units:
            print_log(
                f'{self.file_3d}: 3D joints are in '
                f'{sorted(self.converted_units)} (inferred from the thigh '
                'length), not metres; converted to metres', logger='current',
                level=logging.WARNING)
        return videos

    def _load_action(self, pos3d, pos2d, cameras, order, subject,
                     action) -> List[dict]:
        world = np.asarray(pos3d[subject][action], dtype=np.float64)
        where3d = f'{self.file_3d}: positions_3d[{subject!r}][{action!r}]'
        if world.ndim != 3 or world.shape[-1] != 3 or world.shape[1] not in (
                17, 32):
            raise AnnotationError(f'{where3d} must be (T, 32 or 17, 3), got '
                                  f'{world.shape}')
        if world.shape[1] == 32:
            world = world[:, H36M_KEPT_JOINTS]
        check_finite(world, where3d, '3D joints')
        scale, unit = scale_to_unit(world, (1, 2), 'm', where3d)
        if scale != 1:
            self.converted_units.add(unit)
            world = world * scale
        where2d = f'{self.file_2d}: positions_2d[{subject!r}][{action!r}]'
        if action not in pos2d[subject]:
            raise AnnotationError(f'{where2d} not found')
        views = pos2d[subject][action]
        if len(views) != len(order):
            raise AnnotationError(f'{where2d} holds {len(views)} cameras, the '
                                  f'camera file lists {len(order)}: {order}')
        videos = []
        for cam_id, kpts in zip(order, views):
            if self.camera_ids is not None and cam_id not in self.camera_ids:
                continue
            where = f'{where2d}[camera {cam_id}]'
            kpts = np.asarray(kpts)
            if kpts.ndim != 3 or kpts.shape[1] != 17 or kpts.shape[2] < 2:
                raise AnnotationError(f'{where} must be (T, 17, 2), got '
                                      f'{kpts.shape}')
            if len(kpts) < len(world):
                raise AnnotationError(f'{where} has {len(kpts)} frames, fewer '
                                      f'than the {len(world)} of {where3d}')
            kpts = kpts[:len(world), :, :2].astype(np.float64)
            if not np.isfinite(kpts).all():
                kpts = self._handle_nan(kpts, where)
            if (subject, cam_id) not in cameras:
                raise AnnotationError(f'{self.camera_file}: no camera '
                                      f'({subject!r}, {cam_id!r})')
            cam = cameras[(subject, cam_id)]
            videos.append(
                dict(
                    subject=subject,
                    action=action,
                    camera_id=cam_id,
                    keypoints=kpts.astype(np.float32),
                    keypoints_3d=world_to_camera(world, cam['R'],
                                                 cam['T']).astype(np.float32),
                    camera_param=cam))
        return videos

    def _handle_nan(self, kpts: np.ndarray, where: str) -> np.ndarray:
        kpts = np.where(np.isfinite(kpts), kpts, np.nan)  # inf is missing too
        frames = np.nonzero(np.isnan(kpts).any(axis=(1, 2)))[0]
        msg = (f'{where}: {len(frames)} frames have NaN/inf joints (first '
               f'frames {frames[:5].tolist()})')
        if self.nan_policy == 'error':
            raise AnnotationError(msg +
                                  "; set nan_policy='interpolate' to fill "
                                  'them linearly in time')
        print_log(
            msg + '; filled by linear interpolation in time', logger='current')
        return fill_nan_frames(kpts, where)
