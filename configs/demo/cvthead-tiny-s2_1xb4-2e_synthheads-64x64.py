# Demo, stage 2: the official stage-2 recipe on the built-in heads (hinge
# adversarial term 0.01 and feature matching 0.1, losses on images
# composited with the ground-truth mask, fresh optimizers with the generator
# lr divided by 5), starting from the last checkpoint of the stage-1 demo
# (cvthead-tiny_1xb4-20e_synthheads-64x64.py) in its default work dir; one
# tenth of its epochs, as the official stage 2.
_base_ = ['./cvthead-tiny_1xb4-20e_synthheads-64x64.py']

model = dict(stage=2)
optim_wrapper = dict(generator=dict(optimizer=dict(lr=1e-4)))
train_cfg = dict(max_epochs=2, val_interval=1)
default_hooks = dict(checkpoint=dict(interval=1))
load_from = 'work_dirs/cvthead-tiny_1xb4-20e_synthheads-64x64/'
resume = False
