# P-STMO Stage I (the larger model), N = 243, s = 2: TEM 4 layers, decoder
# 3 layers (Table 7 optimum), temporal mask ratio 0.6 and 3 masked joints
# per frame (official README).
_base_ = ['./pstmo-s-mpm_1xb160-80e_h36m-cpn-243f.py']

model = dict(
    encoder=dict(num_layers=4),
    decoder=dict(num_layers=3),
    temporal_mask_ratio=0.6,
    spatial_mask_num=3)
