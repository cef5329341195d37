# PPT-B on COCO, 256x192 (Table 3.1 "PPT-Base": 13.5M params, AP 74.4).
# As PPT-S, but the CNN front is HRNet-W32 stages 1-3 (ImageNet weights,
# 32 channels at stride 4) and attention logits are scaled by
# 1/sqrt(D / heads) (official TokenPose_TB_base). Put the ImageNet HRNet-W32
# weights (hrnet_w32-36af842e.pth, HRNet model zoo) at the path below;
# nothing is downloaded.
_base_ = ['./ppt-s_4xb32-300e_coco-256x192.py']

model = dict(
    backbone=dict(
        num_stages=3,
        extra=dict(
            stage2=dict(
                num_modules=1,
                num_branches=2,
                block='BASIC',
                num_blocks=(4, 4),
                num_channels=(32, 64)),
            stage3=dict(
                num_modules=4,
                num_branches=3,
                block='BASIC',
                num_blocks=(4, 4, 4),
                num_channels=(32, 64, 128))),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='data/pretrained/hrnet_w32-36af842e.pth')),
    head=dict(in_channels=32, qk_scale='head'))
