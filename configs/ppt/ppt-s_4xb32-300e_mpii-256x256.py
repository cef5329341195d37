# PPT-S on MPII, 256x256 (Table 3.2: 7.7M params, PCKh@0.5 87.3).
# Official recipe (HowieMa/PPT ppt_s_v1_256x256_patch44_dim192_depth12_heads8
# .yaml): as PPT-S on COCO with 4x4 patches of the 64x64 feature map (still
# 16x16 tokens), 16 keypoints, 64x64 heatmaps (MLP hidden 512); augmentation
# flip, scale 0.25, rotation 30 (p = 0.6), no half-body. The MPII box is
# HRNet's: mmpose's MpiiDataset shifts the centre, GetBBoxCenterScale pads
# x1.25 (the official dataset's s * 1.25).
_base_ = ['../_base_/default_runtime.py']

# runtime
train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=10)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=True,
        begin=0,
        end=300,
        milestones=[200, 260],
        gamma=0.1)
]
auto_scale_lr = dict(base_batch_size=128)
default_hooks = dict(checkpoint=dict(save_best='PCK', rule='greater'))
custom_hooks = [
    dict(type='AverageLogVarsHook'),
    dict(
        # targets the model's keep_ratio (model.head.keep_ratio)
        type='KeepRatioScheduleHook',
        warmup_epochs=10,
        decay_epochs=100)
]

# codec: unbiased (DARK) targets and decoding
codec = dict(
    type='MSRAHeatmap',
    input_size=(256, 256),
    heatmap_size=(64, 64),
    sigma=2,
    unbiased=True,
    blur_kernel_size=11)

# model
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
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
        type='PPTHead',
        in_channels=256,
        feat_size=(64, 64),
        patch_size=(4, 4),
        num_keypoints=16,
        heatmap_size=codec['heatmap_size'],
        embed_dims=192,
        depth=12,
        num_heads=8,
        mlp_ratio=3,
        qk_scale='dim',
        prune_layers=(3, 6, 9),
        keep_ratio=0.7,
        loss=dict(
            type='KeypointMSELoss', use_target_weight=True, loss_weight=0.5),
        decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=False))

# data
dataset_type = 'MpiiDataset'
data_mode = 'topdown'
data_root = 'data/mpii/'

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    # as the official loader: scale clip(N(1, 0.25), 0.75, 1.25),
    # rotation clip(N(0, 30), -60, 60) with p = 0.6 (mmpose's
    # RandomBBoxTransform would truncate both at one sigma)
    dict(
        type='ClippedNormalBBoxTransform',
        scale_sigma=0.25,
        rotate_sigma=30,
        rotate_clip=2.,
        rotate_prob=0.6),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/mpii_train.json',
        data_prefix=dict(img='images/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/mpii_val.json',
        headbox_file=data_root + 'annotations/mpii_gt_val.mat',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader

# PCKh@0.5 per part and mean ('PCK'), plus PCKh@0.1 ('PCK@0.1', Table 3.4)
val_evaluator = dict(type='MpiiPCKAccuracy')
test_evaluator = val_evaluator
