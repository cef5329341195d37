"""Pipeline steps of :class:`~mmhuman_ext.datasets.VoxCelebReenactDataset`."""
import os.path as osp

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmhuman_ext.registry import TRANSFORMS

CODE_FIELDS = ('shape', 'exp', 'pose', 'cam')


@TRANSFORMS.register_module()
class LoadReenactPair(BaseTransform):
    """Load source and driving frames, parsing masks and FLAME codes.

    Adds ``src_img``/``drv_img`` ``(3, S, S)`` float32 in [-1, 1],
    ``src_mask``/``drv_mask`` ``(1, S, S)`` in {0, 1} and
    ``src_codes``/``drv_codes`` (``shape (100,) exp (50,) pose (6,)
    cam (3,) tform (3, 3)``). ``tform`` comes from the codes file, else from
    the landmarks (:func:`~mmhuman_ext.geometry.estimate_crop_tform`). For
    cross-identity items the driver's ``tform`` is the source's.

    Args:
        img_size (int, optional): resize frames and masks to ``S`` (network
            resolution; the codes keep referring to the original frame).
    """

    def __init__(self, img_size: int = None):
        self.img_size = img_size

    def _image(self, path: str, mask: bool) -> np.ndarray:
        img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if img is None:
            raise FileNotFoundError(f'cannot read {path}')
        if mask:
            img = (img if img.ndim == 2 else img[..., 0]) > 0
            img = img.astype(np.float32)
        else:
            img = cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2RGB)
            img = img.astype(np.float32) / 127.5 - 1
        if self.img_size and img.shape[0] != self.img_size:
            img = cv2.resize(img, (self.img_size, self.img_size),
                             interpolation=cv2.INTER_AREA)
            if mask:
                img = (img > 0.5).astype(np.float32)
        return img[None] if mask else img.transpose(2, 0, 1)

    @staticmethod
    def _codes(dirs: dict, video: str, frame: int) -> dict:
        path = osp.join(dirs['codes'], f'{video}.npz')
        if not osp.isfile(path):
            raise FileNotFoundError(f'FLAME codes {path} not found (expected '
                                    'frame_ids, shape, exp, pose, cam, '
                                    '[tform] per frame)')
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in ('frame_ids', ) + CODE_FIELDS
                       if k not in z]
            if missing:
                raise KeyError(f'{path}: missing field(s) {missing}')
            rows = np.nonzero(z['frame_ids'] == frame)[0]
            if len(rows) == 0:
                raise KeyError(f'{path}: no codes for frame {frame}; the '
                               'image has no usable mesh codes (drop it from '
                               'the split file)')
            r = rows[0]
            codes = {k: z[k][r].astype(np.float32) for k in CODE_FIELDS}
            tform = z['tform'][r].astype(np.float32) if 'tform' in z \
                else None
        for k, v in codes.items():
            if not np.isfinite(v).all():
                raise ValueError(f'{path}: frame {frame} has non-finite '
                                 f'{k!r} codes (no usable mesh codes)')
        if tform is None:
            from mmhuman_ext.geometry.ortho_crop import estimate_crop_tform
            from mmhuman_ext.utils.safe_pickle import safe_load_pickle
            lpath = osp.join(dirs['landmarks'], f'{video}.pkl')
            ldmk = safe_load_pickle(lpath)
            if frame not in ldmk:
                raise KeyError(f'{lpath}: no landmarks for frame {frame}')
            tform = estimate_crop_tform(torch.as_tensor(
                np.asarray(ldmk[frame]['ldmk'], np.float32))[None])[0].numpy()
        codes['tform'] = tform
        return codes

    def transform(self, results: dict) -> dict:
        dirs = results['dirs']
        for side, video, frame in (('src', results['video'],
                                    results['src_frame']),
                                   ('drv', results['drv_video'],
                                    results['drv_frame'])):
            name = f'{frame:05d}.png'
            results[f'{side}_img'] = self._image(
                osp.join(dirs['frames'], video, name), mask=False)
            results[f'{side}_mask'] = self._image(
                osp.join(dirs['parsing'], video, name), mask=True)
            results[f'{side}_codes'] = self._codes(dirs, video, frame)
        if results.get('cross_identity'):
            results['drv_codes']['tform'] = results['src_codes']['tform']
        return results


@TRANSFORMS.register_module()
class PackReenactInputs(BaseTransform):
    """``{'inputs': {src_img, src_mask, drv_img, drv_mask, src_codes,
    drv_codes} as tensors, 'data_samples': {video, src_frame, drv_video,
    drv_frame, cross_identity}}``; batch with ``default_collate``."""

    def transform(self, results: dict) -> dict:
        inputs = {}
        for key in ('src_img', 'src_mask', 'drv_img', 'drv_mask'):
            inputs[key] = torch.from_numpy(np.ascontiguousarray(
                results[key]))
        for key in ('src_codes', 'drv_codes'):
            inputs[key] = {k: torch.from_numpy(np.asarray(v))
                           for k, v in results[key].items()}
        meta = {k: results[k] for k in ('video', 'src_frame', 'drv_video',
                                        'drv_frame', 'cross_identity')}
        return dict(inputs=inputs, data_samples=meta)
