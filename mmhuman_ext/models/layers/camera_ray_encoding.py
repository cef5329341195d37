"""Geometry positional encoding: a linear map of camera ray directions.

TransFusion's GPE (dissertation Eq. 2.2-2.4) and multi-view
PPT's 3D PE: ``E = W r + b`` for the unit world-frame ray ``r``
of each token's pixel (``mmhuman_ext.geometry.pixel_rays``). The official
code's ``Linear(3, d)`` has a bias (Eq. 2.4 has none); ``bias=True`` follows
the code. PyTorch's default Linear initialisation.
"""
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS


@MODELS.register_module()
class CameraRayEncoding(BaseModule):
    """``Linear(3, embed_dims)`` on unit ray directions.

    Args:
        embed_dims (int): Output width d.
        bias (bool): Learn a bias (official code). Defaults to True.

    Shapes: ``rays`` ``(..., 3)`` -> ``(..., embed_dims)``.
    """

    def __init__(self, embed_dims: int, bias: bool = True, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.proj = nn.Linear(3, embed_dims, bias=bias)

    def forward(self, rays: Tensor) -> Tensor:
        return self.proj(rays.to(self.proj.weight.dtype))
