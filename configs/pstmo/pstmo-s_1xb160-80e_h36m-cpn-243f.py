# P-STMO-S Stage II (STMO fine-tuning) on Human3.6M, CPN 2D input, N = 243,
# s = 2: Table 1 "P-STMO-S, N=243" (43.0 mm MPJPE), 6.2 M parameters
# (thop count; 6,482,278 all parameters). Encoder (SEM + TEM) starts from
# the Stage I checkpoint of pstmo-s-mpm_1xb160-80e_h36m-cpn-243f.py; MOFA
# has 5 strided layers (243 -> 81 -> 27 -> 9 -> 3 -> 1). Loss MPJPE(centre
# frame) + 1.0 * MPJPE(all frames). Adam (amsgrad) 7e-4 (README), x0.97 per
# epoch, 80 epochs, batch 160, doubled flip augmentation, flip test.
# Data, pipelines and schedule come from the Stage I config.
_base_ = ['./pstmo-s-mpm_1xb160-80e_h36m-cpn-243f.py']

N = 243
input_shape = (N, 17, 2)  # one sample, for tools/analysis/*.py
stage1_checkpoint = ('work_dirs/pstmo-s-mpm_1xb160-80e_h36m-cpn-243f/'
                     'best_mpm_2d_mpjpe_stage1.pth')
codec = dict(type='SeqPoseLifting', num_keypoints=17, root_index=0)
model = dict(
    _delete_=True,
    _scope_='mmhuman_ext',  # as the base runtime's (dropped by _delete_)
    type='PoseLifter',
    backbone=dict(
        type='STMO',
        encoder=dict(
            type='STMOEncoder',
            num_joints=17,
            in_channels=2,
            embed_dims=256,
            sem_hidden_dims=512,
            sem_num_blocks=1,
            num_layers=3,
            num_heads=8,
            ffn_dims=512,
            seq_len=N,
            dropout=0.1,
            init_cfg=dict(
                type='Pretrained',
                checkpoint=stage1_checkpoint,
                prefix='encoder.')),
        # N comes from the encoder; strides 3 until one token is left
        mofa=dict(
            type='StridedTransformerEncoder',
            embed_dims=256,
            ffn_dims=512,
            num_heads=8,
            num_pos_embeds=3,
            dropout=0.1)),
    head=dict(
        type='STMOHead',
        in_channels=256,
        num_joints=17,
        multi_frame_weight=1.0,
        loss=dict(type='MPJPELoss'),
        decoder=codec),
    test_cfg=dict(flip_test=True, shift_coords=True))

val_evaluator = [
    dict(type='H36MProtocolMPJPE', mode='mpjpe', expected_actions=15),
    dict(type='H36MProtocolMPJPE', mode='p-mpjpe', expected_actions=15)
]
test_evaluator = [
    dict(
        type='H36MProtocolMPJPE',
        mode=mode,
        expected_actions=15,
        outfile_prefix='work_dirs/{{fileBasenameNoExtension}}/h36m')
    for mode in ('mpjpe', 'p-mpjpe', 'n-mpjpe', 'mpjve')
] + [dict(type='MPJPE', mode='mpjpe')]  # mmpose's frame-weighted (metres)

optim_wrapper = dict(optimizer=dict(type='Adam', lr=7e-4, amsgrad=True))
# last epoch: stage2.pth; best: best_h36m_MPJPE_action_mean_stage2.pth
default_hooks = dict(
    checkpoint=dict(
        filename_tmpl='stage2.pth',
        save_best='h36m/MPJPE_action_mean',
        rule='less'))
