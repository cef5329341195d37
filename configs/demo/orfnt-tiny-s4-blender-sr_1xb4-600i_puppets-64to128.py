# Demo, stage 4 of 4 (BlenderNet + SR): the final 64 -> 128 model, from the
# last stage-3 demo checkpoint. tools/test.py on this config evaluates L1
# and AKD / MKR on the test puppets.
_base_ = ['./orfnt-tiny-s1-geometry_1xb4-300i_puppets-64to128.py']

model = dict(train_stage='blender_sr')
# only BlenderNet trains here: the stage-3 BlenderNet rate (5e-4); the new
# SR block changes what the image head sees
optim_wrapper = dict(generator=dict(optimizer=dict(lr=5e-4)))
max_iters = 600
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
load_from = ('work_dirs/orfnt-tiny-s3-joint_1xb4-1500i_puppets-64to128/'
             'iter_1500.pth')
