"""TransFusion / multi-view PPT models (spec F1, F2, F4, F5, F9)."""
import numpy as np
import pytest
import torch

from mmhuman_ext.geometry import pixel_rays, token_centers
from mmhuman_ext.models.data_preprocessors import \
    MultiViewPoseDataPreprocessor
from mmhuman_ext.registry import MODELS

CODEC_64 = dict(type='MSRAHeatmap', input_size=(256, 256),
                heatmap_size=(64, 64), sigma=2)


def transfusion_cfg(**neck):
    return dict(
        type='MultiViewTopdownPoseEstimator', view_mode='pairs',
        train_pair_map={0: 2, 1: 3, 2: 0, 3: 1}, test_pairs=[(0, 2), (1, 3)],
        backbone=dict(type='ResNet', depth=50, num_stages=2,
                      out_indices=(1, ), strides=(1, 2), dilations=(1, 1)),
        neck=dict(type='CrossViewTransformerNeck', **neck),
        head=dict(type='HeatmapHead', in_channels=256, out_channels=17,
                  deconv_out_channels=(256, ), deconv_kernel_sizes=(4, ),
                  conv_out_channels=None,
                  loss=dict(type='KeypointMSELoss', use_target_weight=True,
                            loss_weight=17.), decoder=CODEC_64),
        epipolar_loss=dict(type='EpipolarFieldLoss'))


def mvppt_cfg(**head):
    cfg = dict(
        type='MultiViewTopdownPoseEstimator', view_mode='all',
        backbone=dict(
            type='TruncatedHRNet', num_stages=1, in_channels=3,
            extra=dict(stage1=dict(num_modules=1, num_branches=1,
                                   block='BOTTLENECK', num_blocks=(4, ),
                                   num_channels=(64, )))),
        head=dict(type='MultiViewPPTHead', in_channels=256,
                  feat_size=(64, 64), patch_size=(4, 4), num_keypoints=17,
                  embed_dims=192, depth=12, num_heads=8, mlp_ratio=3,
                  qk_scale='dim', prune_layers=(3, 6, 9), keep_ratio=0.7,
                  fusion_start_layer=10, use_3d_pe=True,
                  heatmap_size=(64, 64), decoder=CODEC_64))
    cfg['head'].update(head)
    return cfg


def trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_full_size_parameter_counts():
    """Spec A2.5 / B2.8; the headline models (4,999,761 and 7,761,600) are
    built from their configs in tests/test_configs/test_multiview_configs.py.
    """
    learn = MODELS.build(transfusion_cfg(pe_3d='learnable'))
    assert trainable(learn.neck) == 131_072 + 3 * 789_760 + 2 * 1024 * 256
    assert trainable(learn) == 4_999_761 - 1_024 + 2 * 1024 * 256
    assert trainable(MODELS.build(mvppt_cfg(use_3d_pe=False))) == 7_760_832


# ----------------------------------------------------------------- tiny

def random_cameras(B, V, seed=0):
    """Cameras in a ring looking at the origin, K for a 64x64 crop."""
    g = np.random.default_rng(seed)
    R, T, K = [], [], []
    for _ in range(B * V):
        az = g.uniform(0, 2 * np.pi)
        c = np.array([4000 * np.cos(az), 4000 * np.sin(az),
                      g.uniform(500, 1500)])
        f = -c / np.linalg.norm(c)
        r = np.cross(f, [0, 0, 1.])
        r /= np.linalg.norm(r)
        R.append(np.stack([r, np.cross(f, r), f]))
        T.append(c)
        K.append(np.array([[80., 0, 32], [0, 80., 32], [0, 0, 1]]))
    cam = dict(R=np.stack(R), T=np.stack(T), K=np.stack(K))
    return {k: torch.tensor(v).view(B, V, *v.shape[1:]) for k, v in
            cam.items()}


def rays_for(cam, grid, stride):
    pix = token_centers(grid, grid, stride)
    return pixel_rays(pix, cam).float()  # (B, V, N, 3)


def tiny_neck(**kw):
    cfg = dict(type='CrossViewTransformerNeck', in_channels=16,
               embed_dims=32, num_layers=2, num_heads=4, ffn_dim=64,
               dropout=0., feat_size=(4, 4))
    cfg.update(kw)
    return MODELS.build(cfg).eval()


def test_neck_fuses_views_only_with_fusion():
    torch.manual_seed(0)
    feats = torch.randn(4, 16, 4, 4)  # B=2 groups of 2 views
    cam = random_cameras(2, 2)
    rays = rays_for(cam, 4, 16)
    assert rays.shape == (2, 2, 16, 3)
    for fusion in (True, False):
        neck = tiny_neck(fusion=fusion)
        (out, ), gpe = neck((feats, ), rays, 2)
        assert out.shape == (4, 32, 4, 4) and gpe.shape == (2, 2, 16, 32)
        other = feats.clone()
        other[1] += 1.  # second view of group 0
        (out2, ), _ = neck((other, ), rays, 2)
        changed = not torch.allclose(out[0], out2[0], atol=1e-6)
        assert changed == fusion
        assert torch.allclose(out[2:], out2[2:], atol=1e-6)  # group 1
    # the GPE is the ray encoding; changing the camera changes view tokens
    neck = tiny_neck()
    (a, ), _ = neck((feats, ), rays, 2)
    (b, ), _ = neck((feats, ), rays.flip(-1), 2)
    assert not torch.allclose(a, b)
    with pytest.raises(ValueError, match='ray_dirs of shape'):
        neck((feats, ), None, 2)
    assert tiny_neck(pe_3d='none')((feats, ), None, 2)[1] is None


def test_epipolar_loss_target_and_training():
    loss = MODELS.build(dict(type='EpipolarFieldLoss', target='transposed'))
    cam = random_cameras(3, 2, seed=1)
    rays = rays_for(cam, 6, 10).double()
    c = cam['T']
    t12 = loss.target(rays[:, 0], rays[:, 1], c[:, 0], c[:, 1])
    t21 = loss.target(rays[:, 1], rays[:, 0], c[:, 1], c[:, 0])
    assert t12.shape == (3, 36, 36)
    assert torch.allclose(t12, t21.transpose(1, 2))  # symmetric target
    assert t12.min() >= 1e-5 and t12.max() <= 1
    # only the GPE linear is trained: L_pos goes down
    torch.manual_seed(0)
    enc = MODELS.build(dict(type='CameraRayEncoding', embed_dims=16))
    opt = torch.optim.Adam(enc.parameters(), lr=3e-2)
    r, cc = rays.float(), c.float()
    history = []
    for _ in range(60):
        e = enc(r)
        value = loss(e[:, 0], e[:, 1], r[:, 0], r[:, 1], cc[:, 0], cc[:, 1])
        opt.zero_grad()
        value.backward()
        opt.step()
        history.append(value.item())
    assert np.mean(history[-10:]) < 0.6 * np.mean(history[:10])
    raw = MODELS.build(dict(type='EpipolarFieldLoss',
                            normalize_embeddings=False, target='one_way'))
    e = torch.ones(1, 4, 2)
    # raw dot product = 2 everywhere, target <= 1
    assert raw(e, e, r[:1, 0, :4], r[:1, 1, :4], cc[:1, 0],
               cc[:1, 1]) >= 1.


def test_estimator_calls_heads_by_their_declared_kind():
    """A head that subclasses MultiViewHead gets (feats, V, rays) whatever
    its attributes; any other head gets the per-view features."""
    from torch import nn

    from mmhuman_ext.models.heads import MultiViewHead

    calls = []

    class ProbeMultiViewHead(nn.Module, MultiViewHead):

        def __init__(self):
            super().__init__()
            self.decoder = None

        @property
        def requires_rays(self):
            return True

        def forward(self, feats, num_views, ray_dirs):
            calls.append((feats[-1].shape[0], num_views,
                          tuple(ray_dirs.shape)))
            return feats[-1].new_zeros(feats[-1].shape[0], 5, 4, 4)

    class ProbePerViewHead(nn.Module):
        fusion_start_layer = 10  # a look-alike attribute changes nothing

        def forward(self, feats):
            calls.append(feats[-1].shape[0])
            return feats[-1].new_zeros(feats[-1].shape[0], 5, 4, 4)

    for head in (ProbeMultiViewHead, ProbePerViewHead):
        MODELS.register_module(module=head, force=True)
    model = MODELS.build(
        dict(type='MultiViewTopdownPoseEstimator', view_mode='all',
             backbone=dict(type='mmpose.ResNet', depth=18, num_stages=1,
                           base_channels=8, stem_channels=8,
                           out_indices=(0, ), strides=(1, ),
                           dilations=(1, )),
             head=dict(type='ProbeMultiViewHead'))).eval()
    assert model.head_fuses_views
    inputs = torch.randn(2, 3, 3, 32, 32)
    samples = [
        type('S', (), dict(ray_dirs=torch.randn(3, 16, 3), metainfo={}))()
        for _ in range(2)
    ]
    model(inputs, samples)
    assert calls == [(6, 3, (2, 3, 16, 3))]
    calls.clear()
    model = MODELS.build(
        dict(type='MultiViewTopdownPoseEstimator', view_mode='all',
             backbone=dict(type='mmpose.ResNet', depth=18, num_stages=1,
                           base_channels=8, stem_channels=8,
                           out_indices=(0, ), strides=(1, ),
                           dilations=(1, )),
             head=dict(type='ProbePerViewHead'))).eval()
    assert not model.head_fuses_views
    model(inputs, samples)
    assert calls == [6]


def tiny_mvppt(**kw):
    cfg = dict(type='MultiViewPPTHead', in_channels=8, feat_size=(64, 64),
               patch_size=(4, 4), num_keypoints=5, embed_dims=32, depth=12,
               num_heads=4, mlp_ratio=2, qk_scale='dim',
               prune_layers=(3, 6, 9), keep_ratio=0.7, fusion_start_layer=10,
               use_3d_pe=True, heatmap_size=(16, 16))
    cfg.update(kw)
    return MODELS.build(cfg).eval()


def test_mvppt_head_token_counts_and_fusion():
    torch.manual_seed(0)
    head = tiny_mvppt()
    feats = torch.randn(4, 8, 64, 64)  # one sample, 4 views
    rays = rays_for(random_cameras(1, 4), 16, 16)
    seen = []
    head.transformer.layers[10].register_forward_pre_hook(
        lambda m, args: seen.append(args[0].shape))
    out = head((feats, ), 4, rays)
    assert out.shape == (4, 5, 16, 16)
    assert seen[-1] == (1, 4 * 5 + 4 * 89, 32)
    head.keep_ratio = 1.
    head((feats, ), 4, rays)
    assert seen[-1] == (1, 4 * (5 + 256), 32)
    head.keep_ratio = 0.7
    # fusion: another view's image changes view 0's output
    other = feats.clone()
    other[3] = torch.randn(8, 64, 64)
    assert not torch.allclose(head((other, ), 4, rays)[0], out[0])
    no_fuse = tiny_mvppt(fusion_start_layer=12)
    a = no_fuse((feats, ), 4, rays)[0]
    assert torch.allclose(no_fuse((other, ), 4, rays)[0], a)
    with pytest.raises(ValueError, match='HTI runs only'):
        tiny_mvppt(fusion_start_layer=9)


def test_mvppt_single_view_equals_ppt_head():
    torch.manual_seed(0)
    mv = tiny_mvppt(use_3d_pe=False)
    cfg = dict(type='PPTHead', in_channels=8, feat_size=(64, 64),
               patch_size=(4, 4), num_keypoints=5, embed_dims=32, depth=12,
               num_heads=4, mlp_ratio=2, qk_scale='dim',
               prune_layers=(3, 6, 9), keep_ratio=0.7, heatmap_size=(16, 16))
    single = MODELS.build(cfg).eval()
    single.load_state_dict(mv.state_dict())
    feats = torch.randn(2, 8, 64, 64)
    assert torch.allclose(mv((feats, ), 1), single((feats, )), atol=1e-6)


def tiny_transfusion(**kw):
    cfg = dict(
        type='MultiViewTopdownPoseEstimator', view_mode='pairs',
        train_pair_map={0: 2, 1: 3, 2: 0, 3: 1}, test_pairs=[(0, 2), (1, 3)],
        num_views=4,
        data_preprocessor=dict(type='MultiViewPoseDataPreprocessor'),
        backbone=dict(type='ResNet', depth=18, num_stages=2,
                      out_indices=(1, ), strides=(1, 2), dilations=(1, 1),
                      base_channels=8, stem_channels=8),
        neck=dict(type='CrossViewTransformerNeck', in_channels=16,
                  embed_dims=32, num_layers=1, num_heads=4, ffn_dim=64,
                  dropout=0., feat_size=(4, 4)),
        head=dict(type='HeatmapHead', in_channels=32, out_channels=5,
                  deconv_out_channels=(32, ), deconv_kernel_sizes=(4, ),
                  conv_out_channels=None,
                  loss=dict(type='KeypointMSELoss', use_target_weight=True,
                            loss_weight=5.),
                  decoder=dict(type='MSRAHeatmap', input_size=(32, 32),
                               heatmap_size=(8, 8), sigma=1)),
        epipolar_loss=dict(type='EpipolarFieldLoss'))
    cfg.update(kw)
    return MODELS.build(cfg)


def fake_samples(B, V, grid=4, stride=8, K=5, hm=8):
    from mmhuman_ext.datasets.transforms.multiview_transforms import \
        MultiViewPoseDataSample
    cam = random_cameras(B, V, seed=3)
    rays = rays_for(cam, grid, stride)
    out = []
    for b in range(B):
        ds = MultiViewPoseDataSample()
        ds.gt_heatmaps = torch.rand(V, K, hm, hm)
        ds.keypoint_weights = torch.ones(V, K)
        ds.ray_dirs = rays[b]
        ds.cam_centers = cam['T'][b].float()
        A = np.tile(np.array([[[0.5, 0., 3.], [0., 0.5, -2.]]]), (V, 1, 1))
        ds.set_metainfo(dict(sample_key=f's{b}', img_affine=A))
        out.append(ds)
    return out


def test_transfusion_pairs_loss_predict():
    torch.manual_seed(0)
    model = tiny_transfusion()
    samples = fake_samples(2, 4)
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 255, (4, 3, 32, 32), dtype=torch.uint8)
                     for _ in range(2)], data_samples=samples))
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_kpt', 'loss_pos'}
    assert losses['loss_pos'] > 0
    sum(losses.values()).backward()
    assert model.neck.ray_encoding.proj.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        hm = model(data['inputs'], samples, mode='tensor')
        # each view's output comes from its own test pair
        pair = model._forward_groups(
            data['inputs'], torch.tensor([[[1, 3]]]).expand(2, 1, 2),
            torch.stack([s.ray_dirs for s in samples]))[0]
        assert torch.allclose(hm[:, 1], pair[:, 0, 0], atol=1e-5)
        assert torch.allclose(hm[:, 3], pair[:, 0, 1], atol=1e-5)
        out = model(data['inputs'], samples, mode='predict')
    kin, korig = out[0].pred_keypoints_input, out[0].pred_keypoints
    assert kin.shape == (4, 5, 2) and out[0].pred_scores.shape == (4, 5)
    # original = inverse of the affine x' = 0.5 x + (3, -2)
    assert np.allclose(korig, (kin - [3., -2.]) / 0.5)
    bad = tiny_transfusion(test_pairs=[(0, 1), (1, 3)])
    with pytest.raises(ValueError, match='cover each'):
        bad(data['inputs'], samples, mode='tensor')
    with pytest.raises(ValueError, match=r"\['s0', 's1'\] have 3 views.*"
                       'num_views=4'):
        model(data['inputs'][:, :3], samples, mode='tensor')


def test_data_preprocessor_normalises_and_names_bad_samples():
    pre = MultiViewPoseDataPreprocessor(mean=[1., 2., 3.], std=[2., 2., 2.],
                                        bgr_to_rgb=True)
    img = torch.zeros(2, 3, 4, 4, dtype=torch.uint8)
    img[:, 0] = 7  # B channel of BGR
    out = pre(dict(inputs=[img, img], data_samples=None))
    assert out['inputs'].shape == (2, 2, 3, 4, 4)
    assert torch.allclose(out['inputs'][0, 0, 2], torch.tensor(2.))
    samples = fake_samples(2, 2)
    with pytest.raises(ValueError, match=r's1: \(2, 3, 8, 4\)'):
        pre(dict(inputs=[img, torch.zeros(2, 3, 8, 4, dtype=torch.uint8)],
                 data_samples=samples))


def test_mvppt_overfits_tiny_multiview():
    """Spec F14 (reduced): a tiny MV-PPT fits 2 samples x 2 views."""
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='MultiViewTopdownPoseEstimator', view_mode='all',
        data_preprocessor=dict(type='MultiViewPoseDataPreprocessor'),
        backbone=dict(type='ResNet', depth=18, num_stages=1,
                      out_indices=(0, ), strides=(1, ), dilations=(1, ),
                      base_channels=8, stem_channels=8),
        head=dict(type='MultiViewPPTHead', in_channels=8, feat_size=(8, 8),
                  patch_size=(2, 2), num_keypoints=3, embed_dims=32,
                  depth=4, num_heads=4, mlp_ratio=2, qk_scale='head',
                  prune_layers=(1, ), keep_ratio=0.7, fusion_start_layer=3,
                  heatmap_size=(8, 8),
                  loss=dict(type='KeypointMSELoss', use_target_weight=True,
                            loss_weight=3.))))
    samples = fake_samples(2, 2, grid=4, stride=8, K=3, hm=8)
    for ds, (y, x) in zip(samples, [(2, 3), (5, 6)]):
        target = torch.zeros(2, 3, 8, 8)
        for j in range(3):
            target[:, j, (y + j) % 8, x] = 1.
        ds.gt_heatmaps = target
    imgs = [torch.randint(0, 255, (2, 3, 32, 32), dtype=torch.uint8)
            for _ in range(2)]
    data = model.data_preprocessor(dict(inputs=imgs, data_samples=samples))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(40):
        loss = model(**data, mode='loss')['loss_kpt']
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.3 * first


def test_transfusion_all_views_any_count():
    """Three views fused at once ('all'): L_pos averages the 3 view pairs."""
    torch.manual_seed(0)
    model = tiny_transfusion(view_mode='all', num_views=3)
    samples = fake_samples(2, 3)
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 255, (3, 3, 32, 32), dtype=torch.uint8)
                     for _ in range(2)], data_samples=samples))
    losses = model(**data, mode='loss')
    pe = model.neck.ray_encoding(torch.stack([s.ray_dirs for s in samples]))
    rays = torch.stack([s.ray_dirs for s in samples])
    cent = torch.stack([s.cam_centers for s in samples])
    want = sum(model.epipolar_loss(pe[:, i], pe[:, j], rays[:, i],
                                   rays[:, j], cent[:, i], cent[:, j])
               for i, j in ((0, 1), (0, 2), (1, 2))) / 3
    assert torch.allclose(losses['loss_pos'], want)
    model.eval()
    with torch.no_grad():
        assert model(data['inputs'], samples,
                     mode='tensor').shape == (2, 3, 5, 8, 8)
