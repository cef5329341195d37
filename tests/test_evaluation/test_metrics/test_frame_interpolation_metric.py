import pytest
import torch

from mmhuman_ext.evaluation.metrics import FrameInterpolationMetric
from mmhuman_ext.evaluation.metrics.frame_interpolation_metric import \
    keyframe_baselines


def _given(n, keys):
    g = torch.zeros(n, dtype=torch.bool)
    g[keys] = True
    return g


def test_baselines_on_a_linear_ramp():
    values = torch.linspace(-1, 1, 6)
    frames = values.view(6, 1, 1, 1).expand(6, 3, 4, 4)
    out = keyframe_baselines(frames, _given(6, [0, 5]))
    torch.testing.assert_close(out['linear'], frames)
    assert torch.equal(out['nearest'][:3], frames[[0, 0, 0]])
    assert torch.equal(out['nearest'][3:], frames[[5, 5, 5]])
    # outside the keyframe range: the nearest keyframe
    out = keyframe_baselines(frames, _given(6, [2, 3]))
    assert torch.equal(out['linear'][:2], frames[[2, 2]])
    assert torch.equal(out['linear'][5], frames[3])


def _sample(pred, gt, recon=None, keys=(0, 5)):
    return dict(pred_frames=pred, gt_frames=gt,
                recon_frames=gt if recon is None else recon,
                given=_given(len(gt), list(keys)))


def test_identical_clip_is_perfect():
    gt = torch.rand(6, 3, 32, 32, generator=torch.Generator().manual_seed(0)
                    ) * 2 - 1
    metric = FrameInterpolationMetric()
    metric.process(None, [_sample(gt.clone(), gt)])
    res = metric.compute_metrics(metric.results)
    assert res['psnr'] == 100. and res['vq_psnr'] == 100.
    assert res['ssim'] == pytest.approx(1.)
    assert res['lpips'] == pytest.approx(0., abs=1e-6)
    # random frames: the keyframe baselines are far off
    assert res['linear_psnr'] < 20 and res['nearest_lpips'] > 0


def test_intermediate_frames_only():
    gt = torch.zeros(6, 3, 16, 16)
    pred = gt.clone()
    pred[[0, 5]] = 1.  # wrong keyframes do not count by default
    metric = FrameInterpolationMetric(use_lpips=False, baselines=False)
    metric.process(None, [_sample(pred, gt)])
    assert metric.compute_metrics(metric.results) == dict(
        psnr=100., ssim=pytest.approx(1.), vq_psnr=100.,
        vq_ssim=pytest.approx(1.))
    metric = FrameInterpolationMetric(frames='all', use_lpips=False,
                                      baselines=False)
    metric.process(None, [_sample(pred, gt)])
    assert metric.compute_metrics(metric.results)['psnr'] < 100


def test_known_psnr():
    gt = torch.full((4, 3, 16, 16), -1.)  # black
    pred = gt + 2 * 51 / 255  # grey level 51: mse = 51 ** 2
    metric = FrameInterpolationMetric(use_lpips=False, baselines=False)
    metric.process(None, [_sample(pred, gt, keys=(0, 3))])
    res = metric.compute_metrics(metric.results)
    assert res['psnr'] == pytest.approx(20 * torch.log10(
        torch.tensor(255 / 51)).item(), abs=1e-4)


def test_needs_frames():
    metric = FrameInterpolationMetric(use_lpips=False)
    with pytest.raises(KeyError, match='tokenizer'):
        metric.process(None, [dict(pred_tokens=torch.zeros(2, 2, 2))])
    with pytest.raises(ValueError, match='intermediate'):
        FrameInterpolationMetric(frames='middle')
