# P-STMO-S Stage II, N = 81, temporal downsampling s = 1 (receptive
# field 81 frames): Table 5 row "N = 81, s = 1" (5.4 M parameters,
# MPJPE 45.6 mm). Encoder from pstmo-s-mpm-tds1_1xb160-80e_h36m-cpn-81f.py;
# otherwise as pstmo-s_1xb160-80e_h36m-cpn-81f.py.
_base_ = ['./pstmo-s_1xb160-80e_h36m-cpn-81f.py']

S = 1
model = dict(
    backbone=dict(
        encoder=dict(
            init_cfg=dict(
                checkpoint='work_dirs/pstmo-s-mpm-tds1_1xb160-80e_h36m-'
                'cpn-81f/best_mpm_2d_mpjpe_stage1.pth'))))
train_dataloader = dict(dataset=dict(seq_step=S))
val_dataloader = dict(dataset=dict(seq_step=S))
test_dataloader = val_dataloader
