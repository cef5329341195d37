# P-STMO-S Stage II, N = 81, s = 3: Table 1 "P-STMO-S, N=81" (44.1 mm),
# 5.4 M parameters (thop count; 5,527,142 all parameters); MOFA 4 layers
# (81 -> 27 -> 9 -> 3 -> 1). Encoder from the 81-frame Stage I config.
_base_ = ['./pstmo-s_1xb160-80e_h36m-cpn-243f.py']

N, S = 81, 3
input_shape = (N, 17, 2)  # one sample, for tools/analysis/*.py
model = dict(
    backbone=dict(
        encoder=dict(
            seq_len=N,
            init_cfg=dict(
                checkpoint='work_dirs/pstmo-s-mpm_1xb160-80e_h36m-cpn-81f/'
                'best_mpm_2d_mpjpe_stage1.pth'))))
train_dataloader = dict(dataset=dict(seq_len=N, seq_step=S))
val_dataloader = dict(dataset=dict(seq_len=N, seq_step=S))
test_dataloader = val_dataloader
