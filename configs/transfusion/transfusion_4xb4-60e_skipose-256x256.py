# TransFusion on Ski-Pose PTZ (Table 2.4): 6 cameras, pairs (0,1), (2,3),
# (4,5); the images are already 256x256 crops (box = whole image). The
# official config runs 60 epochs with steps at 30 and 45.
_base_ = ['./transfusion_4xb4-20e_h36m-256x256.py']

model = dict(
    train_pair_map={0: 1, 1: 0, 2: 3, 3: 2, 4: 5, 5: 4},
    test_pairs=[(0, 1), (2, 3), (4, 5)],
    num_views=6)

# plain argmax decoding, as the official test (TEST.POST_PROCESS: false)
codec = dict(
    type='ArgmaxHeatmap',
    input_size=(256, 256),
    heatmap_size=(64, 64),
    sigma=2,
    unbiased=False)
train_view_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='ComputeCameraRays', stride=8)
]
val_view_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='ComputeCameraRays', stride=8)
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='MultiViewSkiPoseDataset',
        data_root='data/skipose/',
        ann_file='annot/ski_train.pkl',
        data_prefix=dict(img='images/'),
        pipeline=[
            dict(type='ApplyToViews', transforms=train_view_pipeline),
            dict(type='PackMultiViewPoseInputs')
        ]))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='MultiViewSkiPoseDataset',
        data_root='data/skipose/',
        # the test split as the official preprocessing names it
        ann_file='annot/ski_validation.pkl',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=[
            dict(type='ApplyToViews', transforms=val_view_pipeline),
            dict(type='PackMultiViewPoseInputs')
        ]))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='JointDetectionRate', thr_px=12.8, space='original'),
    dict(type='TriangulationMPJPE', use_distortion=False)
]
test_evaluator = val_evaluator
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[30, 45], gamma=0.1)
]
train_cfg = dict(max_epochs=60)
