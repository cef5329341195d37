# Ablation "learnable 3D PE" (Table 2.3): a free (2 views, 1024, 256)
# parameter instead of the GPE (+524,288 parameters), no L_pos.
_base_ = ['./transfusion_4xb4-20e_h36m-256x256.py']

model = dict(
    neck=dict(pe_3d='learnable', num_views=2), epipolar_loss=None)
