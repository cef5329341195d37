# P-STMO-S Stage II, N = 243, temporal downsampling s = 1 (receptive
# field 243 frames): Table 5 row "N = 243, s = 1" (6.2 M parameters,
# MPJPE 43.2 mm). Encoder from pstmo-s-mpm-tds1_1xb160-80e_h36m-cpn-243f.py;
# otherwise as pstmo-s_1xb160-80e_h36m-cpn-243f.py.
_base_ = ['./pstmo-s_1xb160-80e_h36m-cpn-243f.py']

S = 1
model = dict(
    backbone=dict(
        encoder=dict(
            init_cfg=dict(
                checkpoint='work_dirs/pstmo-s-mpm-tds1_1xb160-80e_h36m-'
                'cpn-243f/best_mpm_2d_mpjpe_stage1.pth'))))
train_dataloader = dict(dataset=dict(seq_step=S))
val_dataloader = dict(dataset=dict(seq_step=S))
test_dataloader = val_dataloader
