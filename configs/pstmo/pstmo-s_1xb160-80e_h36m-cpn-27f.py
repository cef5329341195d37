# P-STMO-S Stage II, N = 27, s = 9: Table 5 (46.1 mm), 4.6 M parameters
# (thop count; 4,682,598 all parameters); MOFA 3 layers (27 -> 9 -> 3 -> 1).
# Encoder from the 27-frame Stage I config.
_base_ = ['./pstmo-s_1xb160-80e_h36m-cpn-243f.py']

N, S = 27, 9
input_shape = (N, 17, 2)  # one sample, for tools/analysis/*.py
model = dict(
    backbone=dict(
        encoder=dict(
            seq_len=N,
            init_cfg=dict(
                checkpoint='work_dirs/pstmo-s-mpm_1xb160-80e_h36m-cpn-27f/'
                'best_mpm_2d_mpjpe_stage1.pth'))))
train_dataloader = dict(dataset=dict(seq_len=N, seq_step=S))
val_dataloader = dict(dataset=dict(seq_len=N, seq_step=S))
test_dataloader = val_dataloader
