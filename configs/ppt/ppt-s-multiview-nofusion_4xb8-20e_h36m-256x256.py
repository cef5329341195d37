# "PPT, #V = 1" (Table 3.5): PPT-S fine-tuned on H36M, no cross-view fusion
# (all 12 layers per view).
_base_ = ['./ppt-s-multiview_4xb8-20e_h36m-256x256.py']

model = dict(head=dict(use_3d_pe=False, fusion_start_layer=12))
