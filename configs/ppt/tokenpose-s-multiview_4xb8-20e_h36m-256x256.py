# "TokenPose + Transformers" (Table 3.5, #V = 4, JDR 97.4, 11.5G MACs):
# multi-view PPT without token pruning (keep ratio 1), so the two fusion
# layers attend over all 4 x (17 + 256) tokens. Initialised from TokenPose-S
# COCO 256x256 (tokenpose-s_4xb32-300e_coco-256x256.py) with its keypoint
# tokens in Human3.6M order (ppt_official.py --h36m-init).
_base_ = ['./ppt-s-multiview_4xb8-20e_h36m-256x256.py']

model = dict(
    head=dict(keep_ratio=1.0),
    init_cfg=dict(checkpoint='checkpoints/tokenpose-s_coco-256x256_h36m.pth'))
