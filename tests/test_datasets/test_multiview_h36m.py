"""Multi-view Human3.6M / Ski-Pose loading and camera-exact view transforms
(spec F13; bad input)."""
import math
import pickle

import cv2
import numpy as np
import pytest
import torch

from mmhuman_ext.datasets import MultiViewH36MDataset, MultiViewSkiPoseDataset
from mmhuman_ext.datasets.multiview_h36m import MultiViewAnnotationError
from mmhuman_ext.geometry import project_points
from mmhuman_ext.geometry.camera import camera_from_toolbox
from mmhuman_ext.registry import TRANSFORMS

H36M_FLIP = [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12, 13]


def toolbox_rig(num_views, seed=0, unit=1.):
    rng = np.random.default_rng(seed)
    cams = []
    for v in range(num_views):
        az = 2 * math.pi * (v + 0.5) / num_views
        c = np.array([5000 * math.cos(az), 5000 * math.sin(az), 1500.])
        f = np.array([0., 0., 900.]) - c
        f /= np.linalg.norm(f)
        r = np.cross(f, [0, 0, 1.])
        r /= np.linalg.norm(r)
        cams.append(dict(
            R=np.stack([r, np.cross(f, r), f]), T=(c * unit).reshape(3, 1),
            fx=1145. + v, fy=1144. - v, cx=500. + 3 * v, cy=505. - 2 * v,
            k=np.array([[-0.2], [0.2], [-0.003]]),
            p=rng.uniform(-1e-3, 1e-3, (2, 1))))
    return cams


def body(seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform([-300, -300, 100], [300, 300, 1700], (17, 3))
    X[0] = [0., 0., 950.]
    return X


def write_fake(tmp_path, groups, num_views=4, unit=1., img_hw=(1002, 1000),
               blob=False):
    """Records for (subject, action, subaction, frame, cameras) groups."""
    cams = toolbox_rig(num_views, unit=unit)
    records = []
    (tmp_path / 'images').mkdir(exist_ok=True)
    for gi, (s, a, sa, fr, cam_ids) in enumerate(groups):
        X = body(gi)
        for c in cam_ids:
            ours = {k: torch.as_tensor(v) for k, v in
                    camera_from_toolbox(cams[c]).items()}
            j2d = project_points(torch.tensor(X), ours).numpy()
            xc = (X - cams[c]['T'].reshape(3) / unit) @ cams[c]['R'].T
            name = f's_{s:02d}_act_{a:02d}_subact_{sa:02d}_ca_{c + 1:02d}_' \
                   f'{fr:06d}.png'
            img = np.zeros(img_hw + (3, ), np.uint8)
            if blob:  # a Gaussian spot at joint 0
                yy, xx = np.mgrid[:img_hw[0], :img_hw[1]]
                g = np.exp(-((xx - j2d[0, 0])**2 + (yy - j2d[0, 1])**2) /
                           (2 * 12.**2))
                img[..., 1] = (255 * g).astype(np.uint8)
            cv2.imwrite(str(tmp_path / 'images' / name), img)
            lo, hi = j2d.min(0) - 40, j2d.max(0) + 40
            records.append(dict(
                image=name, joints_2d=j2d, joints_3d_camera=xc * unit,
                joints_vis=np.ones((17, 3)), box=np.r_[lo, hi],
                camera=cams[c], camera_id=c, subject=s, action=a,
                subaction=sa, image_id=fr, video_id=gi, source='h36m'))
    ann = tmp_path / 'annot.pkl'
    with open(ann, 'wb') as f:
        pickle.dump(records, f)
    return str(ann), records


GROUPS = [(1, 2, 1, 1, range(4)), (1, 2, 1, 6, range(4)),
          (9, 5, 2, 1, range(4)),  # damaged S9 Greeting-2
          (1, 3, 1, 1, range(3))]  # camera 3 missing


def test_grouping_subsampling_and_damaged_filter(tmp_path):
    ann, recs = write_fake(tmp_path, GROUPS, img_hw=(8, 8))
    ds = MultiViewH36MDataset(ann_file=ann, data_root=str(tmp_path),
                              data_prefix=dict(img='images/'))
    assert len(ds) == 2
    info = ds.get_data_info(1)
    assert [v['camera_id'] for v in info['views']] == [0, 1, 2, 3]
    assert info['image_id'] == 6 and info['action_name'] == 'Directions'
    assert np.allclose(info['keypoints_3d'], body(1), atol=1e-3)
    assert info['views'][2]['img_path'].endswith('ca_03_000006.png')
    assert len(MultiViewH36MDataset(ann_file=ann, with_damaged=True)) == 3
    assert len(MultiViewH36MDataset(ann_file=ann, stride=2)) == 1
    with pytest.raises(MultiViewAnnotationError,
                       match=r'no instant has all 5 cameras.*\[0, 1, 2, 3\]'):
        MultiViewH36MDataset(ann_file=ann, num_views=5)


def test_skipose_metres_become_mm(tmp_path):
    groups = [(0, 0, 0, i, range(6)) for i in range(2)]
    ann, _ = write_fake(tmp_path, groups, num_views=6, unit=1e-3,
                        img_hw=(8, 8))
    ds = MultiViewSkiPoseDataset(ann_file=ann)
    assert len(ds) == 2 and len(ds[0]['views']) == 6
    info = ds.get_data_info(0)
    assert np.allclose(info['keypoints_3d'], body(0), atol=1e-2)
    assert np.allclose(info['views'][0]['camera']['T'],
                       toolbox_rig(6)[0]['T'].reshape(3), atol=1e-6)


def test_bad_annotation_records_are_named(tmp_path):
    ann, recs = write_fake(tmp_path, GROUPS[:1], img_hw=(8, 8))
    bad = [dict(r) for r in recs]
    bad[2] = dict(bad[2], camera={k: v for k, v in bad[2]['camera'].items()
                                  if k != 'fx'})
    with open(ann, 'wb') as f:
        pickle.dump(bad, f)
    with pytest.raises(MultiViewAnnotationError, match=r"record 2.*'fx'"):
        MultiViewH36MDataset(ann_file=ann)
    bad[2] = dict(recs[2], camera=dict(recs[2]['camera'], R=np.eye(2)))
    with open(ann, 'wb') as f:
        pickle.dump(bad, f)
    with pytest.raises(MultiViewAnnotationError, match=r"record 2.*'R' must"):
        MultiViewH36MDataset(ann_file=ann)
    bad[2] = {k: v for k, v in recs[2].items() if k != 'joints_2d'}
    with open(ann, 'wb') as f:
        pickle.dump(bad, f)
    with pytest.raises(MultiViewAnnotationError,
                       match=r"record 2 lacks field\(s\) \['joints_2d'\]"):
        MultiViewH36MDataset(ann_file=ann)


def view_pipeline(size=128, flip=True, rotate=True):
    codec = dict(type='MSRAHeatmap', input_size=(size, size),
                 heatmap_size=(size // 4, size // 4), sigma=2)
    steps = [dict(type='LoadImage'), dict(type='CropImageRows', max_rows=1000),
             dict(type='GetBBoxCenterScale', padding=1.0)]
    if flip:
        steps.append(dict(type='RandomFlip', prob=1.0,
                          direction='horizontal'))
    if rotate:
        steps.append(dict(type='RandomBBoxTransform', shift_prob=0.,
                          rotate_prob=1., rotate_factor=40.,
                          scale_factor=(0.8, 1.2)))
    steps += [dict(type='TopdownAffine', input_size=(size, size)),
              dict(type='GenerateTarget', encoder=codec),
              dict(type='ComputeCameraRays', stride=16)]
    return steps


@pytest.mark.parametrize('flip', [False, True])
def test_transforms_keep_projection_exact(tmp_path, flip):
    ann, _ = write_fake(tmp_path, GROUPS[:1], blob=True)
    ds = MultiViewH36MDataset(
        ann_file=ann, data_root=str(tmp_path),
        pipeline=[dict(type='ApplyToViews',
                       transforms=view_pipeline(flip=flip))])
    np.random.seed(0)
    out = ds[0]
    X = torch.tensor(out['keypoints_3d'], dtype=torch.float64)
    order = H36M_FLIP if flip else list(range(17))
    for view in out['views']:
        assert view['img'].shape == (128, 128, 3)
        cam = {k: torch.as_tensor(v) for k, v in view['camera'].items()}
        proj = project_points(X, cam).numpy()
        kp = view['transformed_keypoints'][0]
        # joint k lands on label flip_indices[k] after a flip
        assert np.abs(proj - kp[order]).max() < 1e-2
        # ... and on the image: the spot drawn at joint 0
        g = view['img'][..., 1].astype(np.float64)
        g = np.where(g > 0.3 * g.max(), g, 0)
        yy, xx = np.mgrid[:128, :128]
        centroid = np.array([(g * xx).sum(), (g * yy).sum()]) / g.sum()
        assert np.linalg.norm(centroid - proj[0]) < 1.
        # heatmap peak at the transformed joint (heatmap stride 4)
        hm = view['heatmaps'][order[1]]
        peak = np.unravel_index(hm.argmax(), hm.shape)[::-1]
        assert np.abs(np.array(peak) * 4 - proj[1]).max() <= 4.
        # rays: token pixel -> original pixel -> original camera ray
        A = np.vstack([view['img_affine'], [0, 0, 1]])
        orig_cam = {k: torch.as_tensor(v) for k, v in
                    view['camera_orig'].items()}
        tok = np.array([[7.5, 7.5], [119.5, 39.5]])
        back = (np.linalg.inv(A) @ np.c_[tok, np.ones(2)].T).T[:, :2]
        from mmhuman_ext.geometry import pixel_rays
        want = pixel_rays(torch.tensor(back), orig_cam).numpy()
        assert np.allclose(view['ray_dirs'][[0, 8 * 2 + 7]], want, atol=1e-6)
        assert view['ray_dirs'].shape == (64, 3)


def test_pack_and_bad_views(tmp_path):
    ann, _ = write_fake(tmp_path, GROUPS[:1])
    pipe = [dict(type='ApplyToViews',
                 transforms=view_pipeline(64, flip=False, rotate=False)),
            dict(type='PackMultiViewPoseInputs')]
    ds = MultiViewH36MDataset(ann_file=ann, data_root=str(tmp_path),
                              pipeline=pipe)
    out = ds[0]
    sample = out['data_samples']
    assert out['inputs'].shape == (4, 3, 64, 64)
    assert sample.gt_heatmaps.shape == (4, 17, 16, 16)
    assert sample.keypoint_weights.shape == (4, 17)
    assert sample.ray_dirs.shape == (4, 16, 3)
    assert sample.cam_centers.shape == (4, 3)
    assert sample.img_affine.shape == (4, 2, 3)
    assert sample.cameras['K'].shape == (4, 3, 3)
    assert sample.keypoints_3d.shape == (17, 3)
    assert sample.sample_key == '1_2_1_1'
    assert sample.action_name == 'Directions'
    # views of different sizes
    pack = TRANSFORMS.build(dict(type='PackMultiViewPoseInputs'))
    views = [dict(img=np.zeros((64, 64, 3), np.uint8)),
             dict(img=np.zeros((64, 48, 3), np.uint8))]
    with pytest.raises(ValueError, match=r'sample s7: .*view 1: \(64, 48'):
        pack(dict(views=views, sample_key='s7'))
    # a camera without a field, named with sample and view
    apply = TRANSFORMS.build(dict(type='ApplyToViews', transforms=[]))
    info = ds.get_data_info(0)
    del info['views'][3]['camera']['p']
    with pytest.raises(ValueError, match=r"sample 1_2_1_1 view 3.*'p'"):
        apply(info)
    # an unknown transform that resizes breaks the camera: refused
    resize = TRANSFORMS.build(dict(type='ApplyToViews', transforms=[
        dict(type='LoadImage'), dict(type='mmcv.Resize', scale=(50, 50))]))
    info = ds.get_data_info(0)
    with pytest.raises(ValueError, match='Resize changed the image size'):
        resize(info)


def test_end_to_end_predict_and_metrics(tmp_path):
    """Loader -> pipeline -> tiny TransFusion -> JDR / MPJPE."""
    from mmengine.dataset import pseudo_collate
    from mmengine.evaluator import Evaluator

    from mmhuman_ext.registry import MODELS
    ann, _ = write_fake(tmp_path, GROUPS[:2], img_hw=(1002, 1000))
    codec = dict(type='MSRAHeatmap', input_size=(64, 64),
                 heatmap_size=(16, 16), sigma=1)
    views = [dict(type='LoadImage'), dict(type='CropImageRows'),
             dict(type='GetBBoxCenterScale', padding=1.0),
             dict(type='TopdownAffine', input_size=(64, 64)),
             dict(type='ComputeCameraRays', stride=8)]
    ds = MultiViewH36MDataset(
        ann_file=ann, data_root=str(tmp_path), test_mode=True,
        pipeline=[dict(type='ApplyToViews', transforms=views),
                  dict(type='PackMultiViewPoseInputs')])
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='MultiViewTopdownPoseEstimator', view_mode='pairs',
        train_pair_map={0: 2, 1: 3, 2: 0, 3: 1},
        test_pairs=[(0, 2), (1, 3)],
        data_preprocessor=dict(type='MultiViewPoseDataPreprocessor',
                               mean=[0., 0., 0.], std=[255., 255., 255.]),
        backbone=dict(type='ResNet', depth=18, num_stages=2,
                      out_indices=(1, ), strides=(1, 2), dilations=(1, 1),
                      base_channels=8, stem_channels=8),
        neck=dict(type='CrossViewTransformerNeck', in_channels=16,
                  embed_dims=32, num_layers=1, num_heads=4, ffn_dim=64,
                  dropout=0., feat_size=(8, 8)),
        head=dict(type='HeatmapHead', in_channels=32, out_channels=17,
                  deconv_out_channels=(32, ), deconv_kernel_sizes=(4, ),
                  conv_out_channels=None, decoder=codec))).eval()
    batch = pseudo_collate([ds[0], ds[1]])
    with torch.no_grad():
        out = model.test_step(batch)
    assert out[0].pred_keypoints.shape == (4, 17, 2)
    # the untrained model is wrong, but the GT itself scores perfectly
    evaluator = Evaluator([
        dict(type='JointDetectionRate'),
        dict(type='TriangulationMPJPE')])
    evaluator.dataset_meta = ds.metainfo
    evaluator.process(out, batch)
    res = evaluator.evaluate(2)
    assert 0 <= res['JDR'] < 100 and res['MPJPE'] > 10
    assert 'MPJPE/Directions' in res and 'JDR/root' in res
    for s in out:
        s.pred_keypoints = s.keypoints_2d.copy()
        s.pred_scores = np.ones((4, 17))
    evaluator.process(out, batch)
    res = evaluator.evaluate(2)
    assert res['JDR'] == 100. and res['MPJPE'] < 1e-2
