import numpy as np
import pytest
import torch

from mmhuman_ext.evaluation.metrics.reenact_metrics import (
    CrossReenactMetric, SelfReenactMetric, mask_on_white, ms_ssim, ssim)


def _sample(pred, gt, mask, gt_mask=None):
    return dict(pred_img=pred * 2 - 1, gt_img=gt * 2 - 1, pred_mask=mask,
                gt_mask=mask if gt_mask is None else gt_mask,
                src_img=gt * 2 - 1)


def test_identical_images_are_perfect():
    x = torch.rand(2, 3, 64, 64)
    assert torch.allclose(ssim(x, x), torch.ones(2))
    assert torch.allclose(ms_ssim(x, x), torch.ones(2))
    m = SelfReenactMetric(use_lpips=True)
    m.process(None, [_sample(x[i], x[i], torch.ones(1, 64, 64))
                     for i in range(2)])
    res = m.compute_metrics(m.results)
    assert res['L1'] == 0 and res['LPIPS'] < 1e-6 and res['MS-SSIM'] == 1


def test_psnr_of_mean_mse_not_mean_psnr():
    gt = torch.zeros(3, 16, 16) + 0.5
    a, b = gt + 0.1, gt + 0.3
    m = SelfReenactMetric(use_lpips=False)
    one = torch.ones(1, 16, 16)
    m.process(None, [_sample(a, gt, one)])
    m.process(None, [_sample(b, gt, one)])
    res = m.compute_metrics(m.results)
    mse = (0.01 + 0.09) / 2
    assert res['PSNR'] == pytest.approx(10 * np.log10(1 / mse), abs=1e-4)
    mean_psnr = (10 * np.log10(1 / 0.01) + 10 * np.log10(1 / 0.09)) / 2
    assert res['PSNR_img'] == pytest.approx(mean_psnr, abs=1e-4)
    assert res['PSNR'] < res['PSNR_img']


def test_predicted_mask_threshold_on_white():
    pred = torch.zeros(3, 16, 16)
    gt = torch.ones(3, 16, 16) * 0.5
    mask = torch.full((1, 16, 16), 0.5)
    mask[:, :8] = 0.7  # half the image above 0.6
    out = mask_on_white(pred, mask)
    assert out[:, :8].eq(0).all() and out[:, 8:].eq(1).all()
    m = SelfReenactMetric(use_lpips=False, mask_policy='pred')
    m.process(None, [_sample(pred, gt, mask)])
    res = m.compute_metrics(m.results)
    assert res['L1'] == pytest.approx(0.25)  # 0.5 error on half the pixels
    assert res['L1_fg'] == pytest.approx(0.5)


def test_ms_ssim_small_images_and_order():
    x = torch.rand(1, 3, 200, 200)
    noisy = (x + 0.1 * torch.randn_like(x)).clamp(0, 1)
    very = (x + 0.4 * torch.randn_like(x)).clamp(0, 1)
    assert ms_ssim(x, noisy) > ms_ssim(x, very)
    assert ms_ssim(x[..., :40, :40], x[..., :40, :40]) == pytest.approx(1)


def test_cross_metric_fid_and_csim():
    m = CrossReenactMetric(inception_size=75, face_crop=False)
    g = torch.Generator().manual_seed(0)
    imgs = torch.rand(4, 3, 32, 32, generator=g)
    m.process(None, [dict(pred_img=imgs[i] * 2 - 1, src_img=imgs[i] * 2 - 1,
                          pred_mask=torch.ones(1, 32, 32)) for i in range(4)])
    same = m.compute_metrics(m.results)
    assert same['CSIM'] == pytest.approx(1, abs=1e-5)
    m.results.clear()
    m.process(None, [dict(pred_img=-imgs[i], src_img=imgs[i] * 2 - 1,
                          pred_mask=torch.ones(1, 32, 32)) for i in range(4)])
    diff = m.compute_metrics(m.results)
    # random-weight Inception features are huge (~1e6): compare relatively
    assert abs(same['FID']) < 1e-9 * diff['FID'] and diff['CSIM'] < 1


def test_frechet_distance_closed_form():
    from mmhuman_ext.evaluation.functional.fid import frechet_distance
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 3)) + 1
    cx, cy = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    from scipy import linalg
    expect = ((x.mean(0) - y.mean(0))**2).sum() + np.trace(cx + cy) - \
        2 * np.trace(linalg.sqrtm(cx @ cy)).real
    assert frechet_distance(x, y) == pytest.approx(expect, rel=1e-6)


def test_own_mask_policy_penalises_empty_prediction():
    gt = torch.rand(3, 16, 16)
    empty = torch.zeros(1, 16, 16)
    sample = dict(_sample(torch.zeros(3, 16, 16), gt, empty),
                  gt_mask=torch.ones(1, 16, 16))
    paper = SelfReenactMetric(use_lpips=False, mask_policy='pred')
    paper.process(None, [sample])
    assert paper.compute_metrics(paper.results)['L1'] == 0
    strict = SelfReenactMetric(use_lpips=False)  # the headline default
    strict.process(None, [sample])
    assert strict.compute_metrics(strict.results)['L1'] == pytest.approx(
        (1 - gt).abs().mean().item(), abs=1e-5)


def test_motion_metric_zero_for_identical_images(cvthead_small_data):
    import os.path as osp
    from mmhuman_ext.evaluation.metrics.reenact_metrics import \
        CVTHeadMotionMetric
    flame_dir = osp.join(cvthead_small_data, 'flame')
    torch.manual_seed(0)
    m = CVTHeadMotionMetric(
        deca=dict(type='DECAEncoder'),
        flame=dict(type='FLAMELayer',
                   model_path=osp.join(flame_dir, 'generic_model.pkl'),
                   landmark_path=osp.join(flame_dir,
                                          'landmark_embedding.npy')))
    with torch.no_grad():  # small random codes keep FLAME in range
        m.deca.layers[2].weight.mul_(1e-3)
    img = torch.rand(3, 32, 32) * 2 - 1
    tform = torch.eye(3)
    tform[:2, :2] *= 224 / 64
    base = dict(pred_mask=torch.ones(1, 32, 32), drv_tform=tform,
                frame_size=(64, 64))
    m.process(None, [dict(base, pred_img=img, gt_img=img)])
    same = m.compute_metrics(m.results)
    assert same == dict(AKD=0.0, AED=0.0, APD=0.0)
    m.results.clear()
    m.process(None, [dict(base, pred_img=img, gt_img=-img)])
    diff = m.compute_metrics(m.results)
    assert all(diff[k] > 0 for k in ('AKD', 'AED', 'APD'))
