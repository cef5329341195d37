"""MPI-INF-3DHP test protocol: 3D PCK@150 mm, AUC and MPJPE.

A Python re-implementation of the official MATLAB evaluation (mmpose 1.x has
no 3D PCK/AUC metric): per-joint errors of root-relative poses; PCK counts
errors strictly below 150 mm over the 14 joints head-top, neck, shoulders,
elbows, wrists, hips, knees and ankles (indices 0-13 of the 3DHP test
order); AUC is the mean PCK over the thresholds 0, 5, ..., 150 mm; MPJPE is
over all 17 joints. Frames of all sequences are pooled.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from mmhuman_ext.registry import METRICS


def pck_auc(errors: np.ndarray,
            threshold: float = 150.,
            auc_thresholds: Optional[np.ndarray] = None):
    """PCK (%) at ``threshold`` and AUC (%) of per-joint ``errors``.

    Args:
        errors (np.ndarray): Any shape, errors in mm.
        threshold (float): PCK threshold; strict comparison ``e < t``.
        auc_thresholds (np.ndarray, optional): Defaults to 0, 5, ..., 150.

    Returns:
        tuple[float, float]: PCK and AUC in percent.
    """
    if auc_thresholds is None:
        auc_thresholds = np.linspace(0, 150, 31)
    errors = np.asarray(errors).reshape(-1)
    pck = 100. * np.mean(errors < threshold)
    auc = 100. * np.mean(errors[None] < auc_thresholds[:, None])
    return float(pck), float(auc)


@METRICS.register_module()
class MPI3DHPMetric(BaseMetric):
    """3DHP PCK / AUC / MPJPE (keys ``3dhp/PCK``, ``3dhp/AUC``,
    ``3dhp/MPJPE``).

    Args:
        root_index (int): Root joint (pelvis, 14).
        pck_joints (Sequence[int]): Joints of PCK/AUC (0-13).
        unit_scale (float): Multiplies the data units to get mm (1 for the
            P-STMO 3DHP files, which are in mm).
        collect_device, prefix: As :class:`mmengine.evaluator.BaseMetric`.
    """

    default_prefix = '3dhp'

    def __init__(self,
                 root_index: int = 14,
                 pck_joints: Sequence[int] = tuple(range(14)),
                 unit_scale: float = 1.,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.root_index = root_index
        self.pck_joints = list(pck_joints)
        self.unit_scale = unit_scale

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred = np.asarray(sample['pred_instances']['keypoints'])
            gt = np.asarray(sample['gt_instances']['lifting_target'])
            pred = pred.reshape(-1, 3).astype(np.float64)
            gt = gt.reshape(-1, 3).astype(np.float64)
            pred = pred - pred[self.root_index]
            gt = gt - gt[self.root_index]
            self.results.append(
                np.linalg.norm(pred - gt, axis=-1) * self.unit_scale)

    def compute_metrics(self, results: List[np.ndarray]) -> Dict[str, float]:
        errors = np.stack(results)
        pck, auc = pck_auc(errors[:, self.pck_joints])
        return dict(PCK=pck, AUC=auc, MPJPE=float(errors.mean()))
