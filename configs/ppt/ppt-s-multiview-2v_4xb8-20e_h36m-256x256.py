# Multi-view PPT with #V = 2 (Table 3.5, JDR 96.6, 9.7G MACs for 4 views):
# the fusion layers see the two views of a fixed pair, as TransFusion does
# (training: a random main view and its partner; test: pairs (0, 2) and
# (1, 3), each view once).
_base_ = ['./ppt-s-multiview_4xb8-20e_h36m-256x256.py']

model = dict(
    view_mode='pairs',
    train_pair_map={
        0: 2,
        1: 3,
        2: 0,
        3: 1
    },
    test_pairs=[(0, 2), (1, 3)])
