# CVTHead stage 1 on VoxCeleb1 (thesis Ch. 4, official configs/vox1.yaml):
# 200 epochs, L1 + VGG19 + VGGFace2 identity + Dice, losses on prediction and
# target composited with the predicted (detached) mask over a random colour;
# the discriminator is trained alongside, the generator ignores it.
# 2 GPUs x 8 = batch 16, SyncBN, Adam(0.5, 0.999) G 1e-4 / D 4e-4, constant.
# The mesh is FLAME plus ROME's frozen hair/shoulder deformation f_H (Eq. 4.3;
# the "w/o D." ablation of Table 4.3 is cvthead-nodeform-*), and the image
# encoder starts from ROME's encoder weights, as in the official training.
# Pretrained files (local paths, nothing downloads): FLAME 2020, the CVTHead
# repo's mesh hierarchy (transform.pkl) and mean_deform.pt / u_full.pt,
# ROME's linear_hair.pth and rome.pth (research-only licence), VGG19,
# VGGFace2 ResNet-50, LPIPS AlexNet; see docs/cvthead.md and
# docs/data_preparation.md. Without rome.pth set
# model.generator.encoder.init_ckpt=None (docs/cvthead.md gives the gap).
_base_ = ['../_base_/default_runtime.py']

data_root = 'data/vox1/'
flame_dir = 'data/flame/'
pretrained = dict(
    rome='data/pretrained/rome.pth',
    vgg19='data/pretrained/vgg19-dcbb9e9d.pth',
    vggface2='data/pretrained/resnet50_scratch_weight.pkl',
    alexnet='data/pretrained/alexnet-owt-7be5be79.pth')
img_size = 256

generator = dict(
    type='CVTHeadGenerator',
    embed_dim=128,
    descriptor_dim=32,
    hierarchy=dict(
        type='MeshHierarchy', path=flame_dir + 'transform.pkl', levels=2),
    encoder=dict(
        type='ROMEBottleneckEncoder',
        in_channels=4,
        base_channels=64,
        max_channels=512,
        num_groups=4,
        num_blocks=2,
        init_ckpt=pretrained['rome']),
    vertex_transformer=dict(
        type='VertexFeatureTransformer',
        in_channels=2048,
        proj_channels=256,
        patch_size=2,
        grid=img_size // 16,
        embed_dim=128,
        depth=6,
        num_heads=4,
        mlp_dim=256,
        query_pe=('uv', 'depth')),
    upsampler=dict(type='SpiralMeshUpsampler', embed_dim=128, seq_length=9),
    rasterizer=dict(
        type='PointZBufferRasterizer',
        image_size=img_size,
        feat_bg=0.,
        depth_bg=-2.,
        cull=False),
    renderer=dict(
        type='PointRenderUNet',
        in_channels=33,
        out_channels=4,
        base_channels=32,
        num_levels=5))
model = dict(
    type='CVTHead',
    stage=1,
    generator=generator,
    discriminator=dict(
        type='FeaturePatchDiscriminator',
        in_channels=3,
        base_channels=32,
        num_blocks=4,
        max_channels=512),
    flame=dict(
        type='FLAMELayer',
        model_path=flame_dir + 'generic_model.pkl',
        n_shape=100,
        n_exp=50),
    hair_deformer=dict(
        type='LinearHairDeformer',
        net_ckpt=flame_dir + 'linear_hair.pth',
        mean_path=flame_dir + 'mean_deform.pt',
        basis_path=flame_dir + 'u_full.pt'),
    loss_l1=dict(type='mmagic.L1Loss', loss_weight=1.0),
    loss_vgg=dict(
        type='VGG19PerceptualLoss', ckpt=pretrained['vgg19'],
        loss_weight=1.0),
    loss_id=dict(
        type='FaceIdentityLoss', ckpt=pretrained['vggface2'],
        loss_weight=0.1),
    loss_seg=dict(type='CVTDiceLoss', loss_weight=1.0),
    loss_gan=dict(type='mmagic.GANLoss', gan_type='hinge', loss_weight=0.01),
    loss_fm=dict(type='DiscFeatureMatchingLoss', loss_weight=0.1),
    frame_size=(256, 256),
    crop_size=224)

optim_wrapper = dict(
    constructor='mmagic.MultiOptimWrapperConstructor',
    generator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))),
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=4e-4, betas=(0.5, 0.999))))
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel', find_unused_parameters=False)
sync_bn = 'torch'

pipeline = [
    dict(type='LoadReenactPair', img_size=img_size),
    dict(type='PackReenactInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='VoxCelebReenactDataset',
        data_root=data_root,
        mode='train',
        sort_pair=True,
        pipeline=pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='VoxCelebReenactDataset',
        data_root=data_root,
        mode='self_test',
        num_test_frames=10,
        pipeline=pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='SelfReenactMetric', mask_thr=0.6,
    lpips_backbone=pretrained['alexnet'])
test_evaluator = val_evaluator

train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = []
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', interval=1, save_best='reenact/L1',
        rule='less', max_keep_ckpts=3))
visualizer = dict(
    _delete_=True,
    type='Visualizer',
    vis_backends=[dict(type='LocalVisBackend')],
    name='visualizer')
auto_scale_lr = dict(base_batch_size=16)
