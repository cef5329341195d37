# TokenPose on Ski-Pose PTZ (Table 3.7, JDR 95.0, MPJPE 35.6 mm, 16.8G MACs
# for 6 views): TokenPose-S per view (no fusion, no 3D PE, keep ratio 1),
# 2D per view triangulated over the 6 cameras. Data and recipe as
# ppt-s-multiview_4xb8-20e_skipose-256x256.py; initialised from TokenPose-S
# COCO 256x256 in Human3.6M keypoint order (ppt_official.py --h36m-init).
_base_ = ['./ppt-s-multiview_4xb8-20e_skipose-256x256.py']

model = dict(
    head=dict(keep_ratio=1.0, use_3d_pe=False, fusion_start_layer=12),
    init_cfg=dict(checkpoint='checkpoints/tokenpose-s_coco-256x256_h36m.pth'))
