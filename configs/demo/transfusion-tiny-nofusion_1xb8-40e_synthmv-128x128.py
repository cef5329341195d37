# The demo TransFusion without fusion: every view alone (TransPose), 2D
# sine PE only, no epipolar loss; the baseline of the demo comparison
# (same data, seed and schedule).
_base_ = ['./transfusion-tiny_1xb8-40e_synthmv-128x128.py']

model = dict(neck=dict(pe_3d='none', fusion=False), epipolar_loss=None)
