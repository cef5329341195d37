# "TokenPose, #V = 1" (Table 3.5, JDR 94.9, 11.2G MACs for 4 views):
# TokenPose-S fine-tuned on Human3.6M, each view on its own (no fusion
# layers, no 3D PE, keep ratio 1). Initialised as
# tokenpose-s-multiview_4xb8-20e_h36m-256x256.py.
_base_ = ['./ppt-s-multiview_4xb8-20e_h36m-256x256.py']

model = dict(
    head=dict(keep_ratio=1.0, use_3d_pe=False, fusion_start_layer=12),
    init_cfg=dict(checkpoint='checkpoints/tokenpose-s_coco-256x256_h36m.pth'))
