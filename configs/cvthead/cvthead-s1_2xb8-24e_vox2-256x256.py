# CVTHead stage 1 on VoxCeleb2 (thesis Tables 4.1/4.2, lower rows): the
# VoxCeleb1 recipe on all VoxCeleb2 training videos. The official VoxCeleb2
# schedule is not released; the number of generator steps is kept: one
# random pair per video per epoch, ~145k videos / batch 16 = ~9.1k
# iterations per epoch, 24 epochs = ~218k iterations (VoxCeleb1: 200 x 1.08k
# = 216k). Data in the VoxCeleb1 layout under data/vox2/
# (docs/data_preparation.md#voxceleb-cvthead).
_base_ = ['./cvthead-s1_2xb8-200e_vox1-256x256.py']

data_root = 'data/vox2/'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=24, val_interval=2)
