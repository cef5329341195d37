# Ablation "2.5D baseline + BlenderNet" (paper Table III): no warping branch
# (MotionNet's encoder gives the translation signals, its flow decoder is
# unused); BlenderNet fuses F_nt only (16 channels). Starts from the full
# model's stage-1 (geometry) checkpoint.
_base_ = ['./orfnt-s3-joint_1xb8-200ki_ted-128to256.py']

model = dict(use_warp_branch=False)
load_from = ('work_dirs/orfnt-s1-geometry_1xb8-100ki_ted-128to256/'
             'iter_100000.pth')
