# Ablation "w/o occlusion map" (paper Table III): the joint stage with o = 0
# at every level. Run the warping stage with the same switch first
# (--cfg-options model.warp_generator.occlusion=False) and point load_from
# at its last checkpoint; see docs/motion_transfer.md#ablations.
_base_ = ['./orfnt-s3-joint_1xb8-200ki_ted-128to256.py']

model = dict(warp_generator=dict(occlusion=False))
load_from = ('work_dirs/orfnt-nocc-s2-warping_1xb8-100ki_ted-128to256/'
             'iter_100000.pth')
