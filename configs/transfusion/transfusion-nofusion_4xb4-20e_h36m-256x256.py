# Single-view TransPose baseline (Table 2.1 "Single view TransPose"): the
# TransFusion network run on one view at a time, 2D sine PE only.
_base_ = ['./transfusion_4xb4-20e_h36m-256x256.py']

model = dict(
    neck=dict(pe_3d='none', fusion=False), epipolar_loss=None)
