"""SpiralNet++ decoder that lifts coarse-vertex features to every mesh
vertex (CVTHead Sec. 4.5.1). Neither mmpose nor mmagic has spiral
mesh convolutions; the mesh data (spirals, up-transforms) comes from
:class:`~mmhuman_ext.models.editors.cvthead.mesh_hierarchy.MeshHierarchy`,
so the parameters do not depend on the mesh.
"""
from typing import Optional

import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS


class SpiralConv(nn.Module):
    """Gather ``L`` spiral neighbours per vertex, concatenate, Linear
    ``L*c_in -> c_out`` (Xavier-uniform weight, zero bias).

    Shapes: ``x (B, V, c_in)``, ``spirals (V, L)`` -> ``(B, V, c_out)``.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 seq_length: int = 9):
        super().__init__()
        self.seq_length = seq_length
        self.layer = nn.Linear(in_channels * seq_length, out_channels)
        nn.init.xavier_uniform_(self.layer.weight)
        nn.init.zeros_(self.layer.bias)

    def forward(self, x: Tensor, spirals: Tensor) -> Tensor:
        if spirals.shape[1] != self.seq_length:
            raise ValueError(f'spirals of length {spirals.shape[1]}, the '
                             f'layer expects {self.seq_length}')
        b, v, _ = x.shape
        return self.layer(x[:, spirals].reshape(b, v, -1))


@MODELS.register_module()
class SpiralMeshUpsampler(BaseModule):
    """``x = ELU(SpiralConv_{l}(U_l x))`` for ``l = levels-1 .. 0``, then
    one more ``SpiralConv_0`` without activation.

    Args:
        embed_dim (int): Width (128), kept throughout.
        num_levels (int): Up-sampling steps (2: 314 -> 1256 -> 5023).
        seq_length (int): Spiral length (9).

    Parameters: ``de_layers.{i}.layer`` (3 x 147,584 = 442,752 by default).
    Shapes: ``(B, V_levels, C)`` -> ``(B, V_0, C)``.
    """

    def __init__(self, embed_dim: int = 128, num_levels: int = 2,
                 seq_length: int = 9, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.num_levels = num_levels
        self.de_layers = nn.ModuleList([
            SpiralConv(embed_dim, embed_dim, seq_length)
            for _ in range(num_levels + 1)
        ])

    def forward(self, x: Tensor, hierarchy) -> Tensor:
        if hierarchy.levels != self.num_levels:
            raise ValueError(f'hierarchy has {hierarchy.levels} levels, the '
                             f'upsampler {self.num_levels}')
        for i, level in enumerate(range(self.num_levels - 1, -1, -1)):
            x = hierarchy.up(x, level)
            x = F.elu(self.de_layers[i](x, hierarchy.spirals(level)))
        return self.de_layers[-1](x, hierarchy.spirals(0))
