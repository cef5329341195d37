"""3DHP PCK@150 mm / AUC / MPJPE on hand-made errors."""
import numpy as np
import pytest

from mmhuman_ext.evaluation.metrics.mpi_3dhp_metric import pck_auc
from mmhuman_ext.registry import METRICS


@pytest.mark.parametrize('error, pck, auc', [(0., 100, 100 * 30 / 31),
                                             (149.9, 100, 100 / 31),
                                             (150., 0, 0), (200., 0, 0)])
def test_pck_auc_thresholds_are_strict(error, pck, auc):
    got = pck_auc(np.full((4, 14), error))
    assert got == pytest.approx((pck, auc))


def test_metric_uses_14_joints_for_pck_and_17_for_mpjpe():
    gt = np.zeros((17, 3))
    pred = gt.copy()
    pred[15:, 0] = 500.  # spine and head far off: not in PCK
    pred[0, 0] = 100.  # head-top 100 mm off
    pred[14] = [7., 7., 7.]  # root: removed by root alignment ...
    pred[:14] += [7., 7., 7.]  # ... with the joints it carries
    metric = METRICS.build(dict(type='MPI3DHPMetric'))
    metric.process({}, [
        dict(
            pred_instances=dict(keypoints=pred[None]),
            gt_instances=dict(lifting_target=gt[None]))
    ])
    res = metric.evaluate(1)
    assert res['3dhp/PCK'] == pytest.approx(100)
    assert res['3dhp/AUC'] == pytest.approx(
        100 * (13 * 30 + 10) / (14 * 31))  # 100 mm passes t = 105 .. 150
    # spine / head: (500, 0, 0) - root (7, 7, 7)
    far = np.sqrt(493**2 + 2 * 7**2)
    assert res['3dhp/MPJPE'] == pytest.approx((100 + 2 * far) / 17)
