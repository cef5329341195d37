# Demo, P-STMO Stage II on the built-in synthetic Human3.6M-format motion:
# the width-64 P-STMO-S of pstmo-s-mpm-d64_1xb64-2e_synthh36m-det-27f.py
# (run that first; its encoder is loaded through init_cfg), N = 27 every
# 3rd frame, MOFA 3 layers, detector-like 2D input, 4 epochs on every 20th
# centre frame, evaluated on S9/S11 (every 5th frame) with flip test.
_base_ = ['../pstmo/pstmo-s_1xb160-80e_h36m-cpn-243f.py']

N, S = 27, 3
input_shape = (N, 17, 2)  # one sample, for tools/analysis/*.py
width = dict(embed_dims=64, ffn_dims=128, dropout=0.)
model = dict(
    backbone=dict(
        encoder=dict(
            seq_len=N,
            sem_hidden_dims=128,
            **width,
            init_cfg=dict(
                checkpoint='work_dirs/pstmo-s-mpm-d64_1xb64-2e_synthh36m-'
                'det-27f/best_mpm_2d_mpjpe_stage1.pth')),
        mofa=width),
    head=dict(in_channels=64))
synthetic = dict(
    type='mmhuman_ext.SyntheticH36MDataset',  # found by mmpose too
    data_root=None,  # generator cache ($MMHUMAN_EXT_DATA or ~/.cache)
    generator_cfg=dict(num_frames=600, seed=0),
    file_2d='data_2d_h36m_cpn_ft_h36m_dbb.npz',
    seq_len=N,
    seq_step=S)
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=dict(
        _delete_=True,
        **synthetic,
        sample_stride=20,
        flip_mode='double',
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    batch_size=128,
    num_workers=2,
    dataset=dict(
        _delete_=True,
        **synthetic,
        subjects=['S9', 'S11'],
        sample_stride=5,
        test_mode=True,
        pipeline={{_base_.val_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='H36MProtocolMPJPE', mode='mpjpe'),
    dict(type='H36MProtocolMPJPE', mode='p-mpjpe')
]
test_evaluator = [
    dict(
        type='H36MProtocolMPJPE',
        mode=mode,
        outfile_prefix='work_dirs/{{fileBasenameNoExtension}}/h36m')
    for mode in ('mpjpe', 'p-mpjpe', 'n-mpjpe', 'mpjve')
]

train_cfg = dict(max_epochs=4)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='ExponentialLR', gamma=0.8, by_epoch=True, begin=0, end=4)
]
default_hooks = dict(logger=dict(interval=20))
randomness = dict(seed=0)
