# P-STMO-S Stage I on MPI-INF-3DHP (ground-truth 2D), N = 81, s = 1:
# temporal mask ratio 0.7 (56 of 81 frames dropped), 2 masked joints per
# frame (official README). Data: P-STMO's data_{train,test}_3dhp.npz (train
# S1-S8 x 8 cameras, test TS1-TS6 valid frames); 2D normalised by the
# sequence's resolution, root = pelvis (joint 14).
_base_ = ['./pstmo-s-mpm_1xb160-80e_h36m-cpn-243f.py']

N = 81
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
    encoder=dict(seq_len=N),
    temporal_mask_ratio=0.7,
    spatial_mask_num=2)
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
