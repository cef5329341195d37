"""STMOHead: two-branch loss, flip-test averaging, decoding."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from mmhuman_ext.models.heads.stmo_head import unflip_poses
from mmhuman_ext.registry import MODELS

FLIP = [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12, 13]
CODEC = dict(type='SeqPoseLifting', num_keypoints=17, root_index=0)


def samples(batch, seq_len, rng):
    out = []
    for _ in range(batch):
        s = PoseDataSample()
        labels = InstanceData()
        labels.lifting_target_label = torch.tensor(
            rng.normal(size=(1, 17, 3)), dtype=torch.float32)
        labels.lifting_target_weight = torch.ones(1, 17)
        labels.lifting_target_label_seq = torch.tensor(
            rng.normal(size=(1, seq_len, 17, 3)), dtype=torch.float32)
        s.gt_instance_labels = labels
        s.set_metainfo(
            dict(flip_indices=FLIP, target_root=rng.normal(size=(1, 3))))
        out.append(s)
    return out


def test_loss_is_centre_plus_weighted_all_frame_mpjpe():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    head = MODELS.build(
        dict(
            type='STMOHead',
            in_channels=8,
            multi_frame_weight=0.5,
            decoder=CODEC)).eval()
    feats = (torch.randn(3, 9, 8), torch.randn(3, 1, 8))
    data = samples(3, 9, rng)
    losses = head.loss(feats, data)
    single, multi = head(feats)
    assert single.shape == (3, 1, 17, 3) and multi.shape == (3, 9, 17, 3)
    target = torch.stack(
        [d.gt_instance_labels.lifting_target_label for d in data])
    target_seq = torch.cat(
        [d.gt_instance_labels.lifting_target_label_seq for d in data])
    expected_single = (single - target).norm(dim=-1).mean()
    expected_multi = (multi - target_seq).norm(dim=-1).mean()
    torch.testing.assert_close(losses['loss_single'], expected_single)
    torch.testing.assert_close(losses['loss_multi'], 0.5 * expected_multi)
    # a missing all-frame label is reported, not broadcast silently
    for d in data:
        d.gt_instance_labels.lifting_target_label_seq = torch.zeros(
            1, 5, 17, 3)
    with pytest.raises(ValueError, match='lifting_target_label_seq'):
        head.loss(feats, data)


def test_predict_unflips_averages_zeroes_root_and_adds_target_root():
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    head = MODELS.build(dict(type='STMOHead', in_channels=8,
                             decoder=CODEC)).eval()
    feats = (torch.randn(2, 9, 8), torch.randn(2, 1, 8))
    feats_flip = (torch.randn(2, 9, 8), torch.randn(2, 1, 8))
    data = samples(2, 9, rng)
    preds = head.predict([feats, feats_flip], data)
    with torch.no_grad():
        plain = head(feats)[0]
        flipped = head(feats_flip)[0][:, :, FLIP] * torch.tensor([-1., 1, 1])
    expected = (plain + flipped) / 2
    expected[:, :, 0] = 0
    for pred, d, e in zip(preds, data, expected):
        root = d.metainfo['target_root']
        np.testing.assert_allclose(
            pred.keypoints, e.numpy() + root, rtol=1e-5, atol=1e-6)
    # without flip test only the plain branch is used
    single = head.predict(feats, data)
    np.testing.assert_allclose(
        single[0].keypoints[0, 1:] - data[0].metainfo['target_root'],
        plain[0, 0, 1:].numpy(),
        rtol=1e-5,
        atol=1e-6)


def test_flip_tta_of_a_flip_equivariant_model_equals_plain_output():
    """For an exactly flip-equivariant map, flip TTA changes nothing."""
    x = torch.randn(4, 17, 3)
    mirror = unflip_poses(x, FLIP)

    # f(x) = x + mirror(mirror(x)) is equivariant: f(mirror(x)) = mirror(f(x))

    def f(p):
        return p + unflip_poses(unflip_poses(p, FLIP), FLIP)

    tta = (f(x) + unflip_poses(f(mirror), FLIP)) / 2
    torch.testing.assert_close(tta, f(x))
    torch.testing.assert_close(unflip_poses(mirror, FLIP), x)
