# Demo, P-STMO Stage I (masked pose modelling) on the built-in synthetic
# Human3.6M-format motion (mmhuman_ext.datasets.synthetic.motion3d; written
# once to the cache and read by the real VideoPose3D loader). CPU-sized:
# the P-STMO-S structure at width d = 64 (the d ablation of Table 7, with
# FFN 128), N = 27 frames every 3rd frame, masking as P-STMO-S (0.8, 2),
# dropout off, every 20th centre frame, 2 epochs. Stage II:
# pstmo-s-d64_1xb64-4e_synthh36m-det-27f.py loads the encoder from
# work_dirs/<this config>/best_mpm_2d_mpjpe_stage1.pth.
_base_ = ['../pstmo/pstmo-s-mpm_1xb160-80e_h36m-cpn-243f.py']

N, S = 27, 3
width = dict(embed_dims=64, sem_hidden_dims=128, ffn_dims=128, dropout=0.)
model = dict(
    encoder=dict(seq_len=N, **width),
    decoder=dict(
        in_dims=64, embed_dims=32, ffn_dims=64, dropout=0.))
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

train_cfg = dict(max_epochs=2)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='ExponentialLR', gamma=0.8, by_epoch=True, begin=0, end=2)
]
default_hooks = dict(logger=dict(interval=20))
randomness = dict(seed=0)
