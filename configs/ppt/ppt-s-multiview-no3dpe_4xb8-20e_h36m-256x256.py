# Multi-view PPT "w.o. 3DPE" (Table 3.5): fusion with the 2D sine PE only.
_base_ = ['./ppt-s-multiview_4xb8-20e_h36m-256x256.py']

model = dict(head=dict(use_3d_pe=False))
