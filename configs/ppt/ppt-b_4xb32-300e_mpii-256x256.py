# PPT-B on MPII, 256x256 (Table 3.2: 14.4M params, PCKh@0.5 89.8).
# PPT-S MPII with the HRNet-W32 front (ImageNet weights at the path below)
# and 1/sqrt(D / heads) attention scaling, as PPT-B on COCO.
_base_ = ['./ppt-s_4xb32-300e_mpii-256x256.py']

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
