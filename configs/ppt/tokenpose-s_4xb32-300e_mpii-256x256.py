# TokenPose-S baseline on MPII, 256x256 (Table 3.2 "TokenPose-S", PCKh@0.5
# 86.2; Table 3.4 row r = 1.0): the PPT-S MPII model without token pruning
# (keep ratio 1, no schedule).
_base_ = ['./ppt-s_4xb32-300e_mpii-256x256.py']

model = dict(head=dict(keep_ratio=1.0))
custom_hooks = [dict(type='AverageLogVarsHook')]
