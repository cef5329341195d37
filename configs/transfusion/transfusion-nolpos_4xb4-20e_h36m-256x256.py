# Ablation "GPE w/o L_pos" (Table 2.3): GPE kept, epipolar loss dropped.
_base_ = ['./transfusion_4xb4-20e_h36m-256x256.py']

model = dict(epipolar_loss=None)
