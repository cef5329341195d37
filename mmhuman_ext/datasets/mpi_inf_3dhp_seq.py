"""MPI-INF-3DHP windows read from P-STMO's ``.npz`` files.

mmpose 1.x has no MPI-INF-3DHP dataset class (only its metainfo), so the
format produced by the official P-STMO conversion scripts is read here:

* ``data_train_3dhp.npz`` — key ``data``: pickled dict
  ``{'S1 Seq1': [{camera_id: {'data_2d': (T, 17, 2), 'data_3d': (T, 17, 3)}},
  ...], ...}`` (the first list element holds the cameras);
* ``data_test_3dhp.npz`` — key ``data``: ``{'TS1': {'data_2d': (T, 17, 2),
  'data_3d': (T, 17, 3), 'valid': (T,)}, ...}``.

2D in pixels, 3D in the camera frame in **millimetres** (universal
skeleton; metres or centimetres are recognised from the thigh length,
converted and logged; NaN/inf in scored frames is refused), 17 joints in
the 3DHP test order (root = pelvis, index 14). Normalisation uses the
per-sequence resolution: 2048 x 2048, except the test sequences TS5 and TS6
(1920 x 1080). In test files only frames with ``valid == 1`` become
samples.
"""
import logging
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.logging import print_log

from mmhuman_ext.geometry.units import scale_to_unit
from mmhuman_ext.registry import DATASETS
from .annotation_errors import AnnotationError, check_finite
from .h36m_videopose3d import _load_npz_dict
from .pose_window_dataset import PoseWindowDataset, mmpose_metainfo

_DEFAULT_RESOLUTIONS = {'TS5': (1920, 1080), 'TS6': (1920, 1080)}


@DATASETS.register_module()
class MPIInf3DHPSeqDataset(PoseWindowDataset):
    """MPI-INF-3DHP lifting windows (P-STMO's npz layout, module docstring).

    Sample fields: see :class:`PoseWindowDataset`; ``subject`` is ``'S1'``
    .. ``'S8'`` (train) or ``'TS1'`` .. ``'TS6'`` (test), ``action`` the
    sequence (``'Seq1'``, or ``'Test'`` in test files), ``camera_param``
    holds ``w``, ``h``.

    Args:
        data_root (str): Folder with the file.
        ann_file (str): ``'data_train_3dhp.npz'`` or ``'data_test_3dhp.npz'``
            (the layout is recognised from the content).
        subjects (Sequence[str], optional): Keep these subjects (train:
            ``'S1'``..; test: ``'TS1'``..); all when None.
        resolutions (dict, optional): ``{subject: (w, h)}`` overriding the
            default 2048 x 2048 (defaults to TS5/TS6 at 1920 x 1080).
        seq_len (int): N. Defaults to 81.
        seq_step (int): TDS rate. Defaults to 1.
        sample_stride, flip_mode, metainfo, pipeline, test_mode, lazy_init,
        max_refetch, indices: As :class:`PoseWindowDataset`.
    """

    METAINFO: dict = mmpose_metainfo('mpi_inf_3dhp.py')

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = 'data_train_3dhp.npz',
                 subjects: Optional[Sequence[str]] = None,
                 resolutions: Optional[Dict[str, Tuple[int, int]]] = None,
                 seq_len: int = 81,
                 seq_step: int = 1,
                 sample_stride: int = 1,
                 flip_mode: str = 'none',
                 metainfo: Optional[dict] = None,
                 pipeline: List[Union[dict, Callable]] = [],
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 max_refetch: int = 1000,
                 indices: Optional[Union[int, Sequence[int]]] = None):
        self.npz_file = osp.join(data_root, ann_file)
        self.subjects = None if subjects is None else set(subjects)
        self.resolutions = dict(_DEFAULT_RESOLUTIONS if resolutions is
                                None else resolutions)
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

    def _video(self, entry: dict, where: str, subject: str, action: str,
               camera_id: str) -> dict:
        for key in ('data_2d', 'data_3d'):
            if not isinstance(entry, dict) or key not in entry:
                raise AnnotationError(f'{where}: missing field {key!r}')
        kpts = np.asarray(entry['data_2d'], dtype=np.float32)
        kpts_3d = np.asarray(entry['data_3d'], dtype=np.float32)
        kpts, kpts_3d = kpts.reshape(len(kpts), 17, -1), kpts_3d.reshape(
            len(kpts_3d), 17, -1)
        if kpts.shape[-1] < 2 or kpts_3d.shape[-1] != 3 or len(kpts) != len(
                kpts_3d):
            raise AnnotationError(f'{where}: data_2d must be (T, 17, 2) and '
                                  f'data_3d (T, 17, 3), got {kpts.shape} and '
                                  f'{kpts_3d.shape}')
        check_finite(kpts, where, 'data_2d')
        w, h = self.resolutions.get(subject, (2048, 2048))
        video = dict(
            subject=subject,
            action=action,
            camera_id=camera_id,
            keypoints=kpts[..., :2],
            keypoints_3d=kpts_3d,
            camera_param=dict(w=w, h=h))
        if 'valid' in entry:
            valid = np.asarray(entry['valid']).reshape(-1)
            if len(valid) != len(kpts):
                raise AnnotationError(
                    f'{where}: valid has {len(valid)} entries, '
                    f'data_2d {len(kpts)} frames')
            video['valid'] = valid > 0.5
        # 3D targets of the frames that become samples
        scored = kpts_3d[video['valid']] if 'valid' in video else kpts_3d
        check_finite(scored, where, 'data_3d (valid frames)')
        if len(scored):
            scale, unit = scale_to_unit(scored, (8, 9), 'mm', where)
            if scale != 1:
                self.converted_units.add(unit)
                video['keypoints_3d'] = kpts_3d * scale
        return video

    def _load_videos(self) -> List[dict]:
        data = _load_npz_dict(self.npz_file, 'data')
        self.converted_units = set()
        videos = []
        for name in sorted(data):
            entry = data[name]
            where = f'{self.npz_file}: data[{name!r}]'
            if isinstance(entry, dict):  # test layout
                if self.subjects is None or name in self.subjects:
                    videos.append(self._video(entry, where, name, 'Test', '0'))
                continue
            subject, seq = name.split(' ')
            if self.subjects is not None and subject not in self.subjects:
                continue
            for cam, cam_entry in sorted(entry[0].items()):
                videos.append(
                    self._video(cam_entry, f'{where}[0][{cam!r}]', subject,
                                seq, str(cam)))
        if not videos:
            raise AnnotationError(f'{self.npz_file}: no sequence of subjects '
                                  f'{sorted(self.subjects or [])}')
        if self.converted_units:
            print_log(
                f'{self.npz_file}: 3D joints are in '
                f'{sorted(self.converted_units)} (inferred from the thigh '
                'length), not millimetres; converted to millimetres',
                logger='current', level=logging.WARNING)
        return videos
