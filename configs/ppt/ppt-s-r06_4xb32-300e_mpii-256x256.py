# PPT-S with keep ratio r = 0.6 on MPII, 256x256 (Table 3.4 row "PPT-S,
# r = 0.6": PCKh@0.5 86.7, PCKh@0.1 32.3, 1.82 GFLOPs). HTI keeps 154 / 93
# / 56 of the 256 visual tokens; the keep-ratio schedule targets 0.6.
_base_ = ['./ppt-s_4xb32-300e_mpii-256x256.py']

model = dict(head=dict(keep_ratio=0.6))
