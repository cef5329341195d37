# P-STMO-S Stage I, N = 81, temporal downsampling s = 1 (receptive field
# 81 frames): the pre-training of the Table 5 row "N = 81, s = 1".
# Otherwise as pstmo-s-mpm_1xb160-80e_h36m-cpn-81f.py.
_base_ = ['./pstmo-s-mpm_1xb160-80e_h36m-cpn-81f.py']

S = 1
train_dataloader = dict(dataset=dict(seq_step=S))
val_dataloader = dict(dataset=dict(seq_step=S))
test_dataloader = val_dataloader
