# TransFusion at demo size on the built-in multi-view figures (the P-STMO
# motion generator rendered into four Human3.6M-like cameras, 250x250
# images with self-occlusion and pillars; written in the H36M-Toolbox layout
# and read by the real MultiViewH36MDataset loader). The full architecture
# at small width: ResNet-18 stem + 2 stages (32 base channels, stride 8) ->
# 8x8 tokens per view, 2 post-norm layers of width 64 over the 2 views of
# a pair with 2D sine PE + GPE, epipolar field loss, deconv head. 64x64
# crops (8x8 tokens per view, 16x16 heatmaps) keep a CPU run short.
# JDR radii: 3.2 px in the original images (the official 12.8 px scaled to
# the 4x smaller images) and 3.2 px in the 64x64 input (12.8 px of a
# 256x256 input), the latter also on the occluded joints only. Training
# uses every 2nd instant (216 of the 432 training instants).
# Compare with transfusion-tiny-nofusion_1xb8-10e_synthmv-64x64.py.
_base_ = ['../_base_/default_runtime.py']

max_epochs = 10
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=30, start_factor=0.05, by_epoch=False),
    dict(type='MultiStepLR', by_epoch=True, milestones=[8], gamma=0.1)
]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(
        interval=max_epochs, max_keep_ckpts=1, save_best=None))

codec = dict(
    type='MSRAHeatmap',
    input_size=(64, 64),
    heatmap_size=(16, 16),
    sigma=1,
    unbiased=False)

model = dict(
    type='MultiViewTopdownPoseEstimator',
    view_mode='pairs',
    train_pair_map={0: 2, 1: 3, 2: 0, 3: 1},
    test_pairs=[(0, 2), (1, 3)],
    num_views=4,
    data_preprocessor=dict(
        type='MultiViewPoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=18,
        num_stages=2,
        out_indices=(1, ),
        strides=(1, 2),
        dilations=(1, 1),
        base_channels=32,
        stem_channels=32),
    neck=dict(
        type='CrossViewTransformerNeck',
        in_channels=64,
        embed_dims=64,
        num_layers=2,
        num_heads=4,
        ffn_dim=128,
        dropout=0.,
        feat_size=(8, 8),
        pe_3d='geometry',
        fusion=True),
    head=dict(
        type='HeatmapHead',
        in_channels=64,
        out_channels=17,
        deconv_out_channels=(64, ),
        deconv_kernel_sizes=(4, ),
        conv_out_channels=None,
        loss=dict(
            type='KeypointMSELoss', use_target_weight=True, loss_weight=17.),
        decoder=codec),
    epipolar_loss=dict(type='EpipolarFieldLoss', gamma=10.))

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
data = dict(
    type='SyntheticMultiViewH36MDataset',
    ann_file='annot/h36m_train.pkl',
    data_prefix=dict(img='images/'),
    pipeline=pipeline)
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(data, stride=2))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data, ann_file='annot/h36m_validation.pkl', test_mode=True))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='JointDetectionRate', thr_px=3.2, space='original'),
    dict(type='JointDetectionRate', thr_px=3.2, space='input',
         prefix='input'),
    dict(type='JointDetectionRate', thr_px=3.2, space='input',
         subset='occluded', prefix='occluded'),
    dict(type='TriangulationMPJPE', use_distortion=True)
]
test_evaluator = val_evaluator
