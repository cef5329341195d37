# Ablation "w/o D." (thesis Table 4.3): CVTHead stage 1 without the hair and
# shoulder deformation f_H; the mesh is FLAME alone. Everything else as the
# main stage-1 config.
_base_ = ['./cvthead-s1_2xb8-200e_vox1-256x256.py']

model = dict(hair_deformer=None)
