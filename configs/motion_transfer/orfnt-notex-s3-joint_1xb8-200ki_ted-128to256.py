# Ablation "2D + MotionNet + BlenderNet" (paper Table III): no neural texture
# branch; BlenderNet fuses F_2D only (64 channels). No geometry stage: the
# warping stage (with the same switch) starts from scratch, then this joint
# stage; see docs/motion_transfer.md#ablations.
_base_ = ['./orfnt-s3-joint_1xb8-200ki_ted-128to256.py']

model = dict(use_texture_branch=False)
load_from = ('work_dirs/orfnt-notex-s2-warping_1xb8-100ki_ted-128to256/'
             'iter_100000.pth')
