# ORFNT (Ji et al., T-MM 2024), 128 -> 256 model on TED-Talks, stage 1 of 4
# (geometry): the neural texture branch and MotionNet's encoder with its
# translation-signal heads, trained with the DensePose translation loss
# (UV 5.0, CE 1.0), the masked L1 of the texture render and its mask BCE;
# 100k iterations, batch 8 on one GPU, Adam 2e-4 (0.5, 0.999), constant.
# Stages 2-4 load this stage's last checkpoint (see docs/motion_transfer.md).
# Pretrained weights load from local paths only: VGG-19 (torchvision
# vgg19-dcbb9e9d.pth) for the perceptual losses of the later stages.
_base_ = ['../_base_/default_runtime.py']

data_root = 'data/ted/'
vgg19_path = 'data/pretrained/vgg19-dcbb9e9d.pth'
# network input side and BlenderNet's SR factor; the model derives its output
# side (in_size x upscale), the frames are loaded at that size
in_size, upscale = 128, 2
out_size = in_size * upscale

model = dict(
    type='ORFNTMotionTransfer',
    train_stage='geometry',
    use_warp_branch=True,
    use_texture_branch=True,
    data_preprocessor=dict(
        type='MotionTransferDataPreprocessor',
        in_size=in_size,
        num_parts=24),
    motion_net=dict(
        type='DensePoseFlowNet',
        in_channels=3 + 2 * 72,
        base_channels=32,
        tex_signal_ch=384,
        geo_signal_ch=256,
        signal_mode='map'),
    warp_generator=dict(
        type='MultiScaleWarpingGenerator',
        channels=(256, 128, 64),
        bottleneck_blocks=4,
        occlusion=True,
        single_scale=False),
    texture_branch=dict(
        type='NeuralTextureBranch',
        num_parts=24,
        in_channels=3 + 72,
        encoder_channels=(64, 128, 256, 256, 256),
        code_channels=256,
        tex_signal_ch=384,
        geo_signal_ch=256,
        translator_channels=256,
        num_res_blocks=2,
        atlas_up_channels=(256, 256, 384),
        tex_channels=16,
        geo_up_channels=(256, 128, 64, 64)),
    blender=dict(type='BlenderNet', base_channels=64, upscale=upscale),
    discriminator=dict(
        type='ResNetPatchDiscriminator',
        in_channels=3,
        base_channels=32,
        max_channels=128,
        num_down=4),
    vgg=dict(type='VGG19FeatureExtractor', weights_path=vgg19_path),
    loss_cfg=dict(
        corr=dict(
            type='PerceptualCorrectnessLoss',
            loss_weight=5.0,
            layers=('relu3_1', 'relu2_1', 'relu2_1'),
            max_res=64),
        aff=dict(
            type='AffineRegularizationLoss',
            loss_weight=0.01,
            kernel_sizes=(5, 5, 3)),
        tv=dict(type='FlowTVLoss', loss_weight=1.0),
        cons=dict(type='MultiScaleFlowConsistencyLoss', loss_weight=5.0),
        uv=dict(type='DensePoseUVLoss', loss_weight=5.0),
        seg=dict(type='DensePoseSegLoss', loss_weight=1.0),
        ml1=dict(type='MaskedL1Loss', loss_weight=1.0),
        per=dict(
            type='PyramidPerceptualLoss',
            loss_weight=10.0,
            scales=(1, 0.5, 0.25, 0.125)),
        rec=dict(type='mmagic.L1Loss', loss_weight=1.0),
        bce=dict(type='MaskBCELoss', loss_weight=1.0),
        gan=dict(type='mmagic.GANLoss', gan_type='lsgan', loss_weight=1.0)))

optim_wrapper = dict(
    constructor='mmagic.MultiOptimWrapperConstructor',
    generator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))),
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))))
# stages freeze modules and skip branches: unused parameters are expected
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel', find_unused_parameters=True)

train_pipeline = [
    dict(type='LoadFramePair', with_keypoints=False),
    dict(type='LoadDensePoseIUV'),
    dict(type='LoadHumanMask'),
    dict(type='PairedResize', size=(out_size, out_size)),
    dict(type='PairedColorJitter', brightness=0.1, contrast=0.1,
         saturation=0.1, hue=0.1),
    dict(type='RandomSwapSourceDriving', prob=0.5),
    dict(type='PackMotionTransferInputs')
]
test_pipeline = [
    dict(type='LoadFramePair', with_keypoints=True),
    dict(type='LoadDensePoseIUV'),
    dict(type='LoadHumanMask'),
    dict(type='PairedResize', size=(out_size, out_size)),
    dict(type='PackMotionTransferInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='DensePoseVideoPairDataset',
        data_root=data_root,
        split='train',
        mode='train_pair',
        id_sampling=True,
        iuv_channel_order='IUV_cv2',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='DensePoseVideoPairDataset',
        data_root=data_root,
        split='test',
        mode='reconstruction',
        iuv_channel_order='IUV_cv2',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# the published tables' pose-evaluation protocol; local weights of the
# Inception (FID), re-ID (AED) and OpenPose (AKD / MKR) networks (see
# docs/motion_transfer.md#metrics)
val_evaluator = [
    dict(type='FrameL1Metric'),
    dict(type='PairedFIDMetric',
         inception_path='data/pretrained/inception_v3_google-0cc3c7bd.pth'),
    dict(type='ReIDAEDMetric',
         weights_path='data/pretrained/reid_model.pth'),
    dict(type='KeypointAKDMKRMetric', backend='openpose',
         weights_path='data/pretrained/pose_model.pth')
]
test_evaluator = val_evaluator

max_iters = 100000
train_cfg = dict(by_epoch=False, max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = []
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=10000,
        save_best=None,
        max_keep_ckpts=3,
        save_last=True))
log_processor = dict(by_epoch=False)
visualizer = dict(
    _delete_=True,
    type='Visualizer',
    vis_backends=[dict(type='LocalVisBackend')],
    name='visualizer')
