"""configs/transfusion and the multi-view PPT configs: they load, build
with the paper's parameter counts, and carry the official recipe."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmhuman_ext.datasets.layout import DATA_LAYOUTS
from mmhuman_ext.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FILES = sorted(
    glob.glob(osp.join(ROOT, 'configs', 'transfusion', '*.py')) +
    glob.glob(osp.join(ROOT, 'configs', 'ppt', 'ppt-s-multiview*.py')) +
    glob.glob(osp.join(ROOT, 'configs', 'demo', '*multiview*.py')) +
    glob.glob(osp.join(ROOT, 'configs', 'demo', 'transfusion*.py')))


def test_all_configs_load():
    assert len(FILES) >= 11
    for f in FILES:
        cfg = Config.fromfile(f)
        assert cfg.model.type == 'MultiViewTopdownPoseEstimator', f
        assert cfg.train_dataloader.dataset.pipeline[0].type == \
            'ApplyToViews', f


@pytest.mark.parametrize('name,params', [
    ('transfusion/transfusion_4xb4-20e_h36m-256x256', 4_999_761),
    ('ppt/ppt-s-multiview_4xb8-20e_h36m-256x256', 7_761_600),
])
def test_headline_parameter_counts(name, params):
    model = MODELS.build(Config.fromfile(
        osp.join(ROOT, 'configs', name + '.py')).model)
    assert sum(p.numel() for p in model.parameters()
               if p.requires_grad) == params


def test_recipes():
    tf = Config.fromfile(osp.join(
        ROOT, 'configs/transfusion/transfusion_4xb4-20e_h36m-256x256.py'))
    assert tf.model.test_pairs == [(0, 2), (1, 3)]
    assert tf.model.epipolar_loss.gamma == 10.
    assert tf.optim_wrapper.optimizer == dict(type='Adam', lr=1e-3)
    assert tf.param_scheduler[0].milestones == [10, 15]
    assert tf.train_cfg.max_epochs == 20
    assert tf.train_dataloader.batch_size == 4
    assert tf.train_dataloader.dataset.stride == 5
    assert tf.val_dataloader.dataset.stride == 64
    view = tf.train_dataloader.dataset.pipeline[0].transforms
    assert dict(type='GetBBoxCenterScale', padding=1.0) in view
    assert view[-1] == dict(type='ComputeCameraRays', stride=8)
    assert not any(t.type in ('RandomFlip', 'RandomBBoxTransform')
                   for t in view)
    nofuse = Config.fromfile(osp.join(
        ROOT, 'configs/transfusion/transfusion-nofusion_4xb4-20e_h36m-'
        '256x256.py'))
    assert not nofuse.model.neck.fusion and nofuse.model.epipolar_loss is None
    ski = Config.fromfile(osp.join(
        ROOT, 'configs/transfusion/transfusion_4xb4-60e_skipose-256x256.py'))
    assert ski.model.test_pairs == [(0, 1), (2, 3), (4, 5)]
    assert ski.param_scheduler[0].milestones == [30, 45]
    mv = Config.fromfile(osp.join(
        ROOT, 'configs/ppt/ppt-s-multiview_4xb8-20e_h36m-256x256.py'))
    assert mv.model.head.fusion_start_layer == 10
    assert mv.model.head.keep_ratio == 0.7
    assert mv.train_dataloader.batch_size == 8
    assert mv.train_dataloader.dataset.pipeline[0].transforms[-1] == dict(
        type='ComputeCameraRays', stride=16)
    assert {'MultiViewH36MDataset', 'MultiViewSkiPoseDataset'} <= set(
        DATA_LAYOUTS)


def test_demo_pair_differs_only_in_fusion():
    """The demo comparison: same data, seed, schedule and network, the
    baseline without fusion, GPE and L_pos."""
    demo = osp.join(ROOT, 'configs', 'demo')
    fus = Config.fromfile(
        osp.join(demo, 'transfusion-tiny_1xb8-40e_synthmv-128x128.py'))
    base = Config.fromfile(osp.join(
        demo, 'transfusion-tiny-nofusion_1xb8-40e_synthmv-128x128.py'))
    assert fus.randomness == base.randomness == dict(seed=0)
    assert fus.model.neck.fusion and fus.model.neck.pe_3d == 'geometry'
    assert fus.model.epipolar_loss.type == 'EpipolarFieldLoss'
    assert not base.model.neck.fusion and base.model.neck.pe_3d == 'none'
    assert base.model.epipolar_loss is None
    a, b = fus.to_dict(), base.to_dict()
    for cfg in (a, b):
        cfg['model']['neck'].pop('fusion')
        cfg['model']['neck'].pop('pe_3d')
        cfg['model'].pop('epipolar_loss')
    assert a == b
    # 16x16 tokens per view at stride 8, rays of the same grid
    assert fus.model.neck.feat_size == (16, 16)
    assert fus.codec.input_size == (128, 128)
    view = fus.train_dataloader.dataset.pipeline[0].transforms
    assert view[-1] == dict(type='ComputeCameraRays', stride=8)


@pytest.mark.parametrize('bgr,base', [
    ('transfusion/transfusion-bgr_4xb4-20e_h36m-256x256',
     'transfusion/transfusion_4xb4-20e_h36m-256x256'),
    ('ppt/ppt-s-multiview-bgr_4xb8-20e_h36m-256x256',
     'ppt/ppt-s-multiview_4xb8-20e_h36m-256x256'),
])
def test_configs_for_official_weights_feed_bgr_as_they_were_trained(
        bgr, base):
    """The official multi-view code normalises cv2.imread's BGR array with
    the ImageNet statistics in array order (torchvision ToTensor +
    Normalize); the configs for converted weights must give the same
    network input, the training configs swap to RGB."""
    import numpy as np
    import torch
    cfg = Config.fromfile(osp.join(ROOT, 'configs', bgr + '.py'))
    ref = Config.fromfile(osp.join(ROOT, 'configs', base + '.py'))
    assert ref.model.data_preprocessor.bgr_to_rgb is True
    pre = cfg.model.pop('data_preprocessor')
    ref.model.pop('data_preprocessor')
    assert cfg.model == ref.model  # only the colour order differs
    loaded = np.random.default_rng(0).integers(
        0, 256, size=(2, 8, 8, 3), dtype=np.uint8)  # 2 views as loaded (BGR)
    official = (loaded / 255. - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    official = torch.from_numpy(official).permute(0, 3, 1, 2).float()
    packed = torch.from_numpy(loaded).permute(0, 3, 1, 2)  # (V, 3, H, W)
    out = MODELS.build(pre)(dict(inputs=[packed]))['inputs'][0]
    torch.testing.assert_close(out, official, rtol=1e-4, atol=1e-4)
    base_pre = Config.fromfile(osp.join(ROOT, 'configs', base + '.py'))
    rgb = MODELS.build(base_pre.model.data_preprocessor)(
        dict(inputs=[packed]))['inputs'][0]
    assert not torch.allclose(rgb, official, atol=0.1)


def official_skipose_records(num_instants=2):
    """Records as TransFusion-Pose's data/preprocess_skipose.py writes them
    (metres; fx etc. as 1-element arrays; center / scale tuples)."""
    import numpy as np
    rng = np.random.default_rng(0)
    records = []
    for frame in range(num_instants):
        pose = rng.normal(scale=0.3, size=(17, 3)).astype(np.float32)
        for cam in range(6):
            R = np.linalg.qr(rng.normal(size=(3, 3)))[0]
            T = rng.normal(scale=5., size=(3, 1))
            K = np.array([[1.4, 0., 0.5], [0., 1.4, 0.5], [0., 0., 1.]])
            records.append(dict(
                joints_2d=256 * rng.uniform(size=(17, 2)).astype(np.float32),
                joints_3d_camera=pose + [0., 0., 20.],
                joints_3d=pose,
                image=f'seq_003/cam_{cam:02d}/image_{frame:06d}.png',
                joints_vis=np.ones((17, 3)),
                camera=dict(R=R.T, T=T, fx=256. * K[0:1, 0],
                            fy=256. * K[1:2, 1], cx=256. * K[0:1, 2],
                            cy=256. * K[1:2, 2], k=np.zeros((3, )),
                            p=np.zeros((2, ))),
                center=(128, 128), scale=(256 / 200, 256 / 200),
                box=np.asarray([0, 0, 256, 256]), source='skipose',
                subject=1, camera_id=cam, image_id=frame, video_id=3,
                action=0, subaction=0))
    return records


@pytest.mark.parametrize('name', [
    'transfusion/transfusion_4xb4-60e_skipose-256x256',
    'ppt/ppt-s-multiview_4xb8-20e_skipose-256x256'
])
def test_skipose_configs_read_the_official_preprocessing_output(
        name, tmp_path):
    """The official preprocessing writes ski_train.pkl and
    ski_validation.pkl (its test split); the Ski-Pose configs read them."""
    import pickle

    from mmhuman_ext.registry import DATASETS
    (tmp_path / 'annot').mkdir()
    for split in ('train', 'validation'):
        with open(tmp_path / 'annot' / f'ski_{split}.pkl', 'wb') as f:
            pickle.dump(official_skipose_records(), f)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', name + '.py'))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds_cfg = dict(cfg[loader].dataset, data_root=str(tmp_path) + '/',
                      lazy_init=False)
        ds_cfg.pop('pipeline')
        ds = DATASETS.build(dict(ds_cfg, pipeline=[]))
        assert len(ds) == 2, loader
        info = ds.get_data_info(1)
        assert len(info['views']) == 6
        # metres become millimetres
        assert abs(info['views'][0]['camera']['T']).max() > 100
    assert cfg.test_dataloader.dataset.ann_file == 'annot/ski_validation.pkl'
