"""VoxCeleb-style talking-head videos for one-shot reenactment (CVTHead).

On-disk layout (``data_root``; the synthetic generator
:mod:`mmhuman_ext.datasets.synthetic.heads` writes the same)::

    train_imgs.json  test_imgs.json    {video: [valid frame ids]}
    frames/{video}/{fid:05d}.png       256x256 RGB frames (extracted once)
    parsing/{video}/{fid:05d}.png      face-parsing labels, 0 = background
    deca/{video}.npz                   precomputed codes, one row per frame:
                                       frame_ids (F,), shape (F,100),
                                       exp (F,50), pose (F,6), cam (F,3),
                                       tform (F,3,3) [optional]
    landmarks/{video}.pkl              {fid: {'ldmk': (68, 2)}} in 256 px;
                                       used when deca/*.npz has no tform

Video names follow VoxCeleb, ``id#youtubeid#start#end``; the subject is the
part before the first ``#``. Modes (as the official code samples them):

* ``train``: one item per video; each fetch draws two distinct valid frames
  at random (sorted: the source is the earlier one, ``sort_pair``);
* ``self_test``: per video ``step = len(valid) // num_test_frames``, frames
  ``valid[0 : num_test_frames * step : step]``; frame 0 is the source, the
  other ``num_test_frames - 1`` are drivers (one item each);
* ``cross_test``: one pair per video with a fixed seed: the source is its
  first valid frame, the driver a random valid frame of a random video of
  another subject. The driver's crop transform is replaced by the source's
  (the official code's convention).
"""
import json
import os.path as osp
from typing import List

import numpy as np
from mmengine.dataset import BaseDataset

from mmhuman_ext.registry import DATASETS
from .annotation_errors import image_file_problem
from .layout import DataLayout, register_layout

MODES = ('train', 'self_test', 'cross_test')
#: Width of each DECA code per frame: FLAME shape and expression
#: coefficients, pose (global + jaw axis-angle), orthographic camera.
CODE_WIDTHS = dict(shape=100, exp=50, pose=6, cam=3)


@DATASETS.register_module()
class VoxCelebReenactDataset(BaseDataset):
    """Args:
        data_root (str): dataset folder (module docstring).
        mode (str): ``'train'``, ``'self_test'`` or ``'cross_test'``.
        ann_file (str): split file; defaults to ``train_imgs.json`` for
            ``train`` and ``test_imgs.json`` otherwise.
        data_prefix (dict): ``frames``, ``parsing``, ``codes``,
            ``landmarks`` sub-folders.
        num_test_frames (int): frames per test video (10).
        sort_pair (bool): source = earlier frame in training (True).
        cross_seed (int): seed of the cross-identity pairing.
        check_files (bool): check every frame, mask and codes file used
            when the dataset is built (True).
        code_widths (dict, optional): width of each code field; defaults to
            DECA's :data:`CODE_WIDTHS` (match the FLAME layer's ``n_shape``
            and ``n_exp``).
        pipeline (list): e.g. ``[LoadReenactPair, PackReenactInputs]``.
    """

    def __init__(self, data_root: str, mode: str = 'train',
                 ann_file: str = '', data_prefix: dict = None,
                 num_test_frames: int = 10, sort_pair: bool = True,
                 cross_seed: int = 0, check_files: bool = True,
                 code_widths: dict = None, **kwargs):
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
        self.mode = mode
        self.num_test_frames = num_test_frames
        self.sort_pair = sort_pair
        self.cross_seed = cross_seed
        self.check_files = check_files
        self.code_widths = dict(CODE_WIDTHS, **(code_widths or {}))
        ann_file = ann_file or ('train_imgs.json' if mode == 'train' else
                                'test_imgs.json')
        prefix = dict(frames='frames', parsing='parsing', codes='deca',
                      landmarks='landmarks')
        prefix.update(data_prefix or {})
        super().__init__(ann_file=ann_file, data_root=data_root,
                         data_prefix=prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'{self.ann_file} not found: expected a json '
                '{video: [valid frame ids]} (see docs/data_preparation.md'
                '#voxceleb-cvthead)')
        with open(self.ann_file) as f:
            videos = json.load(f)
        if not isinstance(videos, dict) or not all(
                isinstance(v, list) for v in videos.values()):
            raise ValueError(f'{self.ann_file}: expected a dict video -> list '
                             'of frame ids')
        names = sorted(videos)
        items = []
        if self.mode == 'train':
            for name in names:
                if len(videos[name]) < 2:
                    continue
                items.append(dict(video=name, frames=list(videos[name])))
        elif self.mode == 'self_test':
            for name in names:
                valid = videos[name]
                step = len(valid) // self.num_test_frames
                if step == 0:
                    continue
                picked = valid[0:self.num_test_frames * step:step]
                items += [dict(video=name, src_frame=picked[0], drv_video=name,
                               drv_frame=d) for d in picked[1:]]
        else:
            rng = np.random.default_rng(self.cross_seed)
            for name in names:
                subject = name.split('#')[0]
                others = [n for n in names if n.split('#')[0] != subject
                          and videos[n]]
                if not videos[name] or not others:
                    continue
                other = others[rng.integers(len(others))]
                items.append(dict(
                    video=name, src_frame=videos[name][0], drv_video=other,
                    drv_frame=videos[other][rng.integers(len(videos[other]))],
                    cross_identity=True))
        if not items:
            raise ValueError(f'{self.ann_file}: no usable {self.mode} items '
                             f'(videos need >= 2 valid frames for training, '
                             f'>= {self.num_test_frames} for self_test)')
        if self.check_files:
            self._check_files(items)
        return items

    def _check_files(self, items: List[dict]) -> None:
        """Before any epoch: every frame and mask used exists and is not
        empty, and every codes file holds one row per frame of each field at
        the width the model expects (``code_widths``)."""
        frames = {}
        for item in items:
            for video, fids in (
                (item['video'], item.get('frames', [item.get('src_frame')])),
                (item.get('drv_video'), [item.get('drv_frame')])):
                if video is not None:
                    frames.setdefault(video, set()).update(
                        f for f in fids if f is not None)
        bad = []
        for video, fids in sorted(frames.items()):
            self._check_codes(video)
            for fid in sorted(fids):
                for kind in ('frames', 'parsing'):
                    path = osp.join(self.data_prefix[kind], video,
                                    f'{fid:05d}.png')
                    if not osp.isfile(path):
                        bad.append(f'{path} (missing)')
                    elif problem := image_file_problem(path):
                        bad.append(problem)
        if bad:
            raise FileNotFoundError(
                f'{self.ann_file} lists {len(bad)} frame/mask files that '
                f'cannot be read, e.g. {bad[:3]}; re-extract them or drop '
                'the frames from the split file')

    def _check_codes(self, video: str) -> None:
        path = osp.join(self.data_prefix['codes'], f'{video}.npz')
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'FLAME codes {path} not found (video {video!r} of '
                f'{self.ann_file}); expected frame_ids, shape, exp, pose, '
                'cam, [tform] per frame')
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in ('frame_ids', ) + tuple(self.code_widths)
                       if k not in z.files]
            if missing:
                raise KeyError(f'{path}: missing field(s) {missing}')
            rows = len(z['frame_ids'])
            expected = dict(self.code_widths, tform=(3, 3))
            for key, width in expected.items():
                if key not in z.files:
                    continue
                shape = z[key].shape
                want = (rows, ) + (width if isinstance(width, tuple) else
                                   (width, ))
                if shape != want:
                    raise ValueError(
                        f'{path}: field {key!r} has shape {shape}; expected '
                        f'{want} (one row per frame_ids entry; DECA '
                        f'{key} codes are {width} wide)')

    def get_data_info(self, idx: int) -> dict:
        info = dict(super().get_data_info(idx))
        if self.mode == 'train':
            pair = np.random.choice(info.pop('frames'), 2, replace=False)
            if self.sort_pair:
                pair = np.sort(pair)
            info.update(src_frame=int(pair[0]), drv_video=info['video'],
                        drv_frame=int(pair[1]))
        info.setdefault('cross_identity', False)
        info['dirs'] = dict(self.data_prefix)
        return info


register_layout(
    ['VoxCelebReenactDataset'],
    DataLayout(
        tree='data/vox1/\n'
        '  train_imgs.json  test_imgs.json      {video: [frame ids]}\n'
        '  frames/{video}/{fid:05d}.png          256x256 frames\n'
        '  parsing/{video}/{fid:05d}.png         BiSeNet labels (0 = bg)\n'
        '  deca/{video}.npz                      frame_ids shape exp pose '
        'cam [tform]\n'
        '  landmarks/{video}.pkl                 {fid: {"ldmk": (68, 2)}}',
        prepare='FOMM video-preprocessing crops, frames extracted once, '
        'landmarks (face_alignment), parsing (BiSeNet) and DECA codes '
        'precomputed; see docs/data_preparation.md#voxceleb-cvthead'))
