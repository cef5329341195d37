# PPT-S with keep ratio r = 0.8 on COCO, 256x192 (Table 3.4 row "PPT-S,
# r = 0.8": AP 72.0, AR 77.6, 1.75 GFLOPs). HTI keeps 205 / 164 / 132 of
# the 256 visual tokens (the paper's 131 is 0.8^3 x 256). The keep-ratio
# schedule targets the model's value (1 for 10 epochs, cosine to 0.8 by
# epoch 110).
_base_ = ['./ppt-s_4xb32-300e_coco-256x192.py']

model = dict(head=dict(keep_ratio=0.8))
