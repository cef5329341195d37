# Ablation of the MaskINT demo: the same model and training without
# structure tokens (no structure embedding), so the non-key frames can only
# be guessed from the keyframes. Train it after the token cache of
# maskint-tiny_1xb8-200e_synthvideos512-8f-64x96.py exists.
_base_ = ['./maskint-tiny_1xb8-200e_synthvideos512-8f-64x96.py']

model = dict(transformer=dict(use_structure=False))
