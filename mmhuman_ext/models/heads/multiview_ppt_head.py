"""Multi-view PPT head (dissertation Sec. 3.3.2).

PPT-S run on each view with shared weights, then fused across all views:

1. per view (views of one sample consecutive in the batch): tokenise
   ``(B*V, 256, 64, 64)`` into ``J + 256`` tokens (:class:`PPTHead`);
2. layers ``0 .. fusion_start_layer - 1`` run per view, with the 2D sine
   table re-added before each layer; HTI prunes inside the layers in
   ``prune_layers`` (all must lie before the fusion stage), gathering the
   2D table and the per-view 3D PE with the tokens: ``J + 89`` tokens per
   view at r = 0.7;
3. fusion layers ``fusion_start_layer .. depth - 1`` on one sequence per
   sample: ``[keypoint tokens of views 1..V, visual tokens of views 1..V]``
   (``V*J + V*K`` tokens: 424 for 4 views at r = 0.7), full attention, no
   pruning; the position added to the visual tokens before each fusion
   layer is the gathered 2D table plus (``use_3d_pe``) the 3D PE
   ``CameraRayEncoding(ray)`` of the token's camera ray (stride 16);
4. each view's keypoint tokens go through the shared ``mlp_head``:
   heatmaps ``(B*V, J, 64, 64)``.

Choice: ``fusion_start_layer=10``, i.e. the last 2 layers fuse and
the third HTI (layer 9) is per view, as in the official code; the paper
text says "last 3". The 3D PE has no epipolar loss by default; the
estimator may add one (``epipolar_loss``), reading :meth:`ray_embeddings`.
Only the 3D-PE linear (768 parameters for D = 192) is added to PPT-S.
"""
from typing import Optional, Tuple

import torch
from torch import Tensor

from mmhuman_ext.registry import MODELS
from .ppt_head import PPTHead


class MultiViewHead:
    """Kind of head that fuses the views of a group itself.

    :class:`~mmhuman_ext.models.pose_estimators.MultiViewTopdownPoseEstimator`
    calls such a head as ``head(feats, num_views, ray_dirs)`` (``feats[-1]``
    ``(B*V, C, H, W)`` with the V views of a group consecutive, ``ray_dirs``
    ``(B, V, N, 3)`` or None) and any other head as ``head(feats)`` on
    per-view features (after a fusing neck, e.g. TransFusion). Subclasses
    give ``requires_rays`` and ``ray_embeddings`` (for the estimator's
    optional epipolar loss).
    """

    @property
    def requires_rays(self) -> bool:
        raise NotImplementedError

    def ray_embeddings(self, ray_dirs: Tensor) -> Tensor:
        """``(B, V, N, 3)`` rays -> 3D PE ``(B, V, N, D)``."""
        raise NotImplementedError


@MODELS.register_module()
class MultiViewPPTHead(PPTHead, MultiViewHead):
    """See the module docstring; arguments as :class:`PPTHead` plus:

    Args:
        fusion_start_layer (int): First fused layer. Defaults to 10.
        use_3d_pe (bool): Add the ray encoding in the fusion layers.
            Defaults to True.
        loss (dict): Defaults to ``KeypointMSELoss(use_target_weight=True,
            loss_weight=17)`` (a sum over joints).

    Shapes: ``forward(feats, num_views, ray_dirs)`` with ``feats[-1]``
    ``(B*V, C, H, W)``, ``ray_dirs`` ``(B, V, N, 3)`` (N = visual tokens,
    needed when ``use_3d_pe``) -> heatmaps ``(B*V, J, H_h, W_h)``.
    """

    def __init__(self,
                 *args,
                 fusion_start_layer: int = 10,
                 use_3d_pe: bool = True,
                 loss: dict = dict(
                     type='KeypointMSELoss',
                     use_target_weight=True,
                     loss_weight=17.),
                 **kwargs):
        super().__init__(*args, loss=loss, **kwargs)
        if not 0 <= fusion_start_layer <= self.depth:
            raise ValueError(f'fusion_start_layer must be in [0, '
                             f'{self.depth}], got {fusion_start_layer}')
        late = [i for i in self.prune_layers if i >= fusion_start_layer]
        if late:
            raise ValueError(
                f'prune_layers {self.prune_layers} include fused layers '
                f'{late} (fusion_start_layer={fusion_start_layer}); HTI runs '
                'only in the per-view stage')
        self.fusion_start_layer = fusion_start_layer
        self.use_3d_pe = use_3d_pe
        if use_3d_pe:
            self.ray_encoding = MODELS.build(
                dict(type='CameraRayEncoding', embed_dims=self.embed_dims))

    @property
    def requires_rays(self) -> bool:
        return self.use_3d_pe

    def ray_embeddings(self, ray_dirs: Tensor) -> Tensor:
        """``(B, V, N, 3)`` rays -> 3D PE ``(B, V, N, D)``."""
        return self.ray_encoding(ray_dirs)

    def forward(self,
                feats: Tuple[Tensor],
                num_views: int = 1,
                ray_dirs: Optional[Tensor] = None) -> Tensor:
        x = self.tokenize(feats)  # (B*V, J + N, D)
        BV, _, D = x.shape
        J, V = self.num_keypoints, num_views
        if BV % V:
            raise ValueError(f'{BV} feature maps are not groups of {V} views')
        B, N = BV // V, x.shape[1] - J
        pos = self.pos_embed.unsqueeze(0)
        aligned = [pos]
        if self.use_3d_pe:
            if ray_dirs is None or tuple(ray_dirs.shape) != (B, V, N, 3):
                raise ValueError(
                    f'use_3d_pe needs ray_dirs of shape {(B, V, N, 3)} '
                    '(ComputeCameraRays with the token stride, 16 for 4x4 '
                    'patches at stride 4), got '
                    f'{None if ray_dirs is None else tuple(ray_dirs.shape)}')
            aligned.append(self.ray_embeddings(ray_dirs).reshape(BV, N, D))
        per_view = self.transformer.run_layers(
            x, pos, 0, self.fusion_start_layer, aligned=aligned[1:])
        x = per_view.tokens
        if self.fusion_start_layer < self.depth:
            fused_pos = sum(
                a.expand(BV, -1, -1)
                for a in (per_view.pos, *per_view.aligned))
            x = self._fuse(x, fused_pos, B, V)
        heatmaps = self.mlp_head(x[:, :J])
        hm_w, hm_h = self.heatmap_size
        return heatmaps.view(BV, J, hm_h, hm_w)

    def _fuse(self, x: Tensor, pos: Tensor, B: int, V: int) -> Tensor:
        """Fusion layers on ``x`` ``(B*V, J + K, D)`` with visual-token
        positions ``pos`` ``(B*V, K, D)``; returns ``(B*V, J + K, D)``."""
        J, (BV, T, D) = self.num_keypoints, x.shape
        K = T - J
        x = x.view(B, V, T, D)
        seq = torch.cat((x[:, :, :J].reshape(B, V * J, D),
                         x[:, :, J:].reshape(B, V * K, D)), dim=1)
        pos = pos.reshape(B, V * K, D)
        seq = self.transformer.run_layers(
            seq, pos, self.fusion_start_layer, prune=False).tokens
        kpt = seq[:, :V * J].reshape(BV, J, D)
        vis = seq[:, V * J:].reshape(BV, K, D)
        return torch.cat((kpt, vis), dim=1)
