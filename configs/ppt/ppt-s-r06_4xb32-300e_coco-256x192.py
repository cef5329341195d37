# PPT-S with keep ratio r = 0.6 on COCO, 256x192 (Table 3.4 row "PPT-S,
# r = 0.6": AP 71.8, AR 77.5, 1.52 GFLOPs). HTI keeps 154 / 93 / 56 of the
# 256 visual tokens. The keep-ratio schedule targets the model's value (1
# for 10 epochs, cosine to 0.6 by epoch 110).
_base_ = ['./ppt-s_4xb32-300e_coco-256x192.py']

model = dict(head=dict(keep_ratio=0.6))
