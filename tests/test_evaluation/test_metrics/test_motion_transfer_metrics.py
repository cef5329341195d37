"""Motion-transfer metrics on hand-made arrays with known answers, and the
evaluation networks (random weights of the real architectures)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import BaseDataElement
from torch import nn

from mmhuman_ext.evaluation.functional.motion_transfer_nets import (
    MarkerKeypointDetector, OpenPose18Detector, OpenPoseBodyNet, ReIDResNet50,
    heatmap_peaks)
from mmhuman_ext.evaluation.metrics import (FrameL1Metric,
                                            KeypointAKDMKRMetric,
                                            PairedFIDMetric, ReIDAEDMetric)
from mmhuman_ext.evaluation.metrics.motion_transfer_metrics import (
    embedding_distance, keypoint_errors)
from mmhuman_ext.registry import MODELS


def _batch(drv, src=None, modes=None, kps=None):
    """A data batch as the dataloader gives it (dict of lists) and the
    output samples; ``drv`` / ``src`` uint8 ``(N, H, W, 3)``."""
    n = len(drv)
    src = drv if src is None else src
    samples = []
    for i in range(n):
        meta = dict(mode=(modes or ['reconstruction'] * n)[i])
        if kps is not None:
            meta['driving_keypoints'] = torch.as_tensor(kps[i]).float()
        samples.append(BaseDataElement(metainfo=meta))
    batch = dict(inputs=dict(
        driving_img=[torch.from_numpy(d.transpose(2, 0, 1).copy())
                     for d in drv],
        source_img=[torch.from_numpy(s.transpose(2, 0, 1).copy())
                    for s in src]), data_samples=samples)
    return batch


def _outputs(pred):
    """Output samples with ``pred_img`` in [-1, 1] from uint8 frames."""
    return [dict(pred_img=torch.from_numpy(p.transpose(2, 0, 1).copy())
                 .float() / 127.5 - 1) for p in pred]


def _run(metric, batch, outputs):
    metric.process(batch, outputs)
    return metric.compute_metrics(metric.results)


# ---------------------------------------------------------------- AKD
def test_keypoint_errors_pose_evaluation_and_euclidean():
    ref = np.array([[10, 10], [20, 20], [-1, -1], [30, 30]], float)
    gen = np.array([[13, 14], [-1, -1], [5, 5], [30, 30]], float)
    akd, mkr = keypoint_errors(ref, gen)
    assert akd == pytest.approx((3 + 4 + 0 + 0) / 4)  # |dx|, |dy| averaged
    assert mkr == pytest.approx(1 / 3)
    akd_e, mkr_e = keypoint_errors(ref, gen, 'euclidean')
    assert akd_e == pytest.approx((5 + 0) / 2)
    assert mkr_e == mkr
    # frames that cannot count
    none = -np.ones((4, 2))
    assert keypoint_errors(none, gen) == (None, None)
    assert keypoint_errors(ref, none) == (None, 1.0)


def test_akd_mkr_metric_with_ground_truth_and_precomputed():
    kps_ref = [np.array([[1, 1], [2, 2], [3, 3]], float),
               np.array([[4, 4], [-1, -1], [6, 6]], float),
               -np.ones((3, 2))]
    kps_gen = [np.array([[2, 1], [2, 2], [-1, -1]], float),
               np.array([[4, 6], [5, 5], [6, 6]], float),
               np.array([[1, 1], [1, 1], [1, 1]], float)]
    frames = np.zeros((3, 8, 8, 3), np.uint8)
    batch = _batch(frames, kps=[np.c_[k, np.ones(3)] for k in kps_ref])
    outs = [dict(pred_keypoints=torch.as_tensor(k)) for k in kps_gen]
    m = KeypointAKDMKRMetric(backend='precomputed', reference='ground_truth')
    res = _run(m, batch, outs)
    # frame 1: |1|,0,0,0 over 2 joints -> 0.25; frame 2: 0,2,0,0 -> 0.5;
    # frame 3 has no reference joint: excluded from both
    assert res['AKD'] == pytest.approx((0.25 + 0.5) / 2)
    assert res['MKR'] == pytest.approx((1 / 3 + 0) / 2)
    m = KeypointAKDMKRMetric(backend='precomputed', reference='ground_truth',
                             mode='euclidean')
    res = _run(m, batch, outs)
    assert res['AKD'] == pytest.approx((0.5 + 1.0) / 2)


def test_markers_score_driving_frame_against_copying_source(
        puppet_small_data):
    from mmhuman_ext.datasets.synthetic.puppets import PuppetVideo
    video = PuppetVideo(np.random.default_rng([0, 0, 7]), 256, 16)
    drv = [video.render(t) for t in (3, 9)]
    src = video.render(0)
    det = MarkerKeypointDetector()
    found = det([d['img'] for d in drv])
    for k, d in zip(found, drv):
        vis = d['keypoints'][:, 2] > 0
        assert (k[vis, 0] != -1).all()
        # disc centroids; a disc partly covered by a later one moves a bit
        err = np.linalg.norm(k[vis] - d['keypoints'][vis, :2], axis=1)
        assert np.median(err) < 0.75 and err.max() < 2.0
    assert (det([np.full((64, 64, 3), 128, np.uint8)]) == -1).all()
    frames = np.stack([d['img'] for d in drv])
    batch = _batch(frames, kps=[d['keypoints'] for d in drv])
    metric = KeypointAKDMKRMetric(backend='markers', reference='ground_truth')
    perfect = _run(metric, batch, _outputs(frames))
    metric = KeypointAKDMKRMetric(backend='markers', reference='ground_truth')
    copy = _run(metric, batch, _outputs(np.stack([src['img']] * 2)))
    assert perfect['AKD'] < 0.6 and perfect['MKR'] == 0
    assert copy['AKD'] > 3 * perfect['AKD'] + 2


# ---------------------------------------------------------------- AED
@MODELS.register_module(force=True)
class _MeanColourEmbedder(nn.Module):
    """Embedding = mean RGB / 255 of the frame (known answers)."""

    def forward(self, frames):
        return torch.tensor(np.stack([f.reshape(-1, 3).mean(0) / 255
                                      for f in frames]))


def test_aed_known_answers_and_repeated_source():
    a = np.array([1., 2., 3.])
    b = np.array([1., 0., 3.])
    assert embedding_distance(a, b) == pytest.approx(4.0)
    assert embedding_distance(a, b, 'euclidean') == pytest.approx(2.0)

    def img(v):
        return np.full((4, 4, 3), v, np.uint8)

    drv = np.stack([img(0), img(255)])
    src = np.stack([img(51), img(51)])
    pred = np.stack([img(255), img(255)])
    batch = _batch(drv, src, modes=['reconstruction', 'animation'])
    m = ReIDAEDMetric(embedder=dict(type='_MeanColourEmbedder'))
    res = _run(m, batch, _outputs(pred))
    # reconstruction: |1 - 0|^2 * 3 = 3; animation vs the source: 3 * 0.8^2
    assert res['AED'] == pytest.approx((3 + 3 * 0.8**2) / 2)
    m = ReIDAEDMetric(embedder=dict(type='_MeanColourEmbedder'),
                      mode='euclidean')
    res = _run(m, batch, _outputs(pred))
    assert res['AED'] == pytest.approx((3**0.5 + (3 * 0.64)**0.5) / 2)


def test_reid_resnet50_preprocessing_and_weights(tmp_path):
    import torchvision
    torch.manual_seed(0)
    net = ReIDResNet50()
    assert sum(p.numel() for p in net.parameters()) == 23_508_032
    white = [np.full((64, 32, 3), 255, np.uint8)]
    x = net.prepare(white)
    assert x.shape == (1, 3, 288, 144)
    mean = torch.tensor([0.485, 0.456, 0.406])
    std = torch.tensor([0.229, 0.224, 0.225])
    # divided by 255 twice, then ImageNet-normalised
    np.testing.assert_allclose(x[0, :, 0, 0], (1 / 255 - mean) / std,
                               rtol=1e-5)
    std_net = ReIDResNet50(preprocess='standard')
    np.testing.assert_allclose(std_net.prepare(white)[0, :, 0, 0],
                               (1 - mean) / std, rtol=1e-5)
    # per-image batch-norm statistics: an image's embedding does not
    # depend on the rest of the batch, and differs from running statistics
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (64, 32, 3), dtype=np.uint8)
            for _ in range(2)]
    alone = net(imgs[:1])
    both = net(imgs)
    np.testing.assert_allclose(both[:1], alone, rtol=1e-4, atol=1e-5)
    # ft_net checkpoint layout (model.*, bottleneck model.fc.*, classifier)
    ref = torchvision.models.resnet50(weights=None, num_classes=10)
    state = {f'model.{k}': v for k, v in ref.state_dict().items()
             if not k.startswith('fc.')}
    state['model.fc.0.weight'] = torch.zeros(512, 2048)
    state['classifier.0.weight'] = torch.zeros(751, 512)
    torch.save(state, tmp_path / 'reid_model.pth')
    loaded = ReIDResNet50(str(tmp_path / 'reid_model.pth'),
                          preprocess='standard')
    torch.testing.assert_close(loaded.net.conv1.weight, ref.conv1.weight)
    with pytest.raises(FileNotFoundError, match='reid_model.pth'):
        ReIDResNet50(str(tmp_path / 'missing.pth'))


# ------------------------------------------------------------ OpenPose
def test_openpose_body_net_layout_and_weights(tmp_path):
    torch.manual_seed(0)
    net = OpenPoseBodyNet()
    # the CMU COCO-18 body model (VGG-19 trunk, 6 stages, PAF + heatmaps)
    assert sum(p.numel() for p in net.parameters()) == 52_311_446
    keys = list(net.state_dict())
    assert keys[0] == 'model0.0.weight' and 'model6_2.12.bias' in keys
    paf, heat = net(torch.zeros(1, 3, 64, 48))
    assert paf.shape == (1, 38, 8, 6) and heat.shape == (1, 19, 8, 6)
    state = {f'module.{k}': v * 0 + i for i, (k, v) in
             enumerate(net.state_dict().items())}
    torch.save(state, tmp_path / 'pose_model.pth')
    loaded = OpenPoseBodyNet(str(tmp_path / 'pose_model.pth'))
    assert float(loaded.model6_2[12].bias[0]) == len(state) - 1
    with pytest.raises(FileNotFoundError, match='pose_model.pth'):
        OpenPoseBodyNet(str(tmp_path / 'nothing' / 'pose_model.pth'))
    # the PyTorch port of the CMU model uses caffe layer names
    names = net.caffe_names()
    assert names['model0.0.weight'] == 'conv1_1.weight'
    assert names['model0.25.bias'] == 'conv4_4_CPM.bias'
    assert names['model1_1.8.weight'] == 'conv5_5_CPM_L1.weight'
    assert names['model6_2.12.bias'] == 'Mconv7_stage6_L2.bias'
    assert len(names) == len(keys)
    caffe = {names[k]: v for k, v in state.items()
             for k in [k[len('module.'):]]}
    torch.save(caffe, tmp_path / 'body_pose_model.pth')
    loaded = OpenPoseBodyNet(str(tmp_path / 'body_pose_model.pth'))
    for k, v in loaded.state_dict().items():
        assert torch.equal(v, state[f'module.{k}'])


def test_heatmap_peaks_last_peak_and_window_refinement():
    hm = np.zeros((32, 32, 19))
    hm[5, 20, 2] = 0.9    # an earlier peak of joint 2 ...
    hm[10, 10, 2] = 0.5   # ... the last one (row-major) is kept,
    hm[9, 12, 2] = 0.6    # moved to its 5x5 window's maximum
    hm[20, 7, 0] = 0.05   # below the 0.1 threshold
    hm[3, 4, 17] = 0.3
    out = heatmap_peaks(hm)
    np.testing.assert_array_equal(out[2], [12, 9])
    np.testing.assert_array_equal(out[17], [4, 3])
    assert (out[0] == -1).all() and (out[1] == -1).all()


class _BrightnessNet(nn.Module):
    """Stand-in body net: every heatmap channel = the 8x8 mean brightness
    of the input (a bright square is a peak at its centre)."""

    def forward(self, x):
        heat = F.avg_pool2d(x.mean(1, keepdim=True) + 0.5, 8)
        return heat.new_zeros(1, 38, *heat.shape[-2:]), heat.repeat(
            1, 19, 1, 1)


def test_openpose_detector_geometry_and_flip():
    det = OpenPose18Detector(input_height=64)
    det.net = _BrightnessNet()
    frame = np.zeros((64, 64, 3), np.uint8)
    frame[16:24, 8:16] = 255  # left half: a wrong flip-back would win
    kps = det([frame])[0]
    np.testing.assert_allclose(kps, np.tile([[11.5, 19.5]], (18, 1)),
                               atol=1.0)
    # a 128-px frame is scaled to the 64-px network input and back
    big = cv2_resize_nearest(frame, 2)
    np.testing.assert_allclose(det([big])[0], np.tile([[23.5, 39.5]],
                                                      (18, 1)), atol=2.0)
    # random weights of the real network run end to end
    torch.manual_seed(0)
    real = OpenPose18Detector(input_height=64)
    out = real([frame])
    assert out.shape == (1, 18, 2)
    assert ((out == -1) | ((out >= 0) & (out < 64))).all()


def cv2_resize_nearest(img, factor):
    return np.repeat(np.repeat(img, factor, 0), factor, 1)


# ------------------------------------------------------------ L1, FID
def test_frame_l1_known_values():
    drv = np.full((2, 4, 4, 3), 255, np.uint8)
    pred = np.stack([np.zeros((4, 4, 3), np.uint8),
                     np.full((4, 4, 3), 255, np.uint8)])
    pred[0, :2] = 255  # half the pixels right
    batch = _batch(drv, modes=['reconstruction', 'reconstruction'])
    res = _run(FrameL1Metric(), batch, _outputs(pred))
    assert res['L1'] == pytest.approx((0.5 + 0.0) / 2)
    with pytest.raises(ValueError, match='generated frames are 2x2 but the '
                       'data frames are 4x4'):
        FrameL1Metric().process(batch, _outputs(pred[:, :2, :2]))
    # animation samples have no ground truth: skipped
    m = FrameL1Metric()
    m.process(_batch(drv, modes=['animation', 'animation']), _outputs(pred))
    assert m.results == []


def test_paired_fid_of_a_set_with_itself_is_zero():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    m = PairedFIDMetric(inception_size=75)
    res = _run(m, _batch(frames), _outputs(frames))
    assert abs(res['FID']) < 1e-3
    m = PairedFIDMetric(inception_size=75)
    res = _run(m, _batch(frames), _outputs(255 - frames))
    assert res['FID'] > 1e-2
