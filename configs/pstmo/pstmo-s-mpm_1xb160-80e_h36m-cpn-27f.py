# P-STMO-S Stage I, N = 27, s = 9 (receptive field 235; Table 5's best
# 27-frame setting; s = 1 and 3 are its other rows: override seq_step of
# the three dataloaders). Otherwise as the 243-frame Stage I config.
_base_ = ['./pstmo-s-mpm_1xb160-80e_h36m-cpn-243f.py']

N, S = 27, 9
model = dict(encoder=dict(seq_len=N))
train_dataloader = dict(dataset=dict(seq_len=N, seq_step=S))
val_dataloader = dict(dataset=dict(seq_len=N, seq_step=S))
test_dataloader = val_dataloader
