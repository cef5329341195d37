"""HRNet cut after stage 1, 2 or 3: the CNN front of TokenPose and PPT.

mmpose's :class:`~mmpose.models.backbones.HRNet` always builds four stages.
TokenPose / PPT use only the stem and the first stages:

* ``num_stages=1``: stem (two 3x3 stride-2 convs) + stage 1 (4 Bottlenecks,
  64 -> 256 channels) = the "stem-net" of TokenPose-S / PPT-S,
  output ``(B, 256, H/4, W/4)``, 325,056 parameters;
* ``num_stages=3``: HRNet-W32 (or W48) stages 1-3, the last stage-3 module
  fusing into the high-resolution branch only, output ``(B, 32 or 48, H/4,
  W/4)``, 7,685,632 (W32) / 16,705,824 (W48) parameters.

The subclass reuses HRNet's stage builders, so module names equal mmpose's
(and the official HRNet's): ImageNet HRNet checkpoints load, with the
unused stage-4 tensors and the low-resolution fuse layers of the last
stage-3 module reported as unexpected.
"""
from typing import Tuple

import torch
import torch.nn as nn
from mmcv.cnn import build_conv_layer, build_norm_layer
from mmpose.models.backbones import HRNet
from mmpose.models.backbones.base_backbone import BaseBackbone
from mmpose.models.backbones.resnet import get_expansion
from torch import Tensor

from mmhuman_ext.registry import MODELS


@MODELS.register_module()
class TruncatedHRNet(HRNet):
    """HRNet with only its first ``num_stages`` stages.

    Args:
        extra (dict): HRNet stage configs as for mmpose ``HRNet``
            (``stage1`` ... ``stage{num_stages}``; later stages are ignored).
        num_stages (int): 1, 2 or 3. Defaults to 3.
        in_channels (int): Input channels. Defaults to 3.
        conv_cfg, norm_cfg, norm_eval, with_cp, zero_init_residual,
        frozen_stages, init_cfg: as for mmpose ``HRNet``; ``frozen_stages``
            may not exceed ``num_stages``. The default init is the official
            one: convs N(0, 0.001), BN weight 1 and bias 0.

    Shapes: ``(B, in_channels, H, W)`` -> ``(feat, )`` with ``feat``
    ``(B, C_out, H / 4, W / 4)``; ``C_out`` is 256 for ``num_stages=1`` and
    the first branch width of the last stage otherwise. On CPU the input is
    made channels-last (NHWC) first, so ``feat`` is channels-last there.
    """

    def __init__(self,
                 extra: dict,
                 num_stages: int = 3,
                 in_channels: int = 3,
                 conv_cfg=None,
                 norm_cfg=dict(type='BN'),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 zero_init_residual: bool = False,
                 frozen_stages: int = -1,
                 init_cfg=[
                     dict(type='Normal', std=0.001, layer=['Conv2d']),
                     dict(type='Constant', val=1, layer=['_BatchNorm'])
                 ]):
        if num_stages not in (1, 2, 3):
            raise ValueError(f'TruncatedHRNet num_stages must be 1, 2 or 3, '
                             f'got {num_stages}')
        if frozen_stages > num_stages:
            raise ValueError(f'frozen_stages ({frozen_stages}) exceeds '
                             f'num_stages ({num_stages})')
        missing = [
            f'stage{i}' for i in range(1, num_stages + 1)
            if f'stage{i}' not in extra
        ]
        if missing:
            raise KeyError(f'TruncatedHRNet(num_stages={num_stages}) needs '
                           f'extra[{missing[0]!r}] (HRNet stage config)')
        BaseBackbone.__init__(self, init_cfg=init_cfg)
        self.extra = extra
        self.num_stages = num_stages
        self.conv_cfg = conv_cfg
        self.norm_cfg = dict(norm_cfg)
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        self.zero_init_residual = zero_init_residual
        self.frozen_stages = frozen_stages
        self.upsample_cfg = extra.get('upsample',
                                      dict(mode='nearest', align_corners=None))

        self.conv1 = build_conv_layer(
            conv_cfg, in_channels, 64, 3, stride=2, padding=1, bias=False)
        self.norm1_name, norm1 = build_norm_layer(self.norm_cfg, 64, postfix=1)
        self.add_module(self.norm1_name, norm1)
        self.conv2 = build_conv_layer(
            conv_cfg, 64, 64, 3, stride=2, padding=1, bias=False)
        self.norm2_name, norm2 = build_norm_layer(self.norm_cfg, 64, postfix=2)
        self.add_module(self.norm2_name, norm2)
        self.relu = nn.ReLU(inplace=True)

        stage1 = extra['stage1']
        block = self.blocks_dict[stage1['block']]
        channels = [stage1['num_channels'][0] * get_expansion(block)]
        self.layer1 = self._make_layer(block, 64, channels[0],
                                       stage1['num_blocks'][0])
        for i in range(2, num_stages + 1):
            cfg = extra[f'stage{i}']
            setattr(self, f'stage{i}_cfg', cfg)
            block = self.blocks_dict[cfg['block']]
            widths = [c * get_expansion(block) for c in cfg['num_channels']]
            setattr(self, f'transition{i - 1}',
                    self._make_transition_layer(channels, widths))
            stage, channels = self._make_stage(
                cfg, widths, multiscale_output=i < num_stages)
            setattr(self, f'stage{i}', stage)
        self.out_channels = channels[0]
        self._freeze_stages()

    def _freeze_stages(self) -> None:
        """Freeze the stem and stages 1..``frozen_stages`` (with the
        transition that follows each, where it exists)."""
        if self.frozen_stages < 0:
            return
        modules = [self.conv1, self.norm1, self.conv2, self.norm2]
        for i in range(1, self.frozen_stages + 1):
            stage = 'layer1' if i == 1 else f'stage{i}'
            modules.append(getattr(self, stage))
            if i < self.num_stages:
                modules.append(getattr(self, f'transition{i}'))
        for m in modules:
            m.eval()
            for param in m.parameters():
                param.requires_grad = False

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        if x.device.type == 'cpu':
            # oneDNN convolutions on NHWC data are ~1.6x faster on CPU here
            # (1x1 convs become plain GEMMs); the values are the same
            x = x.contiguous(memory_format=torch.channels_last)
        x = self.relu(self.norm1(self.conv1(x)))
        x = self.relu(self.norm2(self.conv2(x)))
        feats = [self.layer1(x)]
        for i in range(2, self.num_stages + 1):
            transition = getattr(self, f'transition{i - 1}')
            inputs = []
            for j, trans in enumerate(transition):
                if trans is None:
                    inputs.append(feats[j])
                else:
                    inputs.append(trans(feats[-1]))
            feats = getattr(self, f'stage{i}')(inputs)
        return (feats[0], )
