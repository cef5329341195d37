# TokenPose-S on COCO at 256x256: the pre-training of the TokenPose rows of
# Table 3.5 / 3.7 (TokenPose #V = 1, TokenPose + Transformers), as
# ppt-s_4xb32-300e_coco-256x256.py is for multi-view PPT. Keep ratio 1, no
# schedule. Its keypoint tokens go to Human3.6M order with
# tools/model_converters/ppt_official.py --h36m-init.
_base_ = ['./ppt-s_4xb32-300e_coco-256x256.py']

model = dict(head=dict(keep_ratio=1.0))
custom_hooks = [dict(type='AverageLogVarsHook')]
