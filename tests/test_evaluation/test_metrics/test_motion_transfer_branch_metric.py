"""MotionTransferBranchMetric on a hand-made pair with known motion: a
square that moves by a known shift, its joints at the corners."""
import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmhuman_ext.evaluation.metrics import MotionTransferBranchMetric
from mmhuman_ext.evaluation.metrics.motion_transfer_branch_metric import (
    flow_joint_errors, mask_iou)

SIZE, SHIFT = 32, (6, 2)  # frame side; the body moves by (+6, +2) px


def _frame(x0, y0):
    """uint8 frame ``(3, S, S)``, mask ``(1, S, S)`` and 18 joints (2 at
    square corners, the rest missing) of a 10-px square at ``(x0, y0)``."""
    img = torch.full((3, SIZE, SIZE), 40, dtype=torch.uint8)
    img[:, y0:y0 + 10, x0:x0 + 10] = 200
    mask = torch.zeros(1, SIZE, SIZE)
    mask[:, y0:y0 + 10, x0:x0 + 10] = 1
    kps = -torch.ones(18, 3)
    kps[1] = torch.tensor([x0 + 1., y0 + 1., 1.])
    kps[8] = torch.tensor([x0 + 9., y0 + 9., 1.])
    return img, mask, kps


def _data():
    s_img, s_mask, s_kps = _frame(4, 8)
    d_img, d_mask, d_kps = _frame(4 + SHIFT[0], 8 + SHIFT[1])
    meta = dict(mode='reconstruction', source_keypoints=s_kps,
                driving_keypoints=d_kps)
    batch = dict(inputs=dict(source_img=[s_img], driving_img=[d_img],
                             source_mask=[s_mask], driving_mask=[d_mask]),
                 data_samples=[BaseDataElement(metainfo=meta)])
    return batch, (s_img, s_mask), (d_img, d_mask)


def _run(sample):
    batch, _, _ = _data()
    metric = MotionTransferBranchMetric(markers=False)
    metric.process(batch, [sample])
    return metric.compute_metrics(metric.results)


def test_copying_versus_the_exact_motion():
    _, (s_img, s_mask), (d_img, d_mask) = _data()
    to_pred = (lambda x: x.float() / 127.5 - 1)
    copy = _run(dict(pred_img=to_pred(s_img), pred_mask=s_mask,
                     pred_flow=torch.zeros(2, 8, 8)))
    err = float(np.hypot(*SHIFT))
    assert copy['copy_flow_err'] == pytest.approx(err)
    assert copy['flow_err'] == pytest.approx(err)
    assert copy['final_IoU'] == pytest.approx(copy['src_IoU'])
    assert copy['src_IoU'] == pytest.approx(mask_iou(
        s_mask[0].bool().numpy(), d_mask[0].bool().numpy()))
    assert copy['final_body_L1'] == pytest.approx(copy['copy_body_L1'])
    assert copy['final_body_L1'] > 0.3
    # the exact backward flow (a constant shift, normalised units), given
    # at a quarter of the frame's resolution, and the driving frame itself
    flow = torch.zeros(2, 8, 8)
    flow[0], flow[1] = -SHIFT[0] * 2 / SIZE, -SHIFT[1] * 2 / SIZE
    exact = _run(dict(pred_img=to_pred(d_img), pred_mask=d_mask,
                      pred_flow=flow, warp_img=to_pred(d_img)[:, ::2, ::2],
                      warp_mask=d_mask[:, ::2, ::2]))
    assert exact['flow_err'] == pytest.approx(0, abs=1e-4)
    assert exact['copy_flow_err'] == pytest.approx(err)
    assert exact['final_L1'] == exact['final_body_L1'] == 0
    assert exact['final_IoU'] == 1
    # the half-size warp branch is enlarged: its body is still right
    assert exact['warp_body_L1'] < 0.1 < 0.3 < copy['final_body_L1']
    assert exact['warp_IoU'] > 0.8
    assert 'texture_L1' not in exact


def test_flow_joint_errors_skip_missing_joints():
    src = np.array([[10., 10.], [-1, -1], [5, 5]])
    drv = np.array([[12., 10.], [3, 3], [-1, -1]])
    flow = torch.zeros(2, 16, 16)
    flow[0] = -2 * 2 / 16  # 2 px left at a 16-px frame
    np.testing.assert_allclose(flow_joint_errors(flow, src, drv, (16, 16)),
                               [0.], atol=1e-5)


def test_markers_scored_per_branch():
    batch, (s_img, _), _ = _data()
    metric = MotionTransferBranchMetric()
    metric.process(batch, [dict(pred_img=s_img.float() / 127.5 - 1)])
    res = metric.compute_metrics(metric.results)
    assert 'final_AKD' in res and 'final_MKR' in res
    assert res['final_MKR'] == 1  # the square carries no marker
