# PPT-S on COCO, 256x192 (dissertation Table 3.1 "PPT-Small": 6.6M params,
# AP 72.2 with detected boxes and flip test). Recipe of the official code
# (HowieMa/PPT ppt_s_v1_256_192_patch43_dim192_depth12_heads8.yaml):
# stem-net CNN trained from scratch, 12 pre-norm layers (D=192, 8 heads,
# MLP ratio 3, qk scale 1/sqrt(D)), HTI in layers 3/6/9 with r = 0.7,
# Adam 1e-3 without weight decay, 300 epochs (x0.1 at 200 and 260),
# 32 images x 4 GPUs, keep ratio 1 for 10 epochs then cosine to 0.7 by 110.
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
# the official runs used 4 GPUs x 32; with --auto-scale-lr other totals
# scale the lr linearly
auto_scale_lr = dict(base_batch_size=128)
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
    input_size=(192, 256),
    heatmap_size=(48, 64),
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
        feat_size=(48, 64),
        patch_size=(3, 4),
        num_keypoints=17,
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
dataset_type = 'CocoDataset'
data_mode = 'topdown'
data_root = 'data/coco/'

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody', min_total_keypoints=9, prob=0.3),
    # as the official loader: scale clip(N(1, 0.35), 0.65, 1.35),
    # rotation clip(N(0, 45), -90, 90) with p = 0.6 (mmpose's
    # RandomBBoxTransform would truncate both at one sigma)
    dict(
        type='ClippedNormalBBoxTransform',
        scale_sigma=0.35,
        rotate_sigma=45,
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
        ann_file='annotations/person_keypoints_train2017.json',
        data_prefix=dict(img='train2017/'),
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
        ann_file='annotations/person_keypoints_val2017.json',
        bbox_file='data/coco/person_detection_results/'
        'COCO_val2017_detections_AP_H_56_person.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/person_keypoints_val2017.json',
    score_mode='bbox_keypoint',
    keypoint_score_thr=0.2,
    nms_mode='oks_nms',
    nms_thr=0.9)
test_evaluator = val_evaluator
