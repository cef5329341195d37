# Ablation "w/o D." (thesis Table 4.3), stage 2: the main stage-2 recipe
# without f_H, starting from the last checkpoint of the ablation's stage 1.
_base_ = ['./cvthead-s2_2xb8-20e_vox1-256x256.py']

model = dict(hair_deformer=None)
load_from = 'work_dirs/cvthead-nodeform-s1_2xb8-200e_vox1-256x256/'
