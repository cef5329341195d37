"""Stage I of P-STMO: masked pose modelling (MPM), self-supervised.

An MAE-style pre-training over 2D pose sequences: no OpenMMLab estimator
masks keypoint sequences, so this model is written here.
Only ``encoder`` is kept: Stage II loads it through
``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='encoder.')``.
"""
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS
from ..heads.stmo_head import unflip_poses
from ..layers.pstmo_transformer import take_seq_len


@MODELS.register_module()
class MaskedPoseModeling(BaseModel):
    """Masked pose modelling: reconstruct a 2D sequence from a masked one.

    Masking (official procedure), drawn once per iteration:

    * temporal: ``int(N * temporal_mask_ratio)`` frames are dropped (e.g.
      194 of 243 for 0.8); the encoder's transformer sees the others only;
    * spatial: in every frame ``spatial_mask_num`` distinct joints, drawn
      from joints ``0 .. spatial_candidates - 1``, are replaced by the learned
      2-vector ``spatial_mask_token`` before SEM. The official code draws
      from joints 0-15 (``spatial_candidates=16``, joint 16 is never masked);
      pass 17 for all joints.
    * ``mask_per_sample=False`` (official) shares the masks over the batch.

    The decoder output is ordered visible-then-masked and compared with the
    clean input reordered the same way; the loss (Eq. 7, implemented as in
    the official code) is the 2D MPJPE over all N frames and J joints.

    Prediction (validation) draws masks from a generator seeded with
    ``test_cfg['mask_seed'] + id`` of the batch's first sample, so a
    validation run is reproducible; with ``test_cfg['flip_test']`` the
    flipped window is reconstructed with the same masks, un-flipped and
    averaged. Predictions are returned in temporal order as
    ``pred_instances.keypoints`` (1, N, J, 2) for ``MPMReconstructionError``.

    Args:
        encoder (dict): :class:`~mmhuman_ext.models.backbones.STMOEncoder`.
        decoder (dict): :class:`~mmhuman_ext.models.heads.MPMDecoder`;
            ``seq_len`` comes from the encoder.
        temporal_mask_ratio (float): q^T. 0.8 (P-STMO-S), 0.6 (P-STMO),
            0.7 (3DHP).
        spatial_mask_num (int): m^S joints per frame. 2 (P-STMO-S), 3
            (P-STMO), 7 (GT-2D input).
        spatial_candidates (int): Joints ``0 .. spatial_candidates - 1`` may
            be masked. Defaults to 16 (official).
        mask_per_sample (bool): One mask per sample instead of per batch.
        loss (dict): Reconstruction loss. Defaults to ``MPJPELoss``.
        test_cfg (dict, optional): ``flip_test`` (bool), ``mask_seed`` (int).
        data_preprocessor (dict, optional): Data pre-processor config.
        init_cfg (dict, optional): Initialisation config.

    Shape: ``inputs (B, N, J, 2)`` normalised 2D -> reconstruction
    ``(B, N, J, 2)``.
    """

    def __init__(self,
                 encoder: dict,
                 decoder: dict,
                 temporal_mask_ratio: float = 0.8,
                 spatial_mask_num: int = 2,
                 spatial_candidates: int = 16,
                 mask_per_sample: bool = False,
                 loss: dict = dict(type='MPJPELoss'),
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.encoder = MODELS.build(encoder)
        self.decoder = MODELS.build(
            take_seq_len(decoder, self.encoder.seq_len,
                         'MaskedPoseModeling decoder'))
        self.seq_len = self.encoder.seq_len
        self.num_joints = self.decoder.num_joints
        if not 0 <= temporal_mask_ratio < 1:
            raise ValueError('temporal_mask_ratio must be in [0, 1), got '
                             f'{temporal_mask_ratio}')
        if not 0 <= spatial_mask_num <= spatial_candidates <= self.num_joints:
            raise ValueError(
                'need 0 <= spatial_mask_num <= spatial_candidates <= '
                f'num_joints, got {spatial_mask_num}, {spatial_candidates}, '
                f'{self.num_joints}')
        self.num_masked_frames = int(self.seq_len * temporal_mask_ratio)
        self.spatial_mask_num = spatial_mask_num
        self.spatial_candidates = spatial_candidates
        self.mask_per_sample = mask_per_sample
        self.test_cfg = dict(test_cfg or {})
        self.spatial_mask_token = nn.Parameter(torch.randn(2))
        self.loss_module = MODELS.build(loss)

    def sample_masks(
        self,
        batch_size: int,
        generator: Optional[torch.Generator] = None
    ) -> Tuple[Tensor, Tensor, Tensor]:
        """Draw the temporal and spatial masks.

        Returns:
            tuple: ``vis_idx (B, V)`` and ``mask_idx (B, N - V)`` frame
            indices, each sorted; ``spatial (B, N, J)`` bool, True where a
            joint is replaced by the mask token. All on the CPU; the rows
            are identical unless ``mask_per_sample``.
        """
        b = batch_size if self.mask_per_sample else 1
        N, M = self.seq_len, self.num_masked_frames
        order = torch.rand(b, N, generator=generator).argsort(dim=1)
        mask_idx = order[:, :M].sort(dim=1).values
        vis_idx = order[:, M:].sort(dim=1).values
        scores = torch.rand(b, N, self.spatial_candidates, generator=generator)
        picked = scores.argsort(dim=-1)[..., :self.spatial_mask_num]
        spatial = torch.zeros(b, N, self.num_joints, dtype=torch.bool)
        spatial.scatter_(2, picked, True)
        vis_idx = vis_idx.expand(batch_size, -1)
        mask_idx = mask_idx.expand(batch_size, -1)
        return vis_idx, mask_idx, spatial.expand(batch_size, -1, -1)

    def reconstruct(self, x: Tensor, vis_idx: Tensor, mask_idx: Tensor,
                    spatial: Tensor) -> Tensor:
        """Masked input ``x (B, N, J, 2)`` -> reconstruction (B, N, J, 2),
        ordered visible frames then masked frames."""
        x = torch.where(spatial.unsqueeze(-1), self.spatial_mask_token, x)
        return self.decoder(self.encoder(x, vis_idx), vis_idx, mask_idx)

    def forward(self,
                inputs: Union[Tensor, List[Tensor]],
                data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        if isinstance(inputs, list):
            inputs = torch.stack(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            masks = self._masks_on(inputs, self.sample_masks(len(inputs)))
            return self.reconstruct(inputs, *masks)
        raise ValueError(f'Invalid mode {mode!r}')

    def loss(self, inputs: Tensor, data_samples=None) -> Dict[str, Tensor]:
        vis_idx, mask_idx, spatial = self._masks_on(
            inputs, self.sample_masks(len(inputs)))
        pred = self.reconstruct(inputs, vis_idx, mask_idx, spatial)
        target = _gather_frames(inputs, torch.cat([vis_idx, mask_idx], 1))
        return dict(loss_mpm=self.loss_module(pred, target))

    @torch.no_grad()
    def predict(self, inputs: Tensor, data_samples: list) -> list:
        seed = int(self.test_cfg.get('mask_seed', 0))
        seed += int(data_samples[0].metainfo.get('id', 0))
        generator = torch.Generator().manual_seed(seed)
        vis_idx, mask_idx, spatial = self._masks_on(
            inputs, self.sample_masks(len(inputs), generator))
        pred = self.reconstruct(inputs, vis_idx, mask_idx, spatial)
        if self.test_cfg.get('flip_test', False):
            flip_indices = data_samples[0].metainfo['flip_indices']
            pred_flip = self.reconstruct(
                unflip_poses(inputs, flip_indices), vis_idx, mask_idx, spatial)
            pred = (pred + unflip_poses(pred_flip, flip_indices)) * 0.5
        order = torch.cat([vis_idx, mask_idx], 1)
        pred_temporal = torch.empty_like(pred).scatter_(
            1, order[:, :, None, None].expand_as(pred), pred)
        pred_np = pred_temporal.cpu().numpy()[:, None]  # (B, 1, N, J, 2)
        for data_sample, keypoints in zip(data_samples, pred_np):
            data_sample.pred_instances = InstanceData(keypoints=keypoints)
        return data_samples

    @staticmethod
    def _masks_on(inputs: Tensor, masks: Tuple[Tensor, ...]):
        return tuple(m.to(inputs.device) for m in masks)


def _gather_frames(x: Tensor, idx: Tensor) -> Tensor:
    """``x (B, N, J, C)``, ``idx (B, M)`` -> ``x[b, idx[b]]`` (B, M, J, C)."""
    index = idx[:, :, None, None].expand(-1, -1, *x.shape[2:])
    return torch.gather(x, 1, index)
