"""JDR and triangulation MPJPE (spec F11)."""
import json

import numpy as np
import pytest
import torch

from mmhuman_ext.evaluation.metrics import (JointDetectionRate,
                                            TriangulationMPJPE)
from mmhuman_ext.geometry import project_points
from mmhuman_ext.geometry.camera import camera_from_toolbox


def rig(V=4):
    cams = []
    for v in range(V):
        az = 2 * np.pi * v / V + 0.3
        c = np.array([4500 * np.cos(az), 4500 * np.sin(az), 1600.])
        f = np.array([0, 0, 900.]) - c
        f /= np.linalg.norm(f)
        r = np.cross(f, [0, 0, 1.])
        r /= np.linalg.norm(r)
        cams.append(camera_from_toolbox(dict(
            R=np.stack([r, np.cross(f, r), f]), T=c, fx=1150, fy=1150,
            cx=500, cy=500, k=[-0.2, 0.2, 0.], p=[1e-3, -1e-3])))
    return {k: np.stack([c[k] for c in cams]) for k in cams[0]}


def sample(seed, action, shift=0., crop_scale=0.25):
    rng = np.random.default_rng(seed)
    X = rng.uniform([-300, -300, 100], [300, 300, 1700], (17, 3))
    cams = rig()
    t = {k: torch.tensor(v) for k, v in cams.items()}
    kp = project_points(torch.tensor(X).expand(4, -1, -1), t).numpy()
    A = np.tile([[crop_scale, 0, -80.], [0, crop_scale, -60.]], (4, 1, 1))
    kin = kp * crop_scale + [-80., -60.]
    return dict(
        sample_key=f's{seed}', action_name=action, cameras=cams,
        keypoints_3d=X, keypoints_2d=kp, keypoints_input=kin,
        keypoints_visible=np.ones((4, 17)), img_affine=A,
        pred_keypoints=kp + [shift, 0.], pred_keypoints_input=kin + [shift, 0],
        pred_scores=np.full((4, 17), 0.9))


META = dict(keypoint_id2name={i: f'j{i}' for i in range(17)})


def run(metric, samples):
    metric.dataset_meta = META
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_jdr_exact_and_shifted(tmp_path):
    for space in ('original', 'input'):
        assert run(JointDetectionRate(space=space),
                   [sample(0, 'Walk'), sample(1, 'Eat')])['JDR'] == 100.
        res = run(JointDetectionRate(space=space),
                  [sample(0, 'Walk', shift=13.)])
        assert res['JDR'] == 0. and res['JDR/j3'] == 0.
    # 'original' is unaffected by the crop; 'input' sees the crop scale:
    # 13 px in the original image is 3.25 px in a 0.25x crop
    s = sample(0, 'Walk')
    s['pred_keypoints'] = s['pred_keypoints'] + [13., 0.]
    s['pred_keypoints_input'] = s['pred_keypoints_input'] + [3.25, 0.]
    assert run(JointDetectionRate(space='original'), [s])['JDR'] == 0.
    assert run(JointDetectionRate(space='input'), [s])['JDR'] == 100.
    # half the views wrong on joint 5 -> 50 %; results file
    s = sample(0, 'Walk')
    s['pred_keypoints'][:2, 5] += 20.
    res = run(JointDetectionRate(outfile_prefix=str(tmp_path / 'r')), [s])
    assert res['JDR/j5'] == 50.
    assert json.load(open(tmp_path / 'r.jdr.json'))['JDR/j5'] == 50.
    with pytest.raises(ValueError):
        JointDetectionRate(space='crop')


def test_mpjpe_after_triangulation(tmp_path):
    samples = [sample(0, 'Walk'), sample(1, 'Eat'), sample(2, 'Eat')]
    res = run(TriangulationMPJPE(outfile_prefix=str(tmp_path / 'r')),
              samples)
    assert res['MPJPE'] < 1e-3 and set(res) >= {'MPJPE/Walk', 'MPJPE/Eat'}
    # ignoring the lens distortion of the predictions costs accuracy
    assert run(TriangulationMPJPE(use_distortion=False),
               samples)['MPJPE'] > 1.
    # one view wrong and low-confidence -> not used
    bad = sample(3, 'Walk')
    bad['pred_keypoints'][1] += 80.
    bad['pred_scores'][1] = 0.2
    assert run(TriangulationMPJPE(), [bad])['MPJPE'] < 1e-3
    # the same view trusted -> error; per-action means of per-frame means
    bad['pred_scores'][1] = 0.95
    res = run(TriangulationMPJPE(), [bad, sample(4, 'Eat')])
    assert res['MPJPE/Walk'] > 5 and res['MPJPE/Eat'] < 1e-3
    assert np.isclose(res['MPJPE'], res['MPJPE/Walk'] / 2)
    table = json.load(open(tmp_path / 'r.mpjpe.json'))
    assert table['num_samples'] == 3 and 'MPJPE/joint/j16' in table


def test_jdr_occluded_subset():
    s = sample(0, 'Walk')
    occ = np.zeros((4, 17), bool)
    occ[0, :3] = True
    s['keypoints_occluded'] = occ
    s['pred_keypoints'][0, 0] += 20.  # one of the 3 occluded joints missed
    res = run(JointDetectionRate(subset='occluded'), [s])
    assert np.isclose(res['JDR'], 100 * 2 / 3) and set(res) == {
        'JDR', 'JDR/j0', 'JDR/j1', 'JDR/j2'}
    assert run(JointDetectionRate(subset='unoccluded'), [s])['JDR'] == 100.
    with pytest.raises(KeyError, match='keypoints_occluded'):
        run(JointDetectionRate(subset='occluded'), [sample(1, 'Eat')])
