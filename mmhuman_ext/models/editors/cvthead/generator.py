"""CVTHead generator: source image -> per-vertex descriptors -> point
splat of the driven mesh -> U-Net image (paper Sec. 4.4-4.5).
The components are registered separately (encoder: backbone;
transformer and spiral upsampler: necks; U-Net: head) and can be swapped in a
config.
"""
from typing import Dict, Optional

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS


@MODELS.register_module()
class CVTHeadGenerator(BaseModule):
    """Args:
        encoder (dict): image encoder, ``(B, 4, H, W) -> (B, C_e, H/8, W/8)``
            (``ROMEBottleneckEncoder``).
        vertex_transformer (dict): ``VertexFeatureTransformer``; its
            ``num_queries`` is set from the hierarchy.
        upsampler (dict): ``SpiralMeshUpsampler``.
        rasterizer (dict): ``PointZBufferRasterizer``.
        renderer (dict): ``PointRenderUNet``.
        hierarchy (dict): ``MeshHierarchy`` (buffers only).
        embed_dim (int): transformer width (128).
        descriptor_dim (int): vertex descriptor width ``C`` (32).

    Trainable parameters with the default sub-configs: 30,823,652 (FLAME
    hierarchy or any other: none of them depends on the mesh).
    """

    def __init__(self, encoder: dict, vertex_transformer: dict,
                 upsampler: dict, rasterizer: dict, renderer: dict,
                 hierarchy: dict, embed_dim: int = 128,
                 descriptor_dim: int = 32, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.hierarchy = MODELS.build(hierarchy)
        self.encoder = MODELS.build(encoder)
        vertex_transformer = dict(vertex_transformer)
        vertex_transformer['num_queries'] = self.hierarchy.num_vertices[-1]
        self.vertex_transformer = MODELS.build(vertex_transformer)
        upsampler = dict(upsampler)
        upsampler.setdefault('num_levels', self.hierarchy.levels)
        self.upsampler = MODELS.build(upsampler)
        self.descriptor_head = nn.Linear(embed_dim, descriptor_dim)
        self.rasterizer = MODELS.build(rasterizer)
        self.renderer = MODELS.build(renderer)

    @property
    def num_vertices(self) -> int:
        return self.hierarchy.num_vertices[0]

    def encode_source(self, src_img: Tensor, src_mask: Tensor,
                      src_points: Tensor) -> Tensor:
        """Vertex descriptors of one source image (cacheable per avatar).

        Args:
            src_img (Tensor): ``(B, 3, H, W)`` in [-1, 1].
            src_mask (Tensor): ``(B, 1, H, W)`` in {0, 1}.
            src_points (Tensor): ``(B, N, 3)`` projected source vertices
                ``(u, v, d)``.

        Returns:
            Tensor: ``V_F (B, N, descriptor_dim)``.
        """
        if src_points.shape[1] != self.num_vertices:
            raise ValueError(f'{src_points.shape[1]} mesh vertices given, the '
                             f'mesh hierarchy has {self.num_vertices}')
        feats = self.encoder(torch.cat([src_img, src_mask], dim=1))
        coarse = self.hierarchy.to_coarsest(src_points.detach())
        tokens = self.vertex_transformer(feats, coarse)
        return self.descriptor_head(self.upsampler(tokens, self.hierarchy))

    def render(self, descriptors: Tensor, drv_points: Tensor
               ) -> Dict[str, Tensor]:
        """Splat descriptors at the driven vertices and decode.

        Args:
            descriptors (Tensor): ``(B, N, C)``.
            drv_points (Tensor): ``(B, N, 3)`` driven ``(u, v, d)``.

        Returns:
            dict: ``rgb (B, 3, H, W)`` in [-1, 1], ``mask (B, 1, H, W)`` in
            [0, 1], ``depth (B, 1, H, W)`` (splatted, -2 background).
        """
        feat, depth = self.rasterizer(drv_points, descriptors)
        rgb, mask = self.renderer(torch.cat([depth, feat], dim=1))
        return dict(rgb=rgb, mask=mask, depth=depth)

    def forward(self, src_img: Tensor, src_mask: Tensor, src_points: Tensor,
                drv_points: Tensor) -> Dict[str, Tensor]:
        return self.render(self.encode_source(src_img, src_mask, src_points),
                           drv_points)
