# Ablation "single-scale feature warping" (paper Table III): only the finest
# level is warped (with w_3), coarser levels use unwarped source features.
# Run the warping stage with the same switch first; see
# docs/motion_transfer.md#ablations.
_base_ = ['./orfnt-s3-joint_1xb8-200ki_ted-128to256.py']

model = dict(warp_generator=dict(single_scale=True))
load_from = ('work_dirs/orfnt-ssfw-s2-warping_1xb8-100ki_ted-128to256/'
             'iter_100000.pth')
