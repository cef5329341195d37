# Runtime shared by all configs: mmpose's defaults in the mmhuman_ext scope.
default_scope = 'mmhuman_ext'
# Tools that read a config without our code, such as mmpose's
# MMPoseInferencer / demo/inferencer_demo.py (scope 'mmpose'): reading the
# config registers our components and installs the safe checkpoint loading,
# and the model and everything inside it is built from our scope.
custom_imports = dict(
    imports=['mmhuman_ext.utils.auto_register'], allow_failed_imports=False)
model = dict(_scope_='mmhuman_ext')

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # mmengine's CheckpointHook, but it writes the new file before deleting
    # old ones and never saves NaN weights (tools/train.py swaps it in too);
    # scoped, so that a config switching default_scope still finds it
    checkpoint=dict(
        type='mmhuman_ext.SafeCheckpointHook',
        interval=10,
        save_best='coco/AP',
        rule='greater',
        max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='PoseVisualizationHook', enable=False))

# losses logged over all processes, not rank 0's share of the batch; stop at
# the first NaN / inf loss
custom_hooks = [
    dict(type='AverageLogVarsHook'),
    dict(type='mmhuman_ext.NonFiniteLossHook')
]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='PoseLocalVisualizer', vis_backends=vis_backends, name='visualizer')

log_processor = dict(
    type='LogProcessor', window_size=50, by_epoch=True, num_digits=6)
log_level = 'INFO'
load_from = None
resume = False

backend_args = dict(backend='local')

train_cfg = dict(by_epoch=True)
val_cfg = dict()
test_cfg = dict()
