# Ablation "w/o 3D PE" (Table 2.3): views fused, 2D sine PE only, no L_pos.
_base_ = ['./transfusion_4xb4-20e_h36m-256x256.py']

model = dict(neck=dict(pe_3d='none'), epipolar_loss=None)
