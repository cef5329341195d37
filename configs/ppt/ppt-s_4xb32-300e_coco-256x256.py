# PPT-S on COCO at 256x256: the pre-training of multi-view PPT (ch. 3;
# the 256x192 model does not transfer: patch embedding and position table
# differ). 4x4 patches of the 64x64 feature map, 64x64 heatmaps; recipe as
# PPT-S 256x192. 7,760,832 trainable parameters.
_base_ = ['./ppt-s_4xb32-300e_coco-256x192.py']

codec = dict(
    type='MSRAHeatmap',
    input_size=(256, 256),
    heatmap_size=(64, 64),
    sigma=2,
    unbiased=True,
    blur_kernel_size=11)

model = dict(
    head=dict(
        feat_size=(64, 64),
        patch_size=(4, 4),
        heatmap_size=codec['heatmap_size'],
        decoder=codec))

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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
