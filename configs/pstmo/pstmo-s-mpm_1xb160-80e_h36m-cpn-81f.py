# P-STMO-S Stage I, N = 81, s = 3 (receptive field 241; Table 1 / Table 5
# row "81, 3"). Otherwise as the 243-frame Stage I config.
_base_ = ['./pstmo-s-mpm_1xb160-80e_h36m-cpn-243f.py']

N, S = 81, 3
model = dict(encoder=dict(seq_len=N))
train_dataloader = dict(dataset=dict(seq_len=N, seq_step=S))
val_dataloader = dict(dataset=dict(seq_len=N, seq_step=S))
test_dataloader = val_dataloader
