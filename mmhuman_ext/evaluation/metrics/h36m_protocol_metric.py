"""Human3.6M protocols #1/#2 averaged per action, N-MPJPE and MPJVE.

mmpose's ``MPJPE`` metric reports the frame-weighted mean only and has no
velocity error; papers (P-STMO Table 1 among them) report the unweighted
mean over the 15 action categories. This metric reports both, per action,
and writes the per-action table to a results file.
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmhuman_ext.datasets.h36m_videopose3d import (H36M_ACTIONS,
                                                   h36m_action_category)
from mmhuman_ext.registry import METRICS
from mmhuman_ext.utils.atomic_io import atomic_write_text


def procrustes_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Similarity-align each predicted pose to its ground truth.

    Finds per frame the scale s, rotation R (det +1, reflections excluded)
    and translation t minimising ``||s pred R + t - gt||``.

    Args:
        pred (np.ndarray): (M, J, 3).
        gt (np.ndarray): (M, J, 3).

    Returns:
        np.ndarray: (M, J, 3) aligned prediction.
    """
    mu_p, mu_g = pred.mean(1, keepdims=True), gt.mean(1, keepdims=True)
    p0, g0 = pred - mu_p, gt - mu_g
    norm_p = np.linalg.norm(p0, axis=(1, 2), keepdims=True)
    norm_g = np.linalg.norm(g0, axis=(1, 2), keepdims=True)
    p0, g0 = p0 / norm_p, g0 / norm_g
    U, s, Vt = np.linalg.svd(np.swapaxes(p0, 1, 2) @ g0)
    sign = np.sign(np.linalg.det(U @ Vt))
    U[:, :, -1] *= sign[:, None]
    s[:, -1] *= sign
    R = U @ Vt
    scale = (s.sum(-1) * norm_g[:, 0, 0] / norm_p[:, 0, 0])[:, None, None]
    return scale * (pred - mu_p) @ R + mu_g


def scale_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Least-squares scale per frame (N-MPJPE of Rhodin et al., as in
    VideoPose3D): ``s = <pred, gt> / <pred, pred>``; (M, J, 3) arrays,
    root-centred."""
    num = (pred * gt).sum(axis=(1, 2), keepdims=True)
    den = (pred * pred).sum(axis=(1, 2), keepdims=True)
    return pred * num / den


def parse_h36m_name(img_path: str):
    """``'.../S9_Walking_1.54138969_000123.jpg'`` -> ``('S9_Walking_1',
    'S9_Walking_1.54138969', 'Walking', 123)``: subject_action, video,
    action category, frame number."""
    base = osp.basename(img_path)
    stem, _ = osp.splitext(base)
    video, frame = stem.rsplit('_', 1)
    subj_act = video.split('.')[0]
    action = subj_act.split('_', 1)[1]
    return subj_act, video, h36m_action_category(action), int(frame)


@METRICS.register_module()
class H36MProtocolMPJPE(BaseMetric):
    """MPJPE / P-MPJPE / N-MPJPE / MPJVE with per-action averages.

    Both poses are made root-relative (``root_index``) before the error.
    Actions are parsed from ``target_img_path`` (``S9_Walking_1.54138969_
    000123.jpg``, the name used by mmpose's and our Human3.6M datasets) and
    merged to the 15 categories (sub-action suffix dropped, ``TakingPhoto``
    -> ``Photo``, ``WalkingDog`` -> ``WalkDog``).

    * ``mpjpe``: protocol #1; ``p-mpjpe``: protocol #2 (similarity
      Procrustes); ``n-mpjpe``: least-squares scale; ``mpjve``: error of
      the velocities between consecutive evaluated frames of each video
      (``sample_stride`` > 1 in the dataset makes the step longer).

    Keys (``X`` = the upper-cased mode, prefix ``h36m/``):
    ``X_action_mean`` (paper protocol:
    unweighted mean over action categories), ``X_frame_mean``
    (frame-weighted, as mmpose's ``MPJPE``) and ``X_<Action>``. Values in
    ``unit_scale`` x data units (1000: metres -> mm).

    Args:
        mode (str): ``'mpjpe'``, ``'p-mpjpe'``, ``'n-mpjpe'`` or ``'mpjve'``.
        unit_scale (float): Multiplies errors. Defaults to 1000.
        root_index (int): Root joint. Defaults to 0.
        skip_list (Sequence[str]): ``<subject>_<action>`` names to skip,
            e.g. ``['S11_Directions']`` with mmpose-format data.
        expected_actions (int, optional): Raise if the number of categories
            differs (15 for the full test set).
        outfile_prefix (str, optional): Write ``{prefix}_{mode}.json`` and
            ``{prefix}_{mode}.md`` (per-action table) there.
        collect_device, prefix: As :class:`mmengine.evaluator.BaseMetric`.
    """

    MODES = ('mpjpe', 'p-mpjpe', 'n-mpjpe', 'mpjve')
    default_prefix = 'h36m'

    def __init__(self,
                 mode: str = 'mpjpe',
                 unit_scale: float = 1000.,
                 root_index: int = 0,
                 skip_list: Sequence[str] = (),
                 expected_actions: Optional[int] = None,
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if mode not in self.MODES:
            raise ValueError(f'mode must be one of {self.MODES}, got {mode!r}')
        self.mode = mode
        self.unit_scale = unit_scale
        self.root_index = root_index
        self.skip_list = set(skip_list)
        self.expected_actions = expected_actions
        self.outfile_prefix = outfile_prefix

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred = np.asarray(sample['pred_instances']['keypoints'])
            gt = np.asarray(sample['gt_instances']['lifting_target'])
            subj_act, video, action, frame = parse_h36m_name(
                sample['target_img_path'][0])
            if subj_act in self.skip_list:
                continue
            self.results.append(
                dict(
                    pred=pred.reshape(-1, 3).astype(np.float64),
                    gt=gt.reshape(-1, 3).astype(np.float64),
                    video=video,
                    action=action,
                    frame=frame))

    def frame_errors(self, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
        """Per-frame error (M,) of root-centred (M, J, 3) poses (all modes
        but ``mpjve``)."""
        if self.mode == 'p-mpjpe':
            pred = procrustes_align(pred, gt)
        elif self.mode == 'n-mpjpe':
            pred = scale_align(pred, gt)
        return np.linalg.norm(pred - gt, axis=-1).mean(-1)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        pred = np.stack([r['pred'] for r in results])
        gt = np.stack([r['gt'] for r in results])
        pred = pred - pred[:, self.root_index:self.root_index + 1]
        gt = gt - gt[:, self.root_index:self.root_index + 1]
        actions = np.array([r['action'] for r in results])
        if self.mode == 'mpjve':
            errors, actions = self._velocity_errors(pred, gt, results, actions)
        else:
            errors = self.frame_errors(pred, gt)
        errors = errors * self.unit_scale
        per_action = {
            a: float(errors[actions == a].mean())
            for a in sorted(set(actions.tolist()))
        }
        if (self.expected_actions is not None
                and len(per_action) != self.expected_actions):
            raise ValueError(
                f'expected {self.expected_actions} action categories, found '
                f'{len(per_action)}: {sorted(per_action)}')
        name = self.mode.upper()
        metrics = {
            f'{name}_action_mean': float(np.mean(list(per_action.values()))),
            f'{name}_frame_mean': float(errors.mean())
        }
        metrics.update({f'{name}_{a}': v for a, v in per_action.items()})
        MMLogger.get_current_instance().info(f'{name} per action:\n' +
                                             self._table(per_action, metrics))
        if self.outfile_prefix is not None:
            self._write(per_action, metrics, len(errors))
        return metrics

    @staticmethod
    def _velocity_errors(pred, gt, results, actions):
        videos = np.array([r['video'] for r in results])
        frames = np.array([r['frame'] for r in results])
        order = np.lexsort((frames, videos))
        pred, gt = pred[order], gt[order]
        videos, actions = videos[order], actions[order]
        same = videos[1:] == videos[:-1]
        vel_err = np.linalg.norm(
            np.diff(pred, axis=0) - np.diff(gt, axis=0), axis=-1).mean(-1)
        return vel_err[same], actions[1:][same]

    def _table(self, per_action: Dict[str, float],
               metrics: Dict[str, float]) -> str:
        names = [a for a in H36M_ACTIONS if a in per_action
                 ] + sorted(set(per_action) - set(H36M_ACTIONS))
        head = '| ' + ' | '.join(names) + ' | Avg (actions) | Avg (frames) |'
        row = '| ' + ' | '.join(f'{per_action[a]:.1f}' for a in names)
        name = self.mode.upper()
        row += (f" | {metrics[f'{name}_action_mean']:.1f} | "
                f"{metrics[f'{name}_frame_mean']:.1f} |")
        return '\n'.join([head, '|' + '---|' * (len(names) + 2), row])

    def _write(self, per_action, metrics, num_frames):
        stem = f'{self.outfile_prefix}_{self.mode}'
        record = dict(
            mode=self.mode,
            unit_scale=self.unit_scale,
            num_frames=int(num_frames),
            per_action=per_action,
            **metrics)
        atomic_write_text(stem + '.json', json.dumps(record, indent=2))
        atomic_write_text(stem + '.md',
                          self._table(per_action, metrics) + '\n')
