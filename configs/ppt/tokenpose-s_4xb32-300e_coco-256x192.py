# TokenPose-S baseline on COCO, 256x192 (Table 3.1 "TokenPose-Small", AP 72.5):
# the PPT-S model without token pruning (keep ratio 1, no schedule).
_base_ = ['./ppt-s_4xb32-300e_coco-256x192.py']

model = dict(head=dict(keep_ratio=1.0))
custom_hooks = [dict(type='AverageLogVarsHook')]
