# P-STMO-S Stage I with ground-truth 2D input (data_2d_h36m_gt.npz), N = 243,
# s = 2; 7 masked joints per frame (README for the GT-input model).
_base_ = ['./pstmo-s-mpm_1xb160-80e_h36m-cpn-243f.py']

model = dict(spatial_mask_num=7)
train_dataloader = dict(dataset=dict(file_2d='data_2d_h36m_gt.npz'))
val_dataloader = dict(dataset=dict(file_2d='data_2d_h36m_gt.npz'))
test_dataloader = val_dataloader
