# P-STMO Stage II, N = 243, s = 2: Table 1 "P-STMO, N=243" (42.8 mm MPJPE,
# 34.4 mm P-MPJPE), 6.7 M parameters (thop count; 7,009,382 all
# parameters). TEM 4 layers, lr 1e-3 (README). Encoder from
# pstmo-mpm_1xb160-80e_h36m-cpn-243f.py.
_base_ = ['./pstmo-s_1xb160-80e_h36m-cpn-243f.py']

model = dict(
    backbone=dict(
        encoder=dict(
            num_layers=4,
            init_cfg=dict(
                checkpoint='work_dirs/pstmo-mpm_1xb160-80e_h36m-cpn-243f/'
                'best_mpm_2d_mpjpe_stage1.pth'))))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
