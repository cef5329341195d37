"""Multi-view 2D / 3D metrics of TransFusion and multi-view PPT.

* :class:`JointDetectionRate`: a joint of a view is detected when the
  predicted 2D location lies within ``thr_px`` (0.5 x the constant head
  size 25.6 = 12.8 px, official code) of the ground truth. ``space``:
  ``'original'`` compares in original-image pixels (Table 3.5),
  ``'input'`` in the network-input crop (probable source of Tables 2.1 and
  2.3). Reported per joint over all views and samples (visible
  joints only) and averaged over joints. ``subset='occluded'`` /
  ``'unoccluded'`` score only the joints whose ``keypoints_occluded`` flag
  (built-in synthetic data) is set / unset; ``JDR`` is then the rate over
  all such joints (joints never occluded do not count).
* :class:`TriangulationMPJPE`: per sample, every joint is triangulated from
  the views chosen by the confidence rule (threshold 0.85, lowered by 0.05
  until two views pass, :func:`mmhuman_ext.geometry.confidence_view_mask`)
  with linear DLT in world coordinates; MPJPE in mm, root included, no
  alignment; mean of per-sample means, per action and per joint.

Both read the fields ``MultiViewTopdownPoseEstimator.predict`` writes and
the metainfo of ``PackMultiViewPoseInputs``, and write their tables to
``<outfile_prefix>.{jdr,mpjpe}.json`` when ``outfile_prefix`` is set.
"""
import json
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from mmhuman_ext.geometry import triangulate_with_confidence
from mmhuman_ext.registry import METRICS
from mmhuman_ext.utils.atomic_io import atomic_write_text


def _joint_names(dataset_meta: Optional[dict], num: int) -> List[str]:
    names = (dataset_meta or {}).get('keypoint_id2name')
    return [names[i] for i in range(num)] if names else [
        str(i) for i in range(num)
    ]


def _write(prefix: Optional[str], suffix: str, table: dict) -> None:
    if prefix:
        atomic_write_text(f'{prefix}.{suffix}.json',
                          json.dumps(table, indent=1))


@METRICS.register_module()
class JointDetectionRate(BaseMetric):
    """See the module docstring.

    Args:
        thr_px (float): Detection radius in pixels. Defaults to 12.8.
        space (str): ``'original'`` or ``'input'``.
        subset (str): ``'all'``, ``'occluded'`` or ``'unoccluded'``.
        outfile_prefix (str, optional): Write ``<prefix>.jdr.json``.
        collect_device, prefix: as mmengine's ``BaseMetric``.

    Metrics: ``JDR`` (mean over joints, %) and ``JDR/<joint>``.
    """

    def __init__(self,
                 thr_px: float = 12.8,
                 space: str = 'original',
                 subset: str = 'all',
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if space not in ('original', 'input'):
            raise ValueError(f"space must be 'original' or 'input', got "
                             f'{space!r}')
        if subset not in ('all', 'occluded', 'unoccluded'):
            raise ValueError(f"subset must be 'all', 'occluded' or "
                             f"'unoccluded', got {subset!r}")
        self.thr_px = thr_px
        self.space = space
        self.subset = subset
        self.outfile_prefix = outfile_prefix

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        pred_key, gt_key = (('pred_keypoints', 'keypoints_2d')
                            if self.space == 'original' else
                            ('pred_keypoints_input', 'keypoints_input'))
        for ds in data_samples:
            if gt_key not in ds or pred_key not in ds:
                raise KeyError(f'sample {ds.get("sample_key")}: '
                               f'JointDetectionRate(space={self.space!r}) '
                               f'needs {pred_key!r} and {gt_key!r}')
            pred = np.asarray(ds[pred_key], np.float64)
            gt = np.asarray(ds[gt_key], np.float64)[..., :2]
            vis = np.asarray(ds.get('keypoints_visible',
                                    np.ones(gt.shape[:2]))) > 0
            if self.subset != 'all':
                if 'keypoints_occluded' not in ds:
                    raise KeyError(
                        f'sample {ds.get("sample_key")}: JointDetectionRate'
                        f'(subset={self.subset!r}) needs keypoints_occluded '
                        'flags in the annotations')
                occ = np.asarray(ds['keypoints_occluded'], bool)
                vis &= occ if self.subset == 'occluded' else ~occ
            self.results.append(
                dict(dist=np.linalg.norm(pred - gt, axis=-1), vis=vis))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        dist = np.concatenate([r['dist'] for r in results])  # (N*V, K)
        vis = np.concatenate([r['vis'] for r in results])
        hit = (dist <= self.thr_px) & vis
        counted = vis.sum(0)
        per_joint = 100. * hit.sum(0) / np.maximum(counted, 1)
        names = _joint_names(self.dataset_meta, dist.shape[1])
        if self.subset == 'all':
            metrics = {'JDR': float(per_joint.mean())}
        else:
            metrics = {'JDR': float(100. * hit.sum() / max(vis.sum(), 1))}
        metrics.update({
            f'JDR/{n}': float(v)
            for n, v, c in zip(names, per_joint, counted) if c
        })
        _write(self.outfile_prefix, 'jdr',
               dict(space=self.space, subset=self.subset, thr_px=self.thr_px,
                    num_joints=int(vis.sum()), **metrics))
        return metrics


@METRICS.register_module()
class TriangulationMPJPE(BaseMetric):
    """See the module docstring.

    Args:
        conf_start (float): First confidence threshold. Defaults to 0.85.
        conf_step (float): Threshold decrement. Defaults to 0.05.
        use_distortion (bool): Undistort the 2D predictions with the
            cameras' ``k``, ``p`` before the DLT. Defaults to True.
        dist_model (str): ``'h36m'`` (default; the model that made the
            toolbox 2D labels) or ``'opencv'`` (what the official code's
            pymvg assumes).
        outfile_prefix (str, optional): Write ``<prefix>.mpjpe.json``.

    Metrics: ``MPJPE`` (mm), ``MPJPE/<action>`` and ``MPJPE/joint/<name>``.
    """

    def __init__(self,
                 conf_start: float = 0.85,
                 conf_step: float = 0.05,
                 use_distortion: bool = True,
                 dist_model: str = 'h36m',
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.conf_start = conf_start
        self.conf_step = conf_step
        self.use_distortion = use_distortion
        self.dist_model = dist_model
        self.outfile_prefix = outfile_prefix

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for ds in data_samples:
            missing = [k for k in ('pred_keypoints', 'pred_scores', 'cameras',
                                   'keypoints_3d') if k not in ds]
            if missing:
                raise KeyError(f'sample {ds.get("sample_key")}: '
                               f'TriangulationMPJPE needs {missing}')
            cam = {k: torch.as_tensor(np.asarray(v, np.float64))
                   for k, v in ds['cameras'].items()}
            X = triangulate_with_confidence(
                torch.as_tensor(np.asarray(ds['pred_keypoints'])),
                torch.as_tensor(np.asarray(ds['pred_scores'], np.float64)),
                cam, self.conf_start, self.conf_step, self.use_distortion,
                self.dist_model).numpy()
            err = np.linalg.norm(X - np.asarray(ds['keypoints_3d']), axis=-1)
            self.results.append(
                dict(err=err, action=str(ds.get('action_name',
                                                 ds.get('action', '')))))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        err = np.stack([r['err'] for r in results])  # (N, K)
        per_action = defaultdict(list)
        for r in results:
            per_action[r['action']].append(r['err'].mean())
        names = _joint_names(self.dataset_meta, err.shape[1])
        metrics = {'MPJPE': float(err.mean())}
        metrics.update({
            f'MPJPE/{a}': float(np.mean(v))
            for a, v in sorted(per_action.items())
        })
        metrics.update({
            f'MPJPE/joint/{n}': float(v)
            for n, v in zip(names, err.mean(0))
        })
        _write(self.outfile_prefix, 'mpjpe',
               dict(num_samples=len(results), **metrics))
        return metrics
