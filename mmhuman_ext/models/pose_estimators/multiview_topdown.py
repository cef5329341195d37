"""Top-down multi-view 2D pose estimator (TransFusion, multi-view PPT).

One sample is V crops of one person at one instant, each with its camera
(``inputs`` ``(B, V, 3, H, W)``; per-sample targets and geometry stacked
over views by ``PackMultiViewPoseInputs``). The backbone runs on all
``B*V`` crops; views are then arranged in *groups* that the neck / head
fuse:

* ``view_mode='all'``: one group of all V views (multi-view PPT);
* ``view_mode='pairs'`` (TransFusion): training takes per
  sample a random main view ``v`` and its partner ``train_pair_map[v]``;
  test runs the fixed ``test_pairs`` (each view exactly once) and each
  view's output comes from its own pair.

Losses: the head's heatmap loss (``KeypointMSELoss(loss_weight=K)``: per
view the sum over joints of the per-joint MSE), summed over the views of a
group, plus the optional ``epipolar_loss`` on the 3D
position encodings of every view pair ``(i < j)`` of a group, averaged over
the pairs (one pair in TransFusion).

Prediction: the head's codec decodes every view's heatmaps to crop pixels;
the inverse of that view's image affine (``img_affine`` in the metainfo,
original -> crop) maps them to original-image pixels. Each output sample
gets ``pred_keypoints`` ``(V, K, 2)`` (original pixels),
``pred_keypoints_input`` ``(V, K, 2)`` (crop pixels) and ``pred_scores``
``(V, K)`` (heatmap maxima), which ``JointDetectionRate`` and
``TriangulationMPJPE`` read.
"""
import itertools
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmpose.models.pose_estimators.base import BasePoseEstimator
from torch import Tensor

from mmhuman_ext.registry import MODELS
from ..heads.multiview_ppt_head import MultiViewHead

VIEW_MODES = ('all', 'pairs')


@MODELS.register_module()
class MultiViewTopdownPoseEstimator(BasePoseEstimator):
    """See the module docstring.

    Args:
        backbone (dict): Per-view CNN (e.g. mmpose ``ResNet`` or
            ``TruncatedHRNet``).
        head (dict): A per-view head, e.g. ``HeatmapHead`` (after a
            fusing ``CrossViewTransformerNeck``), or a
            :class:`~mmhuman_ext.models.heads.MultiViewHead` that fuses the
            views itself (``MultiViewPPTHead``).
        neck (dict, optional): ``CrossViewTransformerNeck``.
        view_mode (str): ``'all'`` or ``'pairs'``.
        train_pair_map (dict, optional): ``{view: partner}`` for training
            in ``'pairs'`` mode (H36M: ``{0: 2, 1: 3, 2: 0, 3: 1}``).
        test_pairs (list, optional): Fixed pairs at test time, covering
            each view once (H36M: ``[(0, 2), (1, 3)]``).
        num_views (int, optional): Views every sample must have; checked
            with a message naming the sample.
        epipolar_loss (dict, optional): e.g. ``EpipolarFieldLoss``.
        train_cfg, test_cfg, data_preprocessor, init_cfg, metainfo: as
            mmpose's ``BasePoseEstimator``.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 view_mode: str = 'all',
                 train_pair_map: Optional[Dict[int, int]] = None,
                 test_pairs: Optional[Sequence[Sequence[int]]] = None,
                 num_views: Optional[int] = None,
                 epipolar_loss: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg=None,
                 metainfo: Optional[dict] = None):
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
            metainfo=metainfo)
        if view_mode not in VIEW_MODES:
            raise ValueError(f'view_mode must be one of {VIEW_MODES}, got '
                             f'{view_mode!r}')
        if view_mode == 'pairs' and not (train_pair_map and test_pairs):
            raise ValueError("view_mode='pairs' needs train_pair_map and "
                             'test_pairs')
        self.view_mode = view_mode
        self.train_pair_map = {int(k): int(v)
                               for k, v in (train_pair_map or {}).items()}
        self.test_pairs = [tuple(int(v) for v in p) for p in test_pairs or ()]
        self.num_views = num_views
        self.epipolar_loss = MODELS.build(epipolar_loss) \
            if epipolar_loss else None
        # a MultiViewHead fuses the views itself and takes (feats, V, rays);
        # any other head gets per-view features (fused by the neck, if any)
        self.head_fuses_views = isinstance(self.head, MultiViewHead)

    # ------------------------------------------------------------------
    # grouping
    def _groups(self, num_views: int, batch_size: int,
                training: bool) -> Tensor:
        """Views of each group: ``(B, G, V_g)`` long tensor."""
        if self.view_mode == 'all':
            return torch.arange(num_views).expand(batch_size, 1, num_views)
        if training:
            mains = sorted(self.train_pair_map)
            bad = [v for v in mains + list(self.train_pair_map.values())
                   if v >= num_views]
            if bad:
                raise ValueError(f'train_pair_map {self.train_pair_map} '
                                 f'names views {bad}, but samples have '
                                 f'{num_views} views')
            pick = torch.randint(len(mains), (batch_size, ))
            main = torch.tensor(mains)[pick]
            partner = torch.tensor([self.train_pair_map[m] for m in mains
                                    ])[pick]
            return torch.stack((main, partner), dim=1)[:, None]
        flat = sorted(v for p in self.test_pairs for v in p)
        if flat != list(range(num_views)):
            raise ValueError(f'test_pairs {self.test_pairs} must cover each '
                             f'of the {num_views} views exactly once')
        return torch.tensor(self.test_pairs).expand(batch_size, -1, -1)

    def _check_views(self, inputs: Tensor, data_samples) -> None:
        if inputs.dim() != 5:
            raise ValueError(f'MultiViewTopdownPoseEstimator expects inputs '
                             f'(B, V, 3, H, W), got {tuple(inputs.shape)}')
        V = inputs.shape[1]
        if self.num_views is not None and V != self.num_views:
            names = [ds.metainfo.get('sample_key', i)
                     for i, ds in enumerate(data_samples or [])]
            raise ValueError(f'samples {names} have {V} views; the model '
                             f'config needs num_views={self.num_views}')

    # ------------------------------------------------------------------
    def _forward_groups(self, inputs: Tensor, groups: Tensor,
                        rays: Optional[Tensor]):
        """Heatmaps ``(B, G, V_g, K, h, w)`` and the group's 3D PE
        ``(B*G, V_g, L, D)`` (or None)."""
        B, G, Vg = groups.shape
        idx = groups.to(inputs.device)
        b = torch.arange(B, device=inputs.device)[:, None, None]
        imgs = inputs[b, idx].flatten(0, 2)  # (B*G*Vg, 3, H, W)
        grays = rays[b, idx].flatten(0, 1) if rays is not None else None
        feats = self.backbone(imgs)
        pe = None
        if self.with_neck:
            feats, pe = self.neck(feats, grays, Vg)
        if self.head_fuses_views:
            heatmaps = self.head(feats, Vg, grays)
            if self.epipolar_loss is not None and self.head.requires_rays:
                pe = self.head.ray_embeddings(grays)
        else:
            heatmaps = self.head(feats)
        return heatmaps.view(B, G, Vg, *heatmaps.shape[1:]), pe

    def _needs_rays(self) -> bool:
        return any(
            getattr(m, 'requires_rays', False)
            for m in (getattr(self, 'neck', None), self.head))

    @staticmethod
    def _stack(data_samples, name: str, device) -> Tensor:
        try:
            return torch.stack([
                torch.as_tensor(getattr(ds, name)) for ds in data_samples
            ]).to(device)
        except AttributeError:
            raise KeyError(f'data samples lack {name!r}; the pipeline must '
                           'produce it (ComputeCameraRays for ray_dirs / '
                           'cam_centers, GenerateTarget for gt_heatmaps / '
                           'keypoint_weights)') from None

    def forward(self, inputs: Tensor, data_samples=None, mode: str = 'tensor'):
        """As mmpose's, but ``'tensor'`` mode also receives the data
        samples (it needs the rays of the 3D PE)."""
        if mode == 'tensor':
            if isinstance(inputs, list):
                inputs = torch.stack(inputs)
            return self._forward(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)

    def _forward(self, inputs: Tensor, data_samples=None):
        """Heatmaps ``(B, V, K, h, w)`` in view order (test grouping)."""
        heatmaps, _, _ = self._run(inputs, data_samples, training=False)
        return heatmaps

    def _run(self, inputs, data_samples, training):
        self._check_views(inputs, data_samples)
        B, V = inputs.shape[:2]
        groups = self._groups(V, B, training)
        rays = self._stack(data_samples, 'ray_dirs', inputs.device).float() \
            if self._needs_rays() or (training and self.epipolar_loss) \
            else None
        heatmaps, pe = self._forward_groups(inputs, groups, rays)
        if not training:  # scatter back to view order
            out = heatmaps.new_empty(B, V, *heatmaps.shape[3:])
            b = torch.arange(B, device=inputs.device)[:, None, None]
            out[b, groups.to(inputs.device)] = heatmaps
            heatmaps = out
        return heatmaps, pe, groups

    def loss(self, inputs: Tensor, data_samples) -> dict:
        heatmaps, pe, groups = self._run(inputs, data_samples, training=True)
        B, G, Vg = groups.shape
        device = inputs.device
        b = torch.arange(B, device=device)[:, None, None]
        idx = groups.to(device)
        gt = self._stack(data_samples, 'gt_heatmaps', device)[b, idx]
        w = self._stack(data_samples, 'keypoint_weights', device)[b, idx]
        losses = dict(
            loss_kpt=Vg * self.head.loss_module(
                heatmaps.flatten(0, 2), gt.flatten(0, 2).to(heatmaps.dtype),
                w.flatten(0, 2).to(heatmaps.dtype)))
        if self.epipolar_loss is not None:
            if pe is None:
                raise ValueError('epipolar_loss needs a geometry 3D PE '
                                 "(neck pe_3d='geometry' or head "
                                 'use_3d_pe=True)')
            rays = self._stack(data_samples, 'ray_dirs', device)[b, idx]
            cent = self._stack(data_samples, 'cam_centers', device)[b, idx]
            rays = rays.flatten(0, 1).float()
            cent = cent.flatten(0, 1).float()
            pairs = list(itertools.combinations(range(Vg), 2))
            losses['loss_pos'] = sum(
                self.epipolar_loss(pe[:, i], pe[:, j], rays[:, i],
                                   rays[:, j], cent[:, i], cent[:, j])
                for i, j in pairs) / len(pairs)
        return losses

    def predict(self, inputs: Tensor, data_samples) -> List:
        heatmaps, _, _ = self._run(inputs, data_samples, training=False)
        decoder = self.head.decoder
        if decoder is None:
            raise ValueError('the head has no decoder (codec) to turn '
                             'heatmaps into keypoints')
        hm = heatmaps.detach().float().cpu().numpy()
        B, V, K = hm.shape[:3]
        for i, ds in enumerate(data_samples):
            kpts, scores = zip(*(decoder.decode(hm[i, v]) for v in range(V)))
            kpts = np.concatenate(kpts).astype(np.float64)  # (V, K, 2)
            scores = np.concatenate(scores)  # (V, K)
            affine = np.asarray(ds.metainfo['img_affine'], np.float64)
            full = np.concatenate(
                (affine, np.tile([[[0., 0., 1.]]], (V, 1, 1))), axis=1)
            inv = np.linalg.inv(full)  # crop -> original
            homo = np.concatenate((kpts, np.ones((V, K, 1))), axis=-1)
            orig = np.einsum('vij,vkj->vki', inv, homo)[..., :2]
            ds.set_field(kpts, 'pred_keypoints_input')
            ds.set_field(orig, 'pred_keypoints')
            ds.set_field(scores, 'pred_scores')
            if self.test_cfg.get('output_heatmaps', False):
                ds.set_field(hm[i], 'pred_heatmaps')
        return data_samples
