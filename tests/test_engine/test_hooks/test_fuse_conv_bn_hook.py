from types import SimpleNamespace

import torch
from mmengine.config import Config
from torch import nn

from mmhuman_ext.registry import HOOKS, MODELS


def test_fused_ppt_gives_the_same_heatmaps_without_batchnorm():
    cfg = Config.fromfile('configs/ppt/ppt-s_4xb32-300e_coco-256x192.py')
    model = MODELS.build(cfg.model)
    for module in model.modules():  # non-trivial running statistics
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
    model.eval()
    x = torch.randn(2, 3, 256, 192)
    with torch.no_grad():
        expected = model(x, None, mode='tensor')
        HOOKS.build(dict(type='FuseConvBNHook')).before_test(
            SimpleNamespace(model=model))
        fused = model(x, None, mode='tensor')
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    torch.testing.assert_close(fused, expected, rtol=1e-4, atol=1e-5)
