# Cross-identity test of the VoxCeleb2 stage-2 model (thesis Table 4.2,
# VoxCeleb2 rows): the VoxCeleb1 cross-identity protocol and metrics on the
# VoxCeleb2 test videos. Test-only: use with tools/test.py and the checkpoint
# of cvthead-s2_2xb8-2e_vox2-256x256.py.
_base_ = ['./cvthead-s2-crossid_2xb8-20e_vox1-256x256.py']

test_dataloader = dict(dataset=dict(data_root='data/vox2/'))
