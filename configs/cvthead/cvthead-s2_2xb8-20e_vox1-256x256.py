# CVTHead stage 2 (official main_stage2.py): stage 1 plus the hinge
# adversarial term (0.01) and discriminator feature matching (0.1), losses
# on images composited with the ground-truth mask, fresh Adam optimizers
# with G lr 2e-5 (D 4e-4), 20 epochs, starting from the last stage-1
# generator and discriminator: load_from names the stage-1 work dir, which
# means the checkpoint its last_checkpoint file names (tools/train.py).
_base_ = ['./cvthead-s1_2xb8-200e_vox1-256x256.py']

model = dict(stage=2)
optim_wrapper = dict(generator=dict(optimizer=dict(lr=2e-5)))
train_cfg = dict(max_epochs=20, val_interval=1)
load_from = 'work_dirs/cvthead-s1_2xb8-200e_vox1-256x256/'
resume = False
