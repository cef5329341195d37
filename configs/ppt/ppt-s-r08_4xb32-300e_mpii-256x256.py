# PPT-S with keep ratio r = 0.8 on MPII, 256x256 (Table 3.4 row "PPT-S,
# r = 0.8": PCKh@0.5 86.9, PCKh@0.1 32.9, 2.06 GFLOPs). HTI keeps 205 / 164
# / 132 of the 256 visual tokens; the keep-ratio schedule targets 0.8.
_base_ = ['./ppt-s_4xb32-300e_mpii-256x256.py']

model = dict(head=dict(keep_ratio=0.8))
