# P-STMO-S Stage I, N = 243, temporal downsampling s = 1 (receptive field
# 243 frames): the pre-training of the Table 5 row "N = 243, s = 1".
# Otherwise as pstmo-s-mpm_1xb160-80e_h36m-cpn-243f.py.
_base_ = ['./pstmo-s-mpm_1xb160-80e_h36m-cpn-243f.py']

S = 1
train_dataloader = dict(dataset=dict(seq_step=S))
val_dataloader = dict(dataset=dict(seq_step=S))
test_dataloader = val_dataloader
