# P-STMO-S Stage II, N = 27, temporal downsampling s = 1 (receptive
# field 27 frames): Table 5 row "N = 27, s = 1" (4.6 M parameters,
# MPJPE 48.2 mm). Encoder from pstmo-s-mpm-tds1_1xb160-80e_h36m-cpn-27f.py;
# otherwise as pstmo-s_1xb160-80e_h36m-cpn-27f.py.
_base_ = ['./pstmo-s_1xb160-80e_h36m-cpn-27f.py']

S = 1
model = dict(
    backbone=dict(
        encoder=dict(
            init_cfg=dict(
                checkpoint='work_dirs/pstmo-s-mpm-tds1_1xb160-80e_h36m-'
                'cpn-27f/best_mpm_2d_mpjpe_stage1.pth'))))
train_dataloader = dict(dataset=dict(seq_step=S))
val_dataloader = dict(dataset=dict(seq_step=S))
test_dataloader = val_dataloader
