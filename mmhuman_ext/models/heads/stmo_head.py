"""P-STMO's two 3D regression heads and their losses.

mmpose's ``TemporalRegressionHead`` predicts only the target frame and does
not take the ``[feats, feats_flip]`` list of flip tests, and
``MotionRegressionHead`` predicts only per-frame outputs; neither has
P-STMO's two-branch loss, so this head is added.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmpose.models.heads.base_head import BaseHead
from mmpose.utils.typing import ConfigType, OptSampleList, Predictions
from torch import Tensor

from mmhuman_ext.registry import KEYPOINT_CODECS, MODELS
from ..layers.pstmo_transformer import BNLinearHead

STMOFeats = Tuple[Tensor, Tensor]


@MODELS.register_module()
class STMOHead(BaseHead):
    """Centre-frame and all-frame 3D heads of P-STMO.

    ``single_head`` (BN + linear, d -> 3J) maps the MOFA token to the
    root-relative 3D pose of the centre frame; ``multi_head`` (same
    structure, own weights) maps every TEM token to the pose of its frame.
    Output channels are joint-major (``3 j + c``).

    Loss (Eqs. 8-9): ``MPJPE(single, centre target) + multi_frame_weight *
    MPJPE(multi, per-frame targets)``; the root target is 0 and the root
    stays in the 17-joint mean. The all-frame targets are read from
    ``gt_instance_labels.lifting_target_label_seq`` (1, N, J, 3), written by
    the ``SeqPoseLifting`` codec.

    Prediction uses the centre-frame head only. With ``test_cfg.flip_test``
    ``PoseLifter`` passes ``[feats, feats_flip]``; the flipped prediction is
    un-flipped (x negated, left/right joints swapped with the metainfo's
    ``flip_indices``) and averaged with the plain one, then the root is set
    to 0 and the codec adds ``target_root`` back: ``pred_instances.keypoints``
    is (1, J, 3) per sample, as mmpose's lifting heads give.

    Args:
        in_channels (int): d. Defaults to 256.
        num_joints (int): J. Defaults to 17.
        multi_frame_weight (float): lambda. Defaults to 1.0.
        loss (dict): Loss for both branches. Defaults to ``MPJPELoss``.
        decoder (dict, optional): Codec used to decode predictions.
        init_cfg (dict, optional): Initialisation config (PyTorch defaults
            when None, as the official model).

    Shape:
        ``forward((tem (B, N, d), mofa (B, 1, d)))`` ->
        ``(single (B, 1, J, 3), multi (B, N, J, 3))``.
    """

    def __init__(self,
                 in_channels: int = 256,
                 num_joints: int = 17,
                 multi_frame_weight: float = 1.0,
                 loss: ConfigType = dict(type='MPJPELoss'),
                 decoder: Optional[ConfigType] = None,
                 init_cfg: Optional[ConfigType] = None):
        super().__init__(init_cfg)
        self.num_joints = num_joints
        self.multi_frame_weight = multi_frame_weight
        self.single_head = BNLinearHead(in_channels, 3 * num_joints)
        self.multi_head = BNLinearHead(in_channels, 3 * num_joints)
        self.loss_module = MODELS.build(loss)
        self.decoder = (KEYPOINT_CODECS.build(decoder)
                        if decoder is not None else None)

    def forward(self, feats: STMOFeats) -> STMOFeats:
        tem, mofa = feats
        single = self.single_head(mofa)
        multi = self.multi_head(tem)
        return (single.view(*single.shape[:2], self.num_joints, 3),
                multi.view(*multi.shape[:2], self.num_joints, 3))

    def loss(self,
             feats: STMOFeats,
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        single, multi = self.forward(feats)
        labels = [d.gt_instance_labels for d in batch_data_samples]
        target = torch.cat([lb.lifting_target_label for lb in labels])
        target_seq = torch.cat([lb.lifting_target_label_seq for lb in labels])
        weight = torch.cat([lb.lifting_target_weight for lb in labels])
        if target_seq.shape != multi.shape:
            raise ValueError(
                'lifting_target_label_seq must be (B, N, J, 3) = '
                f'{tuple(multi.shape)}, got {tuple(target_seq.shape)}; use '
                'the SeqPoseLifting codec with keypoints_3d in the data')
        loss_single = self.loss_module(single, target.view_as(single),
                                       weight.view(*single.shape[:3], 1))
        loss_multi = self.loss_module(multi, target_seq)
        with torch.no_grad():
            err = torch.linalg.vector_norm(
                single - target.view_as(single), dim=-1).mean()
        return dict(
            loss_single=loss_single,
            loss_multi=self.multi_frame_weight * loss_multi,
            mpjpe=err)

    def predict(self,
                feats: Union[STMOFeats, List[STMOFeats]],
                batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> Predictions:
        if isinstance(feats, list):
            flip_indices = batch_data_samples[0].metainfo['flip_indices']
            single = self.forward(feats[0])[0]
            single_flip = unflip_poses(self.forward(feats[1])[0], flip_indices)
            single = (single + single_flip) * 0.5
        else:
            single = self.forward(feats)[0]
        single = single[:, 0].clone()  # (B, J, 3)
        single[:, self.decoder.root_index] = 0
        if 'target_root' in batch_data_samples[0].metainfo:
            target_root = torch.stack([
                torch.as_tensor(d.metainfo['target_root'],
                                dtype=torch.float32)
                for d in batch_data_samples
            ])
        else:
            target_root = torch.zeros(len(batch_data_samples), 0)
        return self.decode((single, target_root))


def unflip_poses(poses: Tensor, flip_indices: Sequence[int]) -> Tensor:
    """Negate x and swap left/right joints.

    Args:
        poses (Tensor): ``(..., J, D)`` poses with x in channel 0, in a
            frame where a horizontal flip is ``x -> -x`` (normalised 2D
            inputs or camera-frame 3D).
        flip_indices (Sequence[int]): Index of each joint's mirror joint.

    Returns:
        Tensor: ``(..., J, D)``.
    """
    sign = poses.new_ones(poses.shape[-1])
    sign[0] = -1
    return poses[..., list(flip_indices), :] * sign
