"""ROME's bottleneck image encoder as used by CVTHead (thesis Sec. 4.4.1;
official ``models/autoencoder.py``).

CVTHead keeps ROME's encoder (pre-activation bottlenecks with group norm and
weight-standardised convolutions, 8x down-sampling); no OpenMMLab package has
this block (mmcv's ``ConvWS2d`` standardises with the biased std and a
different epsilon placement), so it is written here.
"""
import os.path as osp
from typing import Optional

import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS


class WSConv2d(nn.Conv2d):
    """Conv with weight standardisation: per output channel, subtract the mean
    and divide by ``(unbiased std + 1e-5)`` before convolving."""

    def forward(self, x: Tensor) -> Tensor:
        w = self.weight
        w = w - w.mean(dim=(1, 2, 3), keepdim=True)
        w = w / (w.flatten(1).std(dim=1).view(-1, 1, 1, 1) + 1e-5)
        return F.conv2d(x, w, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


def _gn(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(32, channels), channels)


class ROMEBottleneck(nn.Module):
    """Pre-activation bottleneck ``4*c_in -> 4*c_out`` at stride 1.

    ``GN -> ReLU -> 1x1 WS (4c_in -> c_out) -> [GN -> ReLU -> 3x3 WS] x 2 ->
    GN -> ReLU -> 1x1 conv (c_out -> 4c_out)``, plus a 1x1 conv skip when
    ``c_in != c_out``. No biases.

    Parameters: ``norm1 conv1 norm2 conv2 norm3 conv3 norm4 conv4 [skip]``.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 expansion: int = 4):
        super().__init__()
        cin, mid = in_channels * expansion, out_channels
        self.norm1 = _gn(cin)
        self.conv1 = WSConv2d(cin, mid, 1, bias=False)
        self.norm2 = _gn(mid)
        self.conv2 = WSConv2d(mid, mid, 3, padding=1, bias=False)
        self.norm3 = _gn(mid)
        self.conv3 = WSConv2d(mid, mid, 3, padding=1, bias=False)
        self.norm4 = _gn(mid)
        self.conv4 = nn.Conv2d(mid, out_channels * expansion, 1, bias=False)
        self.skip = (nn.Conv2d(cin, out_channels * expansion, 1, bias=False)
                     if in_channels != out_channels else nn.Identity())

    def forward(self, x: Tensor) -> Tensor:
        y = self.conv1(F.relu(self.norm1(x)))
        y = self.conv2(F.relu(self.norm2(y)))
        y = self.conv3(F.relu(self.norm3(y)))
        y = self.conv4(F.relu(self.norm4(y)))
        return y + self.skip(x)


@MODELS.register_module()
class ROMEBottleneckEncoder(BaseModule):
    """Stem conv 7x7 (``in -> 4*base``, no bias) and ``num_groups`` groups of
    ``num_blocks`` bottlenecks with widths ``c_g = min(base * 2^g, max)``,
    max-pool 2 after every group but the last.

    Args:
        in_channels (int): 4 (RGB in [-1, 1] + source mask in {0, 1}).
        base_channels (int): 64.
        max_channels (int): 512.
        num_groups (int): 4.
        num_blocks (int): 2.
        init_ckpt (str, optional): ROME ``rome.pth``; its ``autoencoder.*``
            weights are mapped onto this module (official layout
            ``net.{i}.main.{j}``). None: random init.

    Shapes: ``(B, in, H, W) -> (B, 4*c_last, H/8, W/8)``; default
    ``(B, 4, 256, 256) -> (B, 2048, 32, 32)``; 20,242,176 parameters.
    """

    def __init__(self, in_channels: int = 4, base_channels: int = 64,
                 max_channels: int = 512, num_groups: int = 4,
                 num_blocks: int = 2, expansion: int = 4,
                 init_ckpt: Optional[str] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.stem = nn.Conv2d(in_channels, base_channels * expansion, 7,
                              padding=3, bias=False)
        self.groups = nn.ModuleList()
        width = base_channels
        for g in range(num_groups):
            out = min(base_channels * 2**g, max_channels)
            self.groups.append(nn.Sequential(*[
                ROMEBottleneck(width if b == 0 else out, out, expansion)
                for b in range(num_blocks)
            ]))
            width = out
        self.out_channels = width * expansion
        if init_ckpt is not None:
            self.load_rome(init_ckpt)

    def load_rome(self, path: str) -> None:
        """Load ROME's ``autoencoder.*`` weights (official key layout)."""
        from mmhuman_ext.utils.checkpoint import load_checkpoint_file
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'ROME checkpoint {path} not found; get rome.pth from ROME '
                '(SamsungLabs/rome, research-only licence), or set '
                'init_ckpt=None to start the encoder from random weights '
                '(docs/cvthead.md gives the expected gap)')
        state = load_checkpoint_file(path, map_location='cpu')
        state = state.get('state_dict', state)
        state = {k[len('autoencoder.'):]: v for k, v in state.items()
                 if k.startswith('autoencoder.')}
        if not state:
            raise KeyError(f'{path}: no autoencoder.* weights (expected '
                           "ROME's rome.pth)")
        self.load_state_dict(rome_to_ours(state, len(self.groups),
                                          len(self.groups[0])))

    def forward(self, x: Tensor) -> Tensor:
        x = self.stem(x)
        for g, group in enumerate(self.groups):
            x = group(x)
            if g < len(self.groups) - 1:
                x = F.max_pool2d(x, 2)
        return x


# official Sequential index inside a bottleneck's ``main`` -> our name
_BLOCK_MAP = {0: 'norm1', 2: 'conv1', 3: 'norm2', 5: 'conv2', 6: 'norm3',
              8: 'conv3', 9: 'norm4', 11: 'conv4'}


def rome_to_ours(state: dict, num_groups: int = 4, num_blocks: int = 2
                 ) -> dict:
    """Map official ``net.{i}...`` encoder keys to ours.

    The official ``net`` is ``[stem, (block x num_blocks, maxpool) x groups]``
    without the last max-pool; a block's ``main`` lists
    ``GN, ReLU, conv, GN, ReLU, conv, GN, ReLU, conv, GN, ReLU, conv``.
    """
    index = {0: 'stem'}
    i = 1
    for g in range(num_groups):
        for b in range(num_blocks):
            index[i] = f'groups.{g}.{b}'
            i += 1
        i += 1  # max-pool
    out = {}
    for key, value in state.items():
        parts = key.split('.')
        if parts[0] != 'net':
            continue
        prefix = index[int(parts[1])]
        rest = parts[2:]
        if rest[0] == 'main':
            rest = [_BLOCK_MAP[int(rest[1])]] + rest[2:]
        out['.'.join([prefix] + rest)] = value
    return out
