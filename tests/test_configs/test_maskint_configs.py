import torch
from mmengine import Config

from mmhuman_ext.registry import MODELS

BASE = 'configs/maskint/maskint-base_8xb8-100e_videos-16f-384x672.py'
DEMO = 'configs/demo/maskint-tiny_1xb8-200e_synthvideos512-8f-64x96.py'
NOSTRUCT = \
    'configs/demo/maskint-tiny-nostruct_1xb8-200e_synthvideos512-8f-64x96.py'


def test_base_recipe():
    cfg = Config.fromfile(BASE)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.optim_wrapper.optimizer.lr == 1e-4
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    assert cfg.optim_wrapper.clip_grad.max_norm == 1.0
    assert [s.type for s in cfg.param_scheduler] == ['LinearLR',
                                                     'CosineAnnealingLR']
    assert cfg.train_cfg.max_epochs == 100
    data = cfg.train_dataloader.dataset
    assert data.clip_len == 16 and tuple(data.frame_intervals) == (1, 2, 4)
    assert cfg.val_dataloader.dataset.pipeline[2].scale == (384, 672)
    assert cfg.model.test_cfg.num_steps == 32
    assert cfg.model.test_cfg.choice_temperature == 4.5


def test_base_model_is_130_6m():
    cfg = Config.fromfile(BASE)
    cfg.model.data_preprocessor = dict(type='MaskINTDataPreprocessor')
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) == 130_638_592


def test_demo_and_ablation_differ_only_in_structure():
    demo, ablation = Config.fromfile(DEMO), Config.fromfile(NOSTRUCT)
    assert ablation.model.transformer.use_structure is False
    ablation.model.transformer.pop('use_structure')
    assert demo.model.to_dict() == ablation.model.to_dict()
    assert demo.train_dataloader.to_dict() == \
        ablation.train_dataloader.to_dict()
    assert demo.optim_wrapper.type == 'OptimWrapper'  # CPU: no AMP
