# ORFNT 128 -> 256 on TED-Talks, stage 2 of 4 (warping): MotionNet and the
# multi-scale warping generator, the geometry branch frozen; flow losses
# (correctness 5.0, affine 0.01, TV 1.0, consistency 5.0), pyramid
# perceptual / L1 / BCE on the 2D-branch output, and the DensePose loss
# (keeps the translation signals meaningful). 100k iterations from the last
# stage-1 checkpoint, fresh optimizers.
_base_ = ['./orfnt-s1-geometry_1xb8-100ki_ted-128to256.py']

model = dict(train_stage='warping')
load_from = ('work_dirs/orfnt-s1-geometry_1xb8-100ki_ted-128to256/'
             'iter_100000.pth')
