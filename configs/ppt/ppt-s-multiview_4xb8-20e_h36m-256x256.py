# Multi-view PPT (dissertation Sec. 3.3.2, Tables 3.5 / 3.6): PPT-S per view
# (4x4 patches of the 64x64 stem feature map, HTI at layers 3, 6, 9 with a
# fixed r = 0.7), then the last 2 layers fuse the kept tokens of all 4
# views (424 tokens) with 2D sine + 3D ray PE (stride 16). 7,761,600
# trainable parameters (PPT-S + the 768-parameter ray linear).
# Recipe: Adam 1e-3, 20 epochs, x0.1 at 10 and 15, 8 groups x 4
# GPUs, no augmentation, non-DARK targets and quarter-offset decoding.
# Init: PPT-S trained on COCO at 256x256 (configs/ppt/ppt-s_4xb32-300e_
# coco-256x256.py) with its keypoint tokens reordered COCO -> H36M (rows
# [12, 12, 14, 16, 11, 13, 15, 11, 1, 0, 2, 5, 7, 9, 6, 8, 10]),
# saved as the checkpoint below (tools/model_converters/ppt_official.py
# --h36m-init makes it from the official COCO-256 PPT-S or from a run of the
# config above); the ray linear is new.
_base_ = ['../_base_/default_runtime.py']

codec = dict(
    type='MSRAHeatmap',
    input_size=(256, 256),
    heatmap_size=(64, 64),
    sigma=2,
    unbiased=False)

model = dict(
    type='MultiViewTopdownPoseEstimator',
    view_mode='all',
    num_views=4,
    data_preprocessor=dict(
        type='MultiViewPoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='TruncatedHRNet',
        num_stages=1,
        in_channels=3,
        extra=dict(
            stage1=dict(
                num_modules=1,
                num_branches=1,
                block='BOTTLENECK',
                num_blocks=(4, ),
                num_channels=(64, )))),
    head=dict(
        type='MultiViewPPTHead',
        in_channels=256,
        feat_size=(64, 64),
        patch_size=(4, 4),
        num_keypoints=17,
        embed_dims=192,
        depth=12,
        num_heads=8,
        mlp_ratio=3,
        qk_scale='dim',
        prune_layers=(3, 6, 9),
        keep_ratio=0.7,
        fusion_start_layer=10,
        use_3d_pe=True,
        heatmap_size=codec['heatmap_size'],
        loss=dict(
            type='KeypointMSELoss', use_target_weight=True, loss_weight=17.),
        decoder=codec),
    init_cfg=dict(
        type='Pretrained', checkpoint='checkpoints/ppt-s_coco-256x256_h36m.pth'))

token_stride = 16
train_view_pipeline = [
    dict(type='LoadImage'),
    dict(type='CropImageRows', max_rows=1000),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='ComputeCameraRays', stride=token_stride)
]
val_view_pipeline = [
    dict(type='LoadImage'),
    dict(type='CropImageRows', max_rows=1000),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='ComputeCameraRays', stride=token_stride)
]
dataset_type = 'MultiViewH36MDataset'
data_root = 'data/h36m/'
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annot/h36m_train.pkl',
        data_prefix=dict(img='images/'),
        stride=5,
        with_damaged=False,
        pipeline=[
            dict(type='ApplyToViews', transforms=train_view_pipeline),
            dict(type='PackMultiViewPoseInputs')
        ]))
val_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annot/h36m_validation.pkl',
        data_prefix=dict(img='images/'),
        stride=64,
        with_damaged=False,
        test_mode=True,
        pipeline=[
            dict(type='ApplyToViews', transforms=val_view_pipeline),
            dict(type='PackMultiViewPoseInputs')
        ]))
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='JointDetectionRate', thr_px=12.8, space='original'),
    dict(type='TriangulationMPJPE', conf_start=0.85, conf_step=0.05,
         use_distortion=True)
]
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[10, 15], gamma=0.1)
]
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=1)
default_hooks = dict(
    checkpoint=dict(save_best='MPJPE', rule='less', interval=1))
