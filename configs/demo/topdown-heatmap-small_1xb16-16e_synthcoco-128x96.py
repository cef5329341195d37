# Top-down heatmap pose estimation on the built-in COCO-style figures: a
# narrow ResNet-18 with mmpose's HeatmapHead, trained and evaluated by
# mmpose's COCO pipeline and CocoMetric (detected boxes, flip test). What
# `make demo` trains; tools/analysis/pose_demo.py then compares it with the
# untrained model and draws its predictions (figures: docs/benchmarks.md).
_base_ = ['../_base_/default_runtime.py']

# a fixed seed: the same run gives the same AP
randomness = dict(seed=0, deterministic=False)

max_epochs = 16
train_cfg = dict(max_epochs=max_epochs, val_interval=4)

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01,
         by_epoch=False),
    dict(
        type='CosineAnnealingLR',
        begin=0,
        end=max_epochs,
        T_max=max_epochs,
        eta_min=1e-5,
        by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=16)

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))

# unbiased (DARK) encoding and decoding: sub-pixel accuracy on small heatmaps
codec = dict(
    type='MSRAHeatmap',
    input_size=(96, 128),
    heatmap_size=(24, 32),
    sigma=2,
    unbiased=True)

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    # the first three stages of a half-width ResNet-18: stride 16, 128 ch
    backbone=dict(
        type='ResNet',
        depth=18,
        stem_channels=32,
        base_channels=32,
        num_stages=3,
        strides=(1, 2, 2),
        dilations=(1, 1, 1),
        out_indices=(2, )),
    head=dict(
        type='HeatmapHead',
        in_channels=128,
        out_channels=17,
        deconv_out_channels=(64, 32),
        deconv_kernel_sizes=(4, 4),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))

# scope-prefixed: mmpose's inferencer looks the type up in its own registry
dataset_type = 'mmhuman_ext.SyntheticCocoDataset'
data_mode = 'topdown'
# written once to $MMHUMAN_EXT_DATA or ~/.cache/mmhuman_ext (data_root=None)
generator_cfg = dict(num_train=600, num_val=100, img_size=(256, 192), seed=0)

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    # milder than mmpose's default (scale 0.5-1.5, rotation 80 degrees)
    # for the short schedule
    dict(
        type='RandomBBoxTransform',
        scale_factor=(0.75, 1.25),
        rotate_factor=30),
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
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        generator_cfg=generator_cfg,
        data_root=None,
        data_mode=data_mode,
        ann_file='annotations/person_keypoints_train.json',
        data_prefix=dict(img='train/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        generator_cfg=generator_cfg,
        data_root=None,
        data_mode=data_mode,
        ann_file='annotations/person_keypoints_val.json',
        bbox_file='person_detection_results/COCO_val_detections.json',
        data_prefix=dict(img='val/'),
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader

# the annotation file comes from the dataset (it lives in the cache folder)
val_evaluator = dict(type='CocoMetric')
test_evaluator = val_evaluator
