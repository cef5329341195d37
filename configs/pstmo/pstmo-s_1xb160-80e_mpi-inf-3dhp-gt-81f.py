# P-STMO-S Stage II on MPI-INF-3DHP (ground-truth 2D), N = 81, s = 1:
# Table 2 "P-STMO, N=81" (PCK 97.9, AUC 75.8, MPJPE 32.2 mm), which the
# README shows is P-STMO-S. Targets in millimetres, root = pelvis (14);
# PCK@150 mm / AUC over 14 joints, MPJPE over 17, valid test frames only.
# lr 7e-4. Encoder from pstmo-s-mpm_1xb160-80e_mpi-inf-3dhp-gt-81f.py.
_base_ = ['./pstmo-s_1xb160-80e_h36m-cpn-243f.py']

N = 81
input_shape = (N, 17, 2)  # one sample, for tools/analysis/*.py
data_root = 'data/mpi_inf_3dhp/'
codec = dict(type='SeqPoseLifting', num_keypoints=17, root_index=14)
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
model = dict(
    backbone=dict(
        encoder=dict(
            seq_len=N,
            init_cfg=dict(
                checkpoint='work_dirs/pstmo-s-mpm_1xb160-80e_mpi-inf-3dhp-'
                'gt-81f/best_mpm_2d_mpjpe_stage1.pth'))),
    head=dict(decoder=codec))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='MPIInf3DHPSeqDataset',
        data_root=data_root,
        ann_file='data_train_3dhp.npz',
        seq_len=N,
        seq_step=1,
        flip_mode='double',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='MPIInf3DHPSeqDataset',
        data_root=data_root,
        ann_file='data_test_3dhp.npz',
        seq_len=N,
        seq_step=1,
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='MPI3DHPMetric', root_index=14)
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='3dhp/MPJPE', rule='less'))
