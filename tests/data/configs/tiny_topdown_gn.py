# A tiny top-down model for tool and distributed tests: GroupNorm (so that
# splitting a batch over processes does not change the maths), no random
# augmentation, no shuffling, built-in synthetic COCO data.
_base_ = ['../../../configs/_base_/default_runtime.py']

codec = dict(type='MSRAHeatmap', input_size=(48, 64), heatmap_size=(12, 16),
             sigma=1.5)
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(type='PoseDataPreprocessor',
                           mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=18, base_channels=8, num_stages=1,
                  strides=(1, ), dilations=(1, ),
                  out_indices=(0, ), norm_cfg=dict(type='GN', num_groups=4)),
    head=dict(type='HeatmapHead', in_channels=8, out_channels=17,
              deconv_out_channels=None,
              loss=dict(type='KeypointMSELoss', use_target_weight=True),
              decoder=codec),
    test_cfg=dict(flip_test=False))

generator_cfg = dict(num_train=8, num_val=4, img_size=(128, 96), seed=3)
pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='SyntheticCocoDataset', generator_cfg=generator_cfg,
                 ann_file='annotations/person_keypoints_train.json',
                 data_prefix=dict(img='train/'), indices=8,
                 pipeline=pipeline))
val_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='SyntheticCocoDataset', generator_cfg=generator_cfg,
                 ann_file='annotations/person_keypoints_val.json',
                 data_prefix=dict(img='val/'), test_mode=True,
                 pipeline=[p for p in pipeline if p['type'] != 'GenerateTarget']))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric')
test_evaluator = val_evaluator

train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=10)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9))
param_scheduler = []
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1, save_best=None))
randomness = dict(seed=0)
