"""Horizontal flip of a 2D/3D pose window, before target generation.

mmpose's ``RandomFlipAroundRoot`` flips the centre-frame target and the 2D
keypoints only, with a probability; P-STMO also flips the per-frame 3D
targets and the camera, and the official recipe flips deterministically
(every window once plain, once flipped), so this transform is added.
"""
import numpy as np
from mmcv.transforms import BaseTransform

from mmhuman_ext.registry import TRANSFORMS


@TRANSFORMS.register_module()
class FlipPoseSequence(BaseTransform):
    """Mirror a lifting sample about the image's vertical centre line.

    Put it *before* ``GenerateTarget``. With image width w:

    * ``keypoints`` (N, J, 2) pixels: ``x -> w - x`` — after the codec's
      normalisation ``(x - w/2) / (w/2)`` this is exactly ``x -> -x``;
    * ``keypoints_3d`` (N, J, 3), ``lifting_target`` (1, J, 3), camera
      frame: ``X -> -X``;
    * left/right joints swapped with the metainfo's ``flip_indices`` in all
      of them and in the visibility arrays;
    * ``camera_param``: ``c_x -> w - c_x`` and ``p_1 -> -p_1`` (the
      official code flips the same two entries of its intrinsic vector).

    Args:
        mode (str): ``'from_flag'`` flips when ``results['flip']`` is True
            (set by datasets with ``flip_mode='double'``); ``'random'``
            flips with probability ``prob`` (and sets ``results['flip']``).
        prob (float): Flip probability for ``mode='random'``.
    """

    def __init__(self, mode: str = 'from_flag', prob: float = 0.5):
        if mode not in ('from_flag', 'random'):
            raise ValueError(
                f"mode must be 'from_flag' or 'random', got {mode!r}")
        self.mode = mode
        self.prob = prob

    def transform(self, results: dict) -> dict:
        if self.mode == 'random':
            results['flip'] = bool(np.random.rand() < self.prob)
        if not results.get('flip', False):
            return results
        flip_indices = results['flip_indices']
        cam = dict(results['camera_param'])
        w = cam['w']
        kpts = results['keypoints'][:, flip_indices].copy()
        kpts[..., 0] = w - kpts[..., 0]
        results['keypoints'] = kpts
        for key in ('keypoints_3d', 'lifting_target'):
            if key in results:
                pts = results[key][:, flip_indices].copy()
                pts[..., 0] *= -1
                results[key] = pts
        for key in ('keypoints_visible', 'lifting_target_visible'):
            if key in results:
                results[key] = results[key][:, flip_indices].copy()
        if 'c' in cam:
            c = np.array(cam['c'], dtype=np.float64)
            c[0] = w - c[0]
            cam['c'] = c
        if 'p' in cam:
            p = np.array(cam['p'], dtype=np.float64)
            p[0] = -p[0]
            cam['p'] = p
        results['camera_param'] = cam
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(mode={self.mode!r}, ' \
               f'prob={self.prob})'
