"""CSIM's ArcFace IResNet and IQA's HyperIQA: release weight layouts, the
crop protocol, and the cross-identity metric built on them."""
import pytest
import torch

from mmhuman_ext.evaluation.functional.face_metric_nets import (
    ArcFaceEmbedder, HyperIQA)
from mmhuman_ext.evaluation.metrics.reenact_metrics import CrossReenactMetric


def test_arcface_iresnet_layout_and_file(tmp_path):
    net = ArcFaceEmbedder(depth=100)
    sd = net.state_dict()
    # insightface arcface_torch IResNet-100: 3/13/30/3 blocks, 512-d
    assert 'layer3.29.bn3.running_var' in sd and 'layer3.30.bn1.weight' \
        not in sd
    assert sd['layer1.0.downsample.0.weight'].shape == (64, 64, 1, 1)
    assert sd['layer2.0.prelu.weight'].shape == (128, )
    assert sd['fc.weight'].shape == (512, 512 * 7 * 7)
    assert sd['features.running_mean'].shape == (512, )
    small = ArcFaceEmbedder(depth=18)
    with torch.no_grad():
        for p in small.parameters():
            p.normal_(0, 0.05)
    torch.save({f'module.{k}': v for k, v in small.state_dict().items()},
               tmp_path / 'backbone.pth')
    again = ArcFaceEmbedder(depth=18, ckpt=str(tmp_path / 'backbone.pth'))
    x = torch.rand(2, 3, 128, 128) * 2 - 1
    e = again.embed(x)
    assert e.shape == (2, 512) and torch.equal(e, small.embed(x))
    assert not any(p.requires_grad for p in again.parameters())
    with pytest.raises(FileNotFoundError, match='insightface'):
        ArcFaceEmbedder(depth=18, ckpt=str(tmp_path / 'none.pth'))


def test_hyperiqa_pyiqa_layout_and_crops(tmp_path):
    net = HyperIQA(num_crops=4)
    sd = net.state_dict()
    shapes = {
        'base_model.layer4.2.bn3.running_var': (2048, ),
        'lda_modules.0.0.weight': (16, 256, 1, 1),
        'lda_modules.0.3.weight': (16, 16 * 64),
        'lda_modules.2.3.weight': (16, 64 * 4),
        'lda_modules.3.2.weight': (224 - 48, 2048),
        'fc_w_modules.0.weight': (224 * 112 // 49, 112, 3, 3),
        'fc_w_modules.3.weight': (28 * 14 // 49, 112, 3, 3),
        'fc_w_modules.4.2.weight': (14, 112),
        'fc_b_modules.4.2.weight': (1, 112),
        'conv1.4.weight': (112, 512, 1, 1),
    }
    for key, shape in shapes.items():
        assert tuple(sd[key].shape) == shape, key
    assert not any(k.startswith('base_model.fc') for k in sd)
    g = torch.Generator().manual_seed(0)
    torch.save(dict(params=net.state_dict()), tmp_path / 'hyperiqa.pth')
    loaded = HyperIQA(ckpt=str(tmp_path / 'hyperiqa.pth'), num_crops=4)
    x = torch.rand(2, 3, 240, 250, generator=g)
    # 2 x 2 crops of 224 on a uniform grid: steps (240-224)//2, (250-224)//2
    crops = [x[..., i * 8:i * 8 + 224, j * 13:j * 13 + 224]
             for i in range(2) for j in range(2)]
    with torch.no_grad():
        expect = torch.stack([loaded.forward_patch(c) for c in crops]).mean(0)
    score = loaded.score(x)
    assert score.shape == (2, ) and torch.allclose(score, expect, atol=1e-5)
    assert (score[0] - score[1]).abs() > 0  # the score depends on the image


def test_cross_metric_face_crop_iqa_and_target_reference():
    g = torch.Generator().manual_seed(0)
    imgs = torch.rand(3, 3, 64, 64, generator=g)
    tform = torch.diag(torch.tensor([224 / 128, 224 / 128, 1.]))  # frame

    def samples(pred):
        return [dict(pred_img=pred[i] * 2 - 1, src_img=imgs[i] * 2 - 1,
                     gt_img=imgs[i] * 2 - 1, gt_mask=torch.ones(1, 64, 64),
                     pred_mask=torch.ones(1, 64, 64), drv_tform=tform,
                     frame_size=(128, 128)) for i in range(3)]

    m = CrossReenactMetric(inception_size=75, reference='target',
                           id_embedder=dict(type='ArcFaceEmbedder', depth=18),
                           iqa=dict(type='HyperIQA', num_crops=1))
    m.process(None, samples(imgs))
    same = m.compute_metrics(m.results)
    assert same['CSIM'] == pytest.approx(1, abs=1e-5)
    assert 'IQA' in same
    # outputs equal to the references: FID 0 up to rounding (random-weight
    # Inception features are huge, so relative to their squared norm)
    scale = max(float((r['fake'].astype('float64')**2).sum())
                for r in m.results)
    assert abs(same['FID']) < 1e-9 * scale
    # the face crop: only the crop region of the images reaches the embedder
    outside = imgs.clone()
    outside[..., 40:, :] = 0  # rows below the crop (frame rows >= 80)
    crop_only = CrossReenactMetric(
        inception_size=75, id_embedder=dict(type='ArcFaceEmbedder', depth=18))
    crop_only.embedder.load_state_dict(m.embedder.state_dict())
    tform_top = torch.tensor([[224 / 64, 0, 0], [0, 224 / 64, 0], [0, 0, 1.]])
    rows = [dict(s, drv_tform=tform_top) for s in samples(outside)]
    crop_only.process(None, rows)
    assert crop_only.compute_metrics(crop_only.results)['CSIM'] == \
        pytest.approx(1, abs=1e-5)
    with pytest.raises(ValueError, match='reference'):
        CrossReenactMetric(reference='driver')
