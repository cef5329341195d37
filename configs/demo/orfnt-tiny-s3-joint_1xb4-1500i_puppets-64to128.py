# Demo, stage 3 of 4 (joint): everything but the SR block, output at 64, with
# LSGAN; from the last stage-2 demo checkpoint.
_base_ = ['./orfnt-tiny-s1-geometry_1xb4-300i_puppets-64to128.py']

model = dict(train_stage='joint')
# the paper's learning rate once the branches are joined (the stage-1/2
# demo rate, 5e-4, made the flows diverge here); BlenderNet, which starts
# from scratch in this stage, learns at 2.5x that rate (5e-4): at 2e-4 its
# output was still far behind the 2D branch's after 600 iterations
# (docs/motion_transfer.md, "Demo")
optim_wrapper = dict(
    generator=dict(
        optimizer=dict(lr=2e-4),
        paramwise_cfg=dict(custom_keys=dict(blender=dict(lr_mult=2.5)))))
max_iters = 1500
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
load_from = ('work_dirs/orfnt-tiny-s2-warping_1xb4-1200i_puppets-64to128/'
             'iter_1200.pth')
