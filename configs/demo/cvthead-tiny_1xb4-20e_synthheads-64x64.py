# Demo, stage 1: a narrow CVTHead (same architecture, fewer channels) trained
# with the stage-1 recipe on the built-in synthetic heads (stand-in FLAME-
# format head model with the stand-in hair/shoulder deformation files,
# VoxCeleb-format videos; tools/train.py and tools/test.py generate them once
# into $MMHUMAN_EXT_DATA/synthetic/ before the model is built), 64x64 network
# resolution (frames stay 256 on disk), small enough to train on a shared CPU
# in minutes. Stage 2 continues from its last checkpoint:
# cvthead-tiny-s2_1xb4-2e_synthheads-64x64.py. The VGG and identity losses
# and ROME's encoder initialisation are left out: their pretrained weights
# are not available offline (random-weight versions would add noise, not
# signal).
_base_ = ['../cvthead/cvthead-s1_2xb8-200e_vox1-256x256.py']

import os  # noqa: E402
import os.path as osp  # noqa: E402

# generated data live in $MMHUMAN_EXT_DATA/synthetic/ (default
# ~/.cache/mmhuman_ext/synthetic/), never in the working directory
data_root = osp.join(
    os.environ.get('MMHUMAN_EXT_DATA')
    or osp.join(osp.expanduser('~'), '.cache', 'mmhuman_ext'),
    'synthetic', 'cvthead_demo_heads', '')
img_size = 64
model = dict(
    generator=dict(
        embed_dim=32,
        descriptor_dim=8,
        hierarchy=dict(path=data_root + 'flame/hierarchy.npz'),
        encoder=dict(base_channels=8, max_channels=32, init_ckpt=None),
        vertex_transformer=dict(
            in_channels=128, proj_channels=32, grid=img_size // 16,
            embed_dim=32, depth=2, num_heads=2, mlp_dim=64),
        upsampler=dict(embed_dim=32),
        rasterizer=dict(image_size=img_size),
        renderer=dict(in_channels=9, base_channels=8)),
    discriminator=dict(base_channels=8, max_channels=64),
    flame=dict(model_path=data_root + 'flame/generic_model.pkl'),
    hair_deformer=dict(
        net_ckpt=data_root + 'flame/linear_hair.pth',
        mean_path=data_root + 'flame/mean_deform.pt',
        basis_path=data_root + 'flame/u_full.pt'),
    loss_vgg=None,
    loss_id=None)
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=5e-4)),
    discriminator=dict(optimizer=dict(lr=4e-4)))
model_wrapper_cfg = None
sync_bn = None
pipeline = [
    dict(type='LoadReenactPair', img_size=img_size),
    dict(type='PackReenactInputs')
]
# every video is seen 10 times per epoch (10 random pairs)
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='RepeatDataset',
        times=10,
        dataset=dict(
            type='SyntheticHeadDataset',
            data_root=data_root,
            mode='train',
            pipeline=pipeline)))
val_dataloader = dict(
    batch_size=9,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type='SyntheticHeadDataset', data_root=data_root, pipeline=pipeline))
test_dataloader = val_dataloader
# headline (reenact/): prediction over white with its own mask vs the target
# with its ground-truth mask; paper/: the paper's protocol (both masked by the
# predicted mask), which scores an empty prediction as near perfect
val_evaluator = [
    dict(type='SelfReenactMetric', mask_thr=0.6, lpips_backbone=None),
    dict(type='SelfReenactMetric', mask_policy='pred', lpips_backbone=None,
         prefix='paper')
]
# tools/test.py adds FID against the driving frames (random-weight
# Inception and ArcFace offline: compare models with each other, not with
# published numbers)
test_evaluator = val_evaluator + [
    dict(type='CrossReenactMetric', reference='target', prefix='fid',
         id_embedder=dict(type='ArcFaceEmbedder', depth=18))
]
train_cfg = dict(max_epochs=20, val_interval=10)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=10))
randomness = dict(seed=0)
