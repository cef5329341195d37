# Demo, stage 1 of 4 (geometry): a narrow ORFNT (same architecture, fewer
# channels) on the built-in puppet videos (true DensePose, masks and
# OpenPose-18 joints; generated once on first use),
# frames resized to 128, network input 64, output 128 through BlenderNet's
# x2 SR block. Small enough for a shared CPU (docs/motion_transfer.md,
# "Demo"). The VGG-19 losses (pyramid perceptual, perceptual correctness)
# are left out: their pretrained weights are not available offline. In
# place of the correctness loss, MotionNet's flows are supervised by the
# DensePose correspondence (flow_sup, a demo-only term; its target is
# computed by the DensePoseCorrespondenceFlow pipeline step). The
# blocks have no normalisation (norm_cfg=None): the statistics of a 4-image
# batch shift the colours, and the autoencoding the warping generator has to
# learn first took 3x longer with them (docs/motion_transfer.md, "Demo").
# Run the stages in order with tools/train.py (each loads the previous
# stage's last checkpoint from work_dirs/<config name>/):
#   orfnt-tiny-s1-geometry_1xb4-300i_puppets-64to128.py
#   orfnt-tiny-s2-warping_1xb4-1200i_puppets-64to128.py
#   orfnt-tiny-s3-joint_1xb4-1500i_puppets-64to128.py
#   orfnt-tiny-s4-blender-sr_1xb4-600i_puppets-64to128.py
_base_ = ['../motion_transfer/orfnt-s1-geometry_1xb8-100ki_ted-128to256.py']

import os  # noqa: E402
import os.path as osp  # noqa: E402

# generated data live in $MMHUMAN_EXT_DATA/synthetic/ (default
# ~/.cache/mmhuman_ext/synthetic/), never in the working directory
data_root = osp.join(
    os.environ.get('MMHUMAN_EXT_DATA')
    or osp.join(osp.expanduser('~'), '.cache', 'mmhuman_ext'),
    'synthetic', 'orfnt_demo_puppets', '')
in_size = 64
# frames are loaded at the model output side, in_size x blender.upscale (2)
frame_size = in_size * 2
signals = dict(tex_signal_ch=32, geo_signal_ch=32)
model = dict(
    data_preprocessor=dict(in_size=in_size),
    motion_net=dict(base_channels=8, **signals),
    warp_generator=dict(
        channels=(64, 32, 16), bottleneck_blocks=2, norm_cfg=None),
    texture_branch=dict(
        encoder_channels=(16, 32, 64, 64, 64),
        code_channels=64,
        translator_channels=64,
        num_res_blocks=1,
        atlas_up_channels=(64, 64, 64),
        tex_channels=8,
        geo_up_channels=(64, 32, 16, 16),
        norm_cfg=None,
        **signals),
    blender=dict(base_channels=16, norm_cfg=None),
    discriminator=dict(base_channels=16, max_channels=64),
    vgg=None,
    loss_cfg=dict(
        corr=None,
        flow_sup=dict(
            _delete_=True,  # None in the paper configs
            type='DensePoseFlowSupervisionLoss',
            loss_weight=1.0),
        per=None,
        gan=dict(loss_weight=0.1)))
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=5e-4)),
    discriminator=dict(optimizer=dict(lr=2e-4)))
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel', find_unused_parameters=True)

train_pipeline = [
    dict(type='LoadFramePair', with_keypoints=False),
    dict(type='LoadDensePoseIUV'),
    dict(type='LoadHumanMask'),
    dict(type='PairedResize', size=(frame_size, frame_size)),
    dict(type='DensePoseCorrespondenceFlow', background_weight=0.1),
    dict(type='PackMotionTransferInputs')
]
test_pipeline = [
    dict(type='LoadFramePair', with_keypoints=True),
    dict(type='LoadDensePoseIUV'),
    dict(type='LoadHumanMask'),
    dict(type='PairedResize', size=(frame_size, frame_size)),
    dict(type='PackMotionTransferInputs')
]
puppets = dict(
    type='SyntheticPuppetDataset',
    data_root=data_root,
    generator_cfg=dict(num_train=16, num_test=4, num_frames=32, size=256))
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True, split='train', mode='train_pair',
        pipeline=train_pipeline, **puppets))
# self-reconstruction on the 4 test puppets, every 4th frame driving frame 0
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True, split='test', mode='reconstruction',
        max_test_frames=8, pipeline=test_pipeline, **puppets))
test_dataloader = val_dataloader
# keypoints of the generated frames from the puppets' colour markers,
# reference = the generator's true joints (no OpenPose weights offline);
# MotionTransferBranchMetric: flow error at the joints, body-region L1 and
# mask IoU of each branch, next to copying the source
val_evaluator = [
    dict(type='FrameL1Metric'),
    dict(type='KeypointAKDMKRMetric', backend='markers',
         reference='ground_truth'),
    dict(type='MotionTransferBranchMetric')
]
test_evaluator = val_evaluator

max_iters = 300
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
randomness = dict(seed=0)
