# The demo TransFusion without fusion: every view alone (TransPose), 2D
# sine PE only, no epipolar loss; the baseline of the demo comparison.
_base_ = ['./transfusion-tiny_1xb8-10e_synthmv-64x64.py']

model = dict(neck=dict(pe_3d='none', fusion=False), epipolar_loss=None)
