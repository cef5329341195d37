# Multi-view PPT at demo size on the built-in multi-view figures: a small
# stem (stride 4) -> 16x16 features -> 8x8 tokens of 2x2 patches per view,
# 6 pre-norm layers of width 96, HTI at layers 1 and 3 (64 -> 45 -> 32
# tokens), the last 2 layers fuse all 4 views with 2D sine + ray PE
# (token stride 8). Data as the TransFusion demo; 64x64 crops, 10 epochs.
_base_ = ['./transfusion-tiny_1xb8-40e_synthmv-128x128.py']

max_epochs = 10
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=30, start_factor=0.05, by_epoch=False),
    dict(type='MultiStepLR', by_epoch=True, milestones=[8], gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=max_epochs))

codec = dict(
    type='MSRAHeatmap',
    input_size=(64, 64),
    heatmap_size=(16, 16),
    sigma=1,
    unbiased=False)
model = dict(
    _delete_=True,
    _scope_='mmhuman_ext',  # as the base runtime's (dropped by _delete_)
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
                num_blocks=(2, ),
                num_channels=(32, )))),
    head=dict(
        type='MultiViewPPTHead',
        in_channels=128,
        feat_size=(16, 16),
        patch_size=(2, 2),
        num_keypoints=17,
        embed_dims=96,
        depth=6,
        num_heads=4,
        mlp_ratio=3,
        qk_scale='head',
        prune_layers=(1, 3),
        keep_ratio=0.7,
        fusion_start_layer=4,
        use_3d_pe=True,
        heatmap_size=codec['heatmap_size'],
        hidden_heatmap_dim=128,
        loss=dict(
            type='KeypointMSELoss', use_target_weight=True, loss_weight=17.),
        decoder=codec))
view_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='ComputeCameraRays', stride=8)
]
pipeline = [
    dict(type='ApplyToViews', transforms=view_pipeline),
    dict(type='PackMultiViewPoseInputs')
]
train_dataloader = dict(dataset=dict(pipeline=pipeline))
val_dataloader = dict(dataset=dict(pipeline=pipeline))
test_dataloader = val_dataloader
# JDR radius in the 64x64 input: 3.2 px (12.8 px of a 256x256 input)
val_evaluator = [
    dict(type='JointDetectionRate', thr_px=3.2, space='original'),
    dict(type='JointDetectionRate', thr_px=3.2, space='input',
         prefix='input'),
    dict(type='JointDetectionRate', thr_px=3.2, space='input',
         subset='occluded', prefix='occluded'),
    dict(type='TriangulationMPJPE', use_distortion=True)
]
test_evaluator = val_evaluator
