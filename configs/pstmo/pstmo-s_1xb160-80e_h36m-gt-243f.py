# P-STMO-S Stage II with ground-truth 2D input, N = 243, s = 2: Table 1
# (bottom) "P-STMO, N=243" = 29.3 mm, which the README's checkpoint shows is
# P-STMO-S (3 TEM layers; Table 8 lists the same 29.3). lr 1e-3 (README).
_base_ = ['./pstmo-s_1xb160-80e_h36m-cpn-243f.py']

model = dict(
    backbone=dict(
        encoder=dict(
            init_cfg=dict(
                checkpoint='work_dirs/pstmo-s-mpm_1xb160-80e_h36m-gt-243f/'
                'best_mpm_2d_mpjpe_stage1.pth'))))
train_dataloader = dict(dataset=dict(file_2d='data_2d_h36m_gt.npz'))
val_dataloader = dict(dataset=dict(file_2d='data_2d_h36m_gt.npz'))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=1e-3))
