# TransFusion (dissertation ch. 2, Table 2.1): Human3.6M, 2-view fusion of
# 256x256 crops, ResNet-50 to layer2 + 3-layer cross-view transformer with
# 2D sine PE + geometry PE (GPE) and the epipolar field loss (gamma 10).
# 4,999,761 trainable parameters. Recipe: Adam 1e-3, 20 epochs,
# x0.1 at 10 and 15, 4 groups x 4 GPUs (keep the total of 16 groups; do not
# scale the lr), no augmentation. Views: random main view + fixed partner
# in training, fixed pairs (cam1, cam3) and (cam2, cam4) at test.
# Init: TransPose-R-A3 (COCO), converted with
#   python tools/model_converters/transfusion_official.py \
#       tp_r_256x192_enc3_d256_h1024_mh8.pth checkpoints/transpose_r_a3.pth
_base_ = ['../_base_/default_runtime.py']

# plain argmax decoding, as the official test (TEST.POST_PROCESS: false)
codec = dict(
    type='ArgmaxHeatmap',
    input_size=(256, 256),
    heatmap_size=(64, 64),
    sigma=2,
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
        depth=50,
        num_stages=2,
        out_indices=(1, ),
        strides=(1, 2),
        dilations=(1, 1)),
    neck=dict(
        type='CrossViewTransformerNeck',
        in_channels=512,
        embed_dims=256,
        num_layers=3,
        num_heads=8,
        ffn_dim=1024,
        dropout=0.1,
        feat_size=(32, 32),
        pe_3d='geometry',
        fusion=True),
    head=dict(
        type='HeatmapHead',
        in_channels=256,
        out_channels=17,
        deconv_out_channels=(256, ),
        deconv_kernel_sizes=(4, ),
        conv_out_channels=None,
        loss=dict(
            type='KeypointMSELoss', use_target_weight=True, loss_weight=17.),
        decoder=codec),
    epipolar_loss=dict(
        type='EpipolarFieldLoss',
        gamma=10.,
        normalize_embeddings=True,
        # the official training's target (S'_12 + S'_21 untransposed) / 2,
        # with which the paper's numbers were trained; 'transposed' averages
        # both directions of the same ray pair (docs/transfusion.md)
        target='official',
        min_value=1e-5,
        loss_weight=1.),
    init_cfg=dict(
        type='Pretrained', checkpoint='checkpoints/transpose_r_a3.pth'))

token_stride = 8
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
train_pipeline = [
    dict(type='ApplyToViews', transforms=train_view_pipeline),
    dict(type='PackMultiViewPoseInputs')
]
val_pipeline = [
    dict(type='ApplyToViews', transforms=val_view_pipeline),
    dict(type='PackMultiViewPoseInputs')
]

dataset_type = 'MultiViewH36MDataset'
data_root = 'data/h36m/'
train_dataloader = dict(
    batch_size=4,
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
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
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
        pipeline=val_pipeline))
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='JointDetectionRate', thr_px=12.8, space='original'),
    dict(type='JointDetectionRate', thr_px=12.8, space='input',
         prefix='input'),
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
