# TokenPose-B baseline on MPII, 256x256 (Table 3.2 "TokenPose-B", PCKh@0.5
# 89.7): the PPT-B MPII model without token pruning (keep ratio 1, no
# schedule).
_base_ = ['./ppt-b_4xb32-300e_mpii-256x256.py']

model = dict(head=dict(keep_ratio=1.0))
custom_hooks = [dict(type='AverageLogVarsHook')]
