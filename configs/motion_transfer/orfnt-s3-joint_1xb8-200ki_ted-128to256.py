# ORFNT 128 -> 256 on TED-Talks, stage 3 of 4 (joint): the whole model but
# the SR block, BlenderNet output at 128 compared with the 128-px frame; all
# losses and LSGAN (one discriminator step, then one generator step). 200k
# iterations from the last stage-2 checkpoint.
_base_ = ['./orfnt-s1-geometry_1xb8-100ki_ted-128to256.py']

model = dict(train_stage='joint')
max_iters = 200000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
load_from = ('work_dirs/orfnt-s2-warping_1xb8-100ki_ted-128to256/'
             'iter_100000.pth')
