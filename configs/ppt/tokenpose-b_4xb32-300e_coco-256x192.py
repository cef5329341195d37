# TokenPose-B baseline on COCO, 256x192 (Table 3.1 "TokenPose-Base", AP 74.7):
# the PPT-B model without token pruning (keep ratio 1, no schedule).
_base_ = ['./ppt-b_4xb32-300e_coco-256x192.py']

model = dict(head=dict(keep_ratio=1.0))
custom_hooks = [dict(type='AverageLogVarsHook')]
