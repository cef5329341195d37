# P-STMO-S Stage I: masked pose modelling (MPM) on Human3.6M, CPN 2D input,
# N = 243 frames with temporal downsampling s = 2 (receptive field 485).
# Paper §3.2 / appendix 0.A.2 and the official README: encoder SEM (MLP,
# 1 residual block, width 512) + TEM (3 layers, d 256, FFN 512, 8 heads),
# decoder 2 layers at width 128; temporal mask ratio 0.8 (194 of 243 frames
# dropped), 2 of joints 0-15 masked per frame, masks shared by the batch;
# loss = 2D MPJPE over all frames. Adam (amsgrad) 1e-4, x0.97 per epoch,
# 80 epochs, batch 160, every window used unflipped and flipped, flip test.
# The official code keeps the epoch with the lowest test-set error (both
# stages); save_best below does the same with S9/S11 as validation set and
# writes it to work_dirs/<this config>/best_mpm_2d_mpjpe_stage1.pth, the
# file the Stage II configs load (init_cfg of model.backbone.encoder).
_base_ = ['../_base_/default_runtime.py']

N, S = 243, 2
data_root = 'data/h36m/'

codec = dict(type='SeqPoseLifting', num_keypoints=17, root_index=0)
encoder = dict(
    type='STMOEncoder',
    num_joints=17,
    in_channels=2,
    embed_dims=256,
    sem_hidden_dims=512,
    sem_num_blocks=1,
    num_layers=3,
    num_heads=8,
    ffn_dims=512,
    seq_len=N,
    dropout=0.1)
model = dict(
    type='MaskedPoseModeling',
    encoder=encoder,
    decoder=dict(
        type='MPMDecoder',
        in_dims=256,
        embed_dims=128,
        ffn_dims=256,
        num_layers=2,
        num_heads=8,
        num_joints=17,
        dropout=0.1),
    temporal_mask_ratio=0.8,
    spatial_mask_num=2,
    spatial_candidates=16,
    mask_per_sample=False,
    loss=dict(type='MPJPELoss'),
    test_cfg=dict(flip_test=True, mask_seed=0))

# data: VideoPose3D files + camera JSON (docs/data_preparation.md)
meta_keys = ('id', 'target_img_path', 'flip_indices', 'target_root',
             'camera_param', 'flip')
train_pipeline = [
    dict(type='FlipPoseSequence', mode='from_flag'),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys)
]
val_pipeline = [
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys)
]
# scope-prefixed: mmpose's inferencer looks the type up in its own registry
# for the keypoint metainfo when a checkpoint carries none (converted ones)
dataset_type = 'mmhuman_ext.H36MVideoPose3DDataset'
data_files = dict(
    data_root=data_root,
    file_3d='data_3d_h36m.npz',
    file_2d='data_2d_h36m_cpn_ft_h36m_dbb.npz',
    camera_file='h36m_cameras.json')
train_dataloader = dict(
    batch_size=160,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        **data_files,
        subjects=['S1', 'S5', 'S6', 'S7', 'S8'],
        seq_len=N,
        seq_step=S,
        flip_mode='double',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=160,
    num_workers=8,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        **data_files,
        subjects=['S9', 'S11'],
        seq_len=N,
        seq_step=S,
        flip_mode='none',
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='MPMReconstructionError')
test_evaluator = val_evaluator

# schedule (the official loop runs 79 epochs; 80 here)
train_cfg = dict(by_epoch=True, max_epochs=80, val_interval=1)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4, amsgrad=True))
param_scheduler = [
    dict(type='ExponentialLR', gamma=0.97, by_epoch=True, begin=0, end=80)
]
auto_scale_lr = dict(base_batch_size=160)
# mmpose's 2D -> 3D inferencer (MMPoseInferencer(pose3d=...)) draws the
# lifted joints with the 3D visualizer
visualizer = dict(
    type='Pose3dLocalVisualizer',
    vis_backends=[dict(type='LocalVisBackend')],
    name='visualizer')
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        filename_tmpl='stage1.pth',  # last epoch; best: best_*_stage1.pth
        save_best='mpm/2d_mpjpe',
        rule='less',
        max_keep_ckpts=1))
