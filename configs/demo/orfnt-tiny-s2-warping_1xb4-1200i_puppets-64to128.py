# Demo, stage 2 of 4 (warping): MotionNet and the warping generator on the
# puppets, from the last stage-1 demo checkpoint (see stage 1 for the
# sequence).
_base_ = ['./orfnt-tiny-s1-geometry_1xb4-300i_puppets-64to128.py']

model = dict(train_stage='warping')
max_iters = 1200
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
load_from = ('work_dirs/orfnt-tiny-s1-geometry_1xb4-300i_puppets-64to128/'
             'iter_300.pth')
