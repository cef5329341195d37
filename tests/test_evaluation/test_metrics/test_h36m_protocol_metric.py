"""Human3.6M protocol metrics: alignment, per-action averaging, files."""
import json

import numpy as np
import pytest
from mmpose.evaluation.functional import keypoint_mpjpe
from scipy.spatial.transform import Rotation

from mmhuman_ext.evaluation.metrics.h36m_protocol_metric import (
    parse_h36m_name, procrustes_align, scale_align)
from mmhuman_ext.registry import METRICS


def sample(pred, gt, name):
    return dict(
        pred_instances=dict(keypoints=pred[None]),
        gt_instances=dict(lifting_target=gt[None]),
        target_img_path=[name])


def evaluate(mode, preds, gts, names, **kw):
    metric = METRICS.build(dict(type='H36MProtocolMPJPE', mode=mode, **kw))
    metric.process({}, [sample(p, g, n) for p, g, n in zip(preds, gts, names)])
    return metric.evaluate(len(preds))


def test_procrustes_removes_similarity_but_not_reflection():
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(8, 17, 3))
    R = Rotation.random(8, random_state=1).as_matrix()
    s = rng.uniform(0.5, 2, (8, 1, 1))
    pred = s * gt @ R + rng.normal(size=(8, 1, 3))
    np.testing.assert_allclose(procrustes_align(pred, gt), gt, atol=1e-6)
    mirrored = gt * [-1, 1, 1]
    err = np.linalg.norm(procrustes_align(mirrored, gt) - gt, axis=-1)
    assert err.mean() > 0.1
    np.testing.assert_allclose(scale_align(3 * gt, gt), gt, atol=1e-9)
    # equals mmpose's per-frame Procrustes
    noisy = gt + rng.normal(0, 0.3, gt.shape)
    ours = np.linalg.norm(procrustes_align(noisy, gt) - gt, axis=-1).mean()
    ref = keypoint_mpjpe(noisy, gt, np.ones((8, 17), bool), 'procrustes')
    assert ours == pytest.approx(ref, abs=1e-6)


def test_action_mean_differs_from_frame_mean_and_file_is_written(tmp_path):
    gt = np.zeros((17, 3))
    gt[1:, 0] = 1.
    off = np.zeros((17, 3))
    off[1:, 1] = 1.  # every joint but the root 1 m off
    # 3 Walking frames with error 16/17 m, 1 Eating frame with 2 x that
    preds = [gt + off] * 3 + [gt + 2 * off]
    names = [f'S9_Walking_1.54138969_{i:06d}.jpg'
             for i in (1, 2, 3)] + ['S11_Eating.55011271_000001.jpg']
    res = evaluate(
        'mpjpe', preds, [gt] * 4, names, outfile_prefix=str(tmp_path / 'res'))
    e = 16 / 17 * 1000
    assert res['h36m/MPJPE_Walking'] == pytest.approx(e)
    assert res['h36m/MPJPE_Eating'] == pytest.approx(2 * e)
    assert res['h36m/MPJPE_action_mean'] == pytest.approx(1.5 * e)
    assert res['h36m/MPJPE_frame_mean'] == pytest.approx(1.25 * e)
    record = json.loads((tmp_path / 'res_mpjpe.json').read_text())
    assert record['per_action']['Eating'] == pytest.approx(2 * e)
    table = (tmp_path / 'res_mpjpe.md').read_text()
    assert table.splitlines()[0].startswith('| Eating | Walking |')
    # skip list and expected number of categories
    res = evaluate('mpjpe', preds, [gt] * 4, names, skip_list=['S11_Eating'])
    assert 'h36m/MPJPE_Eating' not in res
    with pytest.raises(ValueError, match='expected 15 action categories'):
        evaluate('mpjpe', preds, [gt] * 4, names, expected_actions=15)


def test_root_alignment_n_mpjpe_and_velocity():
    rng = np.random.default_rng(3)
    gts = list(rng.normal(size=(5, 17, 3)))
    names = [f'S9_Walking.54138969_{i:06d}.jpg' for i in (3, 1, 2, 5, 4)]
    shifted = [g + [0.3, -1, 2] for g in gts]  # same offset everywhere
    assert evaluate('mpjpe', shifted, gts,
                    names)['h36m/MPJPE_frame_mean'] == pytest.approx(
                        0, abs=1e-9)
    scaled = [(g - g[0]) * 1.7 + g[0] for g in gts]
    assert evaluate('n-mpjpe', scaled, gts,
                    names)['h36m/N-MPJPE_frame_mean'] == pytest.approx(
                        0, abs=1e-9)
    assert evaluate('mpjpe', scaled, gts, names)['h36m/MPJPE_frame_mean'] > 100
    # a constant error has no velocity error; a per-frame jitter has
    const = [g + np.linspace(0, 1, 51).reshape(17, 3) for g in gts]
    assert evaluate('mpjve', const, gts,
                    names)['h36m/MPJVE_frame_mean'] == pytest.approx(
                        0, abs=1e-9)
    order = np.argsort([parse_h36m_name(n)[3] for n in names])
    jitter = [g.copy() for g in gts]
    for rank, i in enumerate(order):
        jitter[i][5] += [0.01 * (rank % 2), 0, 0]  # 1 cm, alternating
    res = evaluate('mpjve', jitter, gts, names)
    assert res['h36m/MPJVE_frame_mean'] == pytest.approx(10 / 17)


def test_parse_names_of_both_datasets():
    assert parse_h36m_name('S9_Walking_1.54138969_000123.jpg') == (
        'S9_Walking_1', 'S9_Walking_1.54138969', 'Walking', 123)
    assert parse_h36m_name(
        'S11/S11_TakingPhoto_1.60457274/S11_TakingPhoto_1.60457274_000001.'
        'jpg')[2] == 'Photo'
