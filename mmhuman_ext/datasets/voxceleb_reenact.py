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
part before the first ``#``. Modes (spec §4):

* ``train``: one item per video; each fetch draws two distinct valid frames
  at random (sorted: the source is the earlier one, ``sort_pair``);
* ``self_test``: per video ``step = len(valid) // num_test_frames``, frames
  ``valid[0 : num_test_frames * step : step]``; frame 0 is the source, the
  other ``num_test_frames - 1`` are drivers (one item each);
* ``cross_test``: one pair per video with a fixed seed: the source is its
  first valid frame, the driver a random valid frame of a random video of
  another subject. The driver's crop transform is replaced by the source's
  (the official code's convention, spec §2.3.4).
"""
import json
import os.path as osp
from typing import List

import numpy as np
from mmengine.dataset import BaseDataset

from mmhuman_ext.registry import DATASETS
from .layout import DataLayout, register_layout

MODES = ('train', 'self_test', 'cross_test')


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
        pipeline (list): e.g. ``[LoadReenactPair, PackReenactInputs]``.
    """

    def __init__(self, data_root: str, mode: str = 'train',
                 ann_file: str = '', data_prefix: dict = None,
                 num_test_frames: int = 10, sort_pair: bool = True,
                 cross_seed: int = 0, **kwargs):
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
        self.mode = mode
        self.num_test_frames = num_test_frames
        self.sort_pair = sort_pair
        self.cross_seed = cross_seed
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
        return items

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
