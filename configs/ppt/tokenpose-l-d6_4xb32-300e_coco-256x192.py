# TokenPose-L/D6 baseline on COCO, 256x192 (Table 3.3, AP 75.4):
# the PPT-L/D6 model without token pruning (keep ratio 1, no schedule).
_base_ = ['./ppt-l-d6_4xb32-300e_coco-256x192.py']

model = dict(head=dict(keep_ratio=1.0))
custom_hooks = [dict(type='AverageLogVarsHook')]
