# CVTHead stage 2 on VoxCeleb2: the stage-2 recipe (adversarial + feature
# matching, G lr 2e-5, fresh optimizers) for a tenth of the stage-1 epochs
# (the official rule, epochs // 10 = 2, ~18k iterations), starting from the
# last checkpoint of the VoxCeleb2 stage 1.
_base_ = ['./cvthead-s1_2xb8-24e_vox2-256x256.py']

model = dict(stage=2)
optim_wrapper = dict(generator=dict(optimizer=dict(lr=2e-5)))
train_cfg = dict(max_epochs=2, val_interval=1)
load_from = 'work_dirs/cvthead-s1_2xb8-24e_vox2-256x256/'
resume = False
