# ORFNT 256 -> 256 on TED-Talks: input and output at 256, no SR block, flows
# at 64 / 128 / 256, trained end to end from scratch for 600k iterations
# (batch 8); the perceptual-correctness and affine-regularisation losses are
# removed (the paper drops them at 256 for their cost).
_base_ = ['./orfnt-s1-geometry_1xb8-100ki_ted-128to256.py']

model = dict(
    train_stage='e2e',
    data_preprocessor=dict(in_size=256),
    blender=dict(upscale=1),
    loss_cfg=dict(corr=None, aff=None))
max_iters = 600000
train_cfg = dict(max_iters=max_iters, val_interval=50000)
