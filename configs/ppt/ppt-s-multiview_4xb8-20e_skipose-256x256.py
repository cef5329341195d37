# Multi-view PPT on Ski-Pose PTZ (Table 3.7): all 6 views fused. The
# official repo has no Ski config; H36M recipe with 6 views (our choice).
_base_ = ['./ppt-s-multiview_4xb8-20e_h36m-256x256.py']

model = dict(num_views=6)

codec = dict(
    type='MSRAHeatmap',
    input_size=(256, 256),
    heatmap_size=(64, 64),
    sigma=2,
    unbiased=False)
train_view_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='ComputeCameraRays', stride=16)
]
val_view_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='ComputeCameraRays', stride=16)
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
