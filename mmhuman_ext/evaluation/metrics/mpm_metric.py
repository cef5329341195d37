"""Validation metric of P-STMO's Stage I (masked pose modelling)."""
from typing import Dict, List, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from mmhuman_ext.registry import METRICS


@METRICS.register_module()
class MPMReconstructionError(BaseMetric):
    """2D MPJPE between the reconstructed and the clean input sequence.

    Reads the reconstruction ``pred_instances.keypoints`` (1, N, J, 2) that
    ``MaskedPoseModeling.predict`` returns in temporal order and the clean
    input ``data_batch['inputs'][i]`` (N, J, 2); the error is the mean
    Euclidean distance over all N frames and J joints, in the normalised
    input units (``unit_scale`` multiplies it), averaged over samples.
    Key: ``mpm/2d_mpjpe``.

    Args:
        unit_scale (float): Multiplies the error. Defaults to 1.
        collect_device (str): As :class:`mmengine.evaluator.BaseMetric`.
        prefix (str): Key prefix. Defaults to ``'mpm'``.
    """

    default_prefix = 'mpm'

    def __init__(self,
                 unit_scale: float = 1.,
                 collect_device: str = 'cpu',
                 prefix: str = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.unit_scale = unit_scale

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for clean, sample in zip(data_batch['inputs'], data_samples):
            pred = np.asarray(sample['pred_instances']['keypoints'])[0]
            clean = np.asarray(clean.cpu() if hasattr(clean, 'cpu') else clean)
            self.results.append(
                float(np.linalg.norm(pred - clean, axis=-1).mean()))

    def compute_metrics(self, results: List[float]) -> Dict[str, float]:
        return {'2d_mpjpe': float(np.mean(results)) * self.unit_scale}
