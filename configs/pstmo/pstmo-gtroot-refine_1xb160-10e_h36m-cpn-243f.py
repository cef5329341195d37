# P-STMO + the refinement module of Cai et al. (ICCV 2019): Table 1 rows
# marked (*), 42.1 mm MPJPE. NOT comparable with the other settings: the
# refinement back-projects the 2D input with the GROUND-TRUTH ROOT DEPTH
# (target_root), at training and at test time.
# The official code only documents evaluation (its released checkpoints:
# tools/model_converters/pstmo_official.py SRC DST --refine REF). The
# training recipe here is ours: start from the trained P-STMO Stage II
# model (load_from), train everything with the refined-pose MPJPE (the
# official loss in refine mode) for 10 epochs at lr 1e-5.
_base_ = ['./pstmo_1xb160-80e_h36m-cpn-243f.py']

model = dict(
    backbone=dict(return_centre_input=True, encoder=dict(init_cfg=None)),
    head=dict(type='STMORefineHead', refine_hidden=1024, refine_dropout=0.5))
load_from = ('work_dirs/pstmo_1xb160-80e_h36m-cpn-243f/'
             'best_h36m_MPJPE_action_mean_stage2.pth')
train_cfg = dict(max_epochs=10)
default_hooks = dict(checkpoint=dict(filename_tmpl='refine.pth'))
optim_wrapper = dict(optimizer=dict(lr=1e-5))
param_scheduler = [
    dict(type='ExponentialLR', gamma=0.97, by_epoch=True, begin=0, end=10)
]
