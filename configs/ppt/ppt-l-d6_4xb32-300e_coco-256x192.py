# PPT-L/D6 on COCO, 256x192 (Table 3.3: 20.8M params in the paper, AP 75.2).
# The official PPT code builds "L/D6" as TokenPose-B with HRNet-W48 stages
# 1-3 (48 channels) and 6 layers: 20,300,064 trainable parameters; the
# paper's 20.8M is the original multi-scale TokenPose-L/D6. HTI
# sits in layers 1, 3, 4 ("before the 2nd, 4th and 5th layers" in the
# paper; the repo's default 3, 6, 9 would prune only once at depth 6).
# ImageNet HRNet-W48 weights (hrnet_w48-8ef0771d.pth) go to the path below.
_base_ = ['./ppt-b_4xb32-300e_coco-256x192.py']

model = dict(
    backbone=dict(
        extra=dict(
            stage2=dict(num_channels=(48, 96)),
            stage3=dict(num_channels=(48, 96, 192))),
        init_cfg=dict(checkpoint='data/pretrained/hrnet_w48-8ef0771d.pth')),
    head=dict(in_channels=48, depth=6, prune_layers=(1, 3, 4)))
