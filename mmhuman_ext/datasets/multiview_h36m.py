"""Multi-view Human3.6M and Ski-Pose PTZ in the H36M-Toolbox pickle layout.

Both official codes (TransFusion-Pose, multi-view PPT) read one pickle per
split: a list of records, one per (frame, camera):

* ``image``: path below ``<data_root>/<data_prefix.img>``;
* ``joints_2d`` (K, 2) original pixels; ``joints_vis`` (K, 3) or (K,);
* ``joints_3d_camera`` (K, 3) camera-frame 3D (H36M mm; Ski-Pose metres);
* ``box`` (4,) xyxy (or ``center`` (2,) + ``scale`` (2,) = box / 200);
* ``camera``: ``R`` (3, 3) world->camera, ``T`` (3, 1) centre, ``fx``,
  ``fy``, ``cx``, ``cy``, ``k`` (3), ``p`` (2);
* optional ``joints_occluded`` (K,) bool (the built-in synthetic data);
* ``camera_id`` (0-based); ids: H36M ``subject``, ``action`` (2..16),
  ``subaction``, ``image_id``; Ski-Pose ``video_id``, ``image_id``.

A sample is one instant with **all** ``num_views`` cameras present (views
ordered by ``camera_id``); incomplete instants are dropped as in the
official code. The complete groups are sorted by their key and every
``stride``-th is kept (official: 5 for training, 64 for test on H36M, 1 on
Ski-Pose). H36M drops S9's damaged sequences (Greeting-2, SittingDown-2,
Waiting-1) unless ``with_damaged=True``. World 3D ground truth (mm) is
``R^T joints_3d_camera + T``.

Lengths: the unit of the 3D joints is inferred from the median thigh length
(:mod:`mmhuman_ext.geometry.units`; Ski-Pose files hold metres, H36M-Toolbox
files millimetres) and 3D joints and camera centres are converted to mm, so
MPJPE is in mm; a thigh that fits no unit is refused. NaN / inf in a
record's joints or box is refused naming the record and the field.

Every malformed record raises an error naming the file, the record index
and the field.
"""
import copy
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmhuman_ext.geometry.camera import CameraError, camera_from_toolbox
from mmhuman_ext.geometry.units import scale_to_unit
from mmhuman_ext.registry import DATASETS
from mmhuman_ext.utils.safe_pickle import NUMPY_ONLY, safe_load_pickle
from .annotation_errors import check_image_files
from .layout import DataLayout, register_layout
from .pose_window_dataset import mmpose_metainfo

H36M_ACTIONS = {
    2: 'Directions', 3: 'Discussion', 4: 'Eating', 5: 'Greeting',
    6: 'Phoning', 7: 'Photo', 8: 'Posing', 9: 'Purchases', 10: 'Sitting',
    11: 'SittingDown', 12: 'Smoking', 13: 'Waiting', 14: 'WalkDog',
    15: 'Walking', 16: 'WalkTogether'
}
#: S9 sequences with broken ground truth: (subject, action, subaction).
H36M_DAMAGED = ((9, 5, 2), (9, 10, 2), (9, 13, 1))
_RECORD_FIELDS = ('image', 'joints_2d', 'joints_3d_camera', 'camera',
                  'camera_id')


class MultiViewAnnotationError(ValueError):
    """A multi-view annotation file is malformed."""


class MultiViewBaseDataset(BaseDataset):
    """Shared loader; subclasses define the group key and the view count.

    Args:
        ann_file (str): The pickle, relative to ``data_root``.
        data_root (str): Dataset folder.
        data_prefix (dict): ``img``: image folder below ``data_root``.
        num_views (int, optional): Cameras per sample; defaults to the
            class's (4 for H36M, 6 for Ski-Pose).
        stride (int): Keep every ``stride``-th complete group.
        pipeline, test_mode, lazy_init, max_refetch, indices: as mmengine's
            ``BaseDataset`` (``indices``: keep only these samples).
    """

    METAINFO: dict = mmpose_metainfo('h36m.py')
    DEFAULT_NUM_VIEWS = 4

    def __init__(self,
                 ann_file: str,
                 data_root: str = '',
                 data_prefix: dict = dict(img='images/'),
                 num_views: Optional[int] = None,
                 stride: int = 1,
                 pipeline: List = [],
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 max_refetch: int = 1000,
                 metainfo: Optional[dict] = None,
                 indices: Optional[Union[int, Sequence[int]]] = None):
        self.num_views = num_views or self.DEFAULT_NUM_VIEWS
        if self.num_views < 2:
            raise ValueError(f'num_views must be >= 2, got {self.num_views}')
        self.stride = int(stride)
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=data_prefix,
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch,
            indices=indices)

    @classmethod
    def _load_metainfo(cls, metainfo: dict = None) -> dict:
        from mmpose.datasets.datasets.utils import parse_pose_metainfo
        if metainfo is None:
            metainfo = cls.METAINFO
        return parse_pose_metainfo(dict(metainfo))

    def get_data_info(self, idx: int) -> dict:
        """The sample, plus the keypoint metainfo mmpose transforms read
        (``flip_indices``, ``dataset_keypoint_weights``, ...)."""
        info = super().get_data_info(idx)
        for key in ('upper_body_ids', 'lower_body_ids', 'flip_pairs',
                    'dataset_keypoint_weights', 'flip_indices',
                    'skeleton_links'):
            info[key] = copy.deepcopy(self._metainfo[key])
        return info

    # subclass hooks ----------------------------------------------------
    def group_key(self, rec: dict) -> Tuple:
        raise NotImplementedError

    def keep_record(self, rec: dict) -> bool:
        return True

    def sample_ids(self, rec: dict) -> dict:
        return {}

    def length_scale(self, records: List[dict]) -> float:
        """Factor to millimetres, inferred from the thigh length."""
        scale, _ = scale_to_unit(
            [np.asarray(r['joints_3d_camera'], np.float64)[:3]
             for r in records[:200]], (1, 2), 'mm', self.ann_file)
        return scale

    # ------------------------------------------------------------------
    def _read(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'{type(self).__name__}: annotation file {self.ann_file!r} '
                'not found; see docs/data_preparation.md')
        records = safe_load_pickle(
            self.ann_file, NUMPY_ONLY, what='numpy arrays inside lists and '
            'dicts (H36M-Toolbox layout)')
        if not isinstance(records, (list, tuple)):
            raise MultiViewAnnotationError(
                f'{self.ann_file}: expected a list of per-view records '
                f'(H36M-Toolbox layout), got {type(records).__name__}')
        for i, rec in enumerate(records):
            missing = [f for f in _RECORD_FIELDS if f not in rec]
            if not ('box' in rec or ('center' in rec and 'scale' in rec)):
                missing.append('box (or center + scale)')
            if missing:
                raise MultiViewAnnotationError(
                    f'{self.ann_file}: record {i} lacks field(s) {missing}; '
                    f'each record needs {list(_RECORD_FIELDS)} and box')
        return records

    def _view(self, rec: dict, idx: int, scale: float) -> dict:
        where = f'{self.ann_file}: record {idx}'
        try:
            cam = camera_from_toolbox(rec['camera'], where)
        except CameraError as e:
            raise MultiViewAnnotationError(str(e)) from None
        cam['T'] = cam['T'] * scale
        num_kpt = self.metainfo['num_keypoints']
        kpts = np.asarray(rec['joints_2d'], np.float32)
        if kpts.shape != (num_kpt, 2):
            raise MultiViewAnnotationError(
                f'{where}: joints_2d must have shape ({num_kpt}, 2), got '
                f'{kpts.shape}')
        for field in ('joints_2d', 'joints_3d_camera', 'box', 'center',
                      'scale'):
            if field in rec and not np.isfinite(
                    np.asarray(rec[field], np.float64)).all():
                raise MultiViewAnnotationError(
                    f'{where}: {field} holds NaN/inf; expected finite '
                    'numbers')
        vis = np.asarray(rec.get('joints_vis', np.ones(num_kpt)), np.float32)
        vis = vis.reshape(num_kpt, -1)[:, 0]
        if 'box' in rec:
            box = np.asarray(rec['box'], np.float32).reshape(4)
        else:
            c = np.asarray(rec['center'], np.float32).reshape(2)
            s = np.asarray(rec['scale'], np.float32).reshape(2) * 200
            box = np.concatenate([c - s / 2, c + s / 2])
        view = dict(
            img_path=osp.join(self.data_prefix.get('img', ''), rec['image']),
            keypoints=kpts[None],
            keypoints_visible=vis[None],
            bbox=box[None],
            bbox_score=np.ones(1, np.float32),
            camera=cam,
            camera_id=int(rec['camera_id']),
            id=idx)
        if 'joints_occluded' in rec:  # built-in synthetic data
            view['keypoints_occluded'] = np.asarray(rec['joints_occluded'],
                                                    bool).reshape(num_kpt)
        return view

    def load_data_list(self) -> List[dict]:
        records = self._read()
        groups: Dict[Tuple, Dict[int, int]] = {}
        skipped = 0
        for i, rec in enumerate(records):
            if self.keep_record(rec):
                groups.setdefault(self.group_key(rec),
                                  {})[int(rec['camera_id'])] = i
            else:
                skipped += 1
        wanted = set(range(self.num_views))
        complete = sorted(k for k, g in groups.items() if set(g) >= wanted)
        print_log(
            f'{self.ann_file}: {len(records)} view records; '
            f'{skipped} dropped by the sequence filter (damaged sequences), '
            f'{len(groups) - len(complete)} instants dropped for lacking '
            f'one of the {self.num_views} cameras; {len(complete)} complete '
            f'instants, every {self.stride}-th kept', logger='current')
        if not complete:
            seen = sorted({c for g in groups.values() for c in g})
            raise MultiViewAnnotationError(
                f'{self.ann_file}: no instant has all {self.num_views} '
                f'cameras (num_views={self.num_views}); camera_id values '
                f'found: {seen}')
        scale = self.length_scale(records)
        data_list = []
        for key in complete[::self.stride]:
            idx = [groups[key][c] for c in range(self.num_views)]
            first = records[idx[0]]
            views = [self._view(records[i], i, scale) for i in idx]
            cam = views[0]['camera']
            kp_cam = np.asarray(first['joints_3d_camera'],
                                np.float64).reshape(-1, 3) * scale
            world = kp_cam @ cam['R'] + cam['T']
            data_list.append(
                dict(
                    views=views,
                    keypoints_3d=world.astype(np.float32),
                    sample_key='_'.join(str(k) for k in key),
                    **self.sample_ids(first)))
        check_image_files([v for s in data_list for v in s['views']],
                          self.ann_file, self)
        return data_list


@DATASETS.register_module()
class MultiViewH36MDataset(MultiViewBaseDataset):
    """Human3.6M, 4 views, H36M-Toolbox ``annot/h36m_{train,validation}.pkl``
    (module docstring). Extra argument ``with_damaged`` (default False)."""

    DEFAULT_NUM_VIEWS = 4

    def __init__(self, *args, with_damaged: bool = False, **kwargs):
        self.with_damaged = with_damaged
        super().__init__(*args, **kwargs)

    def group_key(self, rec):
        return (int(rec['subject']), int(rec['action']),
                int(rec['subaction']), int(rec['image_id']))

    def keep_record(self, rec):
        return self.with_damaged or (int(rec['subject']), int(rec['action']),
                                     int(rec['subaction'])) not in H36M_DAMAGED

    def sample_ids(self, rec):
        action = int(rec['action'])
        return dict(
            subject=int(rec['subject']),
            action=action,
            action_name=H36M_ACTIONS.get(action, str(action)),
            subaction=int(rec['subaction']),
            image_id=int(rec['image_id']))


@DATASETS.register_module()
class MultiViewSkiPoseDataset(MultiViewBaseDataset):
    """Ski-Pose PTZ, 6 views, ``annot/ski_{train,validation}.pkl`` written
    by the TransFusion-Pose ``data/preprocess_skipose.py`` (it names the
    test split ``validation``; module docstring); lengths converted to
    mm."""

    DEFAULT_NUM_VIEWS = 6

    def group_key(self, rec):
        return (int(rec['video_id']), int(rec['image_id']))

    def sample_ids(self, rec):
        return dict(video_id=int(rec['video_id']),
                    image_id=int(rec['image_id']), action=0,
                    action_name='Skiing')


_H36M_TREE = ('data/h36m/\n'
              '  annot/h36m_train.pkl  annot/h36m_validation.pkl\n'
              '  images/s_01_act_02_subact_01_ca_01/'
              's_01_act_02_subact_01_ca_01_000001.jpg ...')
register_layout(
    ['MultiViewH36MDataset'],
    DataLayout(
        tree=_H36M_TREE,
        prepare='extract frames and labels with CHUNYUWANG/H36M-Toolbox '
        '(generate_labels.py); see docs/data_preparation.md'
        '#human36m-multi-view'))
register_layout(
    ['MultiViewSkiPoseDataset'],
    DataLayout(
        tree='data/skipose/\n  annot/ski_train.pkl  annot/ski_validation.pkl\n'
        '  images/seq_000/cam_00/image_000000.png ...',
        prepare='convert Ski-PosePTZ-CameraDataset-png with TransFusion-Pose '
        'data/preprocess_skipose.py; see docs/data_preparation.md'
        '#ski-pose-ptz-multi-view'))
