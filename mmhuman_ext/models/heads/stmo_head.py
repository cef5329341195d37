"""P-STMO's two 3D regression heads and their losses.

mmpose's ``TemporalRegressionHead`` predicts only the target frame and does
not take the ``[feats, feats_flip]`` list of flip tests, and
``MotionRegressionHead`` predicts only per-frame outputs; neither has
P-STMO's two-branch loss, so this head is added.
"""
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmpose.models.heads.base_head import BaseHead
from mmpose.utils.typing import ConfigType, OptSampleList, Predictions
from torch import Tensor, nn

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
        self.decoder = (
            KEYPOINT_CODECS.build(decoder) if decoder is not None else None)

    def forward(self, feats: STMOFeats) -> STMOFeats:
        tem, mofa = feats[:2]
        pose = (self.num_joints, 3)
        return (self.single_head(mofa).unflatten(-1, pose),
                self.multi_head(tem).unflatten(-1, pose))

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
        single = self.predict_centre(feats, batch_data_samples)
        return self.decode((single, _target_root(batch_data_samples)))

    def predict_centre(self,
                       feats: Union[STMOFeats, List[STMOFeats]],
                       batch_data_samples: OptSampleList,
                       zero_root: bool = True) -> Tensor:
        """Centre-frame poses (B, J, 3), flip-averaged when ``feats`` is
        ``[feats, feats_flip]``; the root set to 0 if ``zero_root``."""
        if isinstance(feats, list):
            flip_indices = batch_data_samples[0].metainfo['flip_indices']
            single = self.forward(feats[0])[0]
            single_flip = unflip_poses(self.forward(feats[1])[0], flip_indices)
            single = (single + single_flip) * 0.5
        else:
            single = self.forward(feats)[0]
        single = single[:, 0].clone()
        if zero_root:
            single[:, self.decoder.root_index] = 0
        return single


@MODELS.register_module()
class STMORefineHead(STMOHead):
    """:class:`STMOHead` plus the refinement module of Cai et al. (ICCV
    2019), as P-STMO uses it for the rows marked (*) in Table 1.

    **Uses the ground-truth root depth** (``target_root``) at training and
    test time, so its results are not comparable with the plain model's.

    The centre-frame 2D input (normalised, from ``STMO(...,
    return_centre_input=True)``) is back-projected with the predicted
    root-relative depths plus the true root depth through the normalised
    intrinsics (``f / w * 2``, ``(c - [w/2, h/2]) / (w/2)``) and made
    root-relative; :class:`PoseRefinement` then blends x, y of the
    prediction and of the back-projection per joint (z is kept). As in the
    official code, the loss is the MPJPE of the refined centre-frame pose
    only (all parameters are trained with it).

    Args:
        refine_hidden (int): Hidden width of the refinement MLP (1024).
        refine_dropout (float): Its dropout (0.5).
        **kwargs: :class:`STMOHead` arguments.

    Shape: ``forward`` as :class:`STMOHead`; ``feats`` has a third item,
    the centre-frame input (B, 1, J, 2).
    """

    def __init__(self,
                 refine_hidden: int = 1024,
                 refine_dropout: float = 0.5,
                 **kwargs):
        super().__init__(**kwargs)
        self.refine = PoseRefinement(self.num_joints, refine_hidden,
                                     refine_dropout)

    def refined(self, single: Tensor, centre_2d: Tensor,
                batch_data_samples: OptSampleList) -> Tensor:
        """``single`` (B, J, 3) root-relative, ``centre_2d`` (B, J, 2)
        normalised -> refined (B, J, 3)."""
        root = self.decoder.root_index[0]
        root_z = _target_root(batch_data_samples).to(single)[:, 0, 2]
        f, c = _normalised_intrinsics(batch_data_samples, single)
        z = single[..., 2] + root_z[:, None]
        z[:, root] = root_z
        xy = (centre_2d - c[:, None]) * z[..., None] / f[:, None]
        back = torch.cat([xy, z[..., None]], dim=-1)
        back = back - back[:, root:root + 1]
        return self.refine(single, back)

    def loss(self,
             feats: STMOFeats,
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        single = self.forward(feats)[0][:, 0]
        refined = self.refined(single, _centre_input(feats),
                               batch_data_samples)
        target = torch.cat([
            d.gt_instance_labels.lifting_target_label
            for d in batch_data_samples
        ])
        loss = self.loss_module(refined, target)
        with torch.no_grad():
            err = torch.linalg.vector_norm(refined - target, dim=-1).mean()
        return dict(loss_refine=loss, mpjpe=err)

    def predict(self,
                feats: Union[STMOFeats, List[STMOFeats]],
                batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> Predictions:
        single = self.predict_centre(feats, batch_data_samples, False)
        plain = feats[0] if isinstance(feats, list) else feats
        refined = self.refined(single, _centre_input(plain),
                               batch_data_samples)
        refined[:, self.decoder.root_index] = 0
        return self.decode((refined, _target_root(batch_data_samples)))


class PoseRefinement(nn.Module):
    """Per-joint blending weights for x and y (Cai et al., ICCV 2019).

    ``alpha = sigmoid(fc2(Dropout(ReLU(fc1([pred, back])))))``;
    ``x, y = alpha * pred + (1 - alpha) * back``; ``z = pred``.

    Args:
        num_joints (int): J.
        hidden (int): Hidden width.
        dropout (float): Dropout rate.

    Shape: ``pred``, ``back`` (B, J, 3) -> (B, J, 3).
    """

    def __init__(self,
                 num_joints: int,
                 hidden: int = 1024,
                 dropout: float = 0.5):
        super().__init__()
        self.fc1 = nn.Linear(6 * num_joints, hidden)
        self.fc2 = nn.Linear(hidden, 2 * num_joints)
        self.drop = nn.Dropout(dropout)

    def forward(self, pred: Tensor, back: Tensor) -> Tensor:
        B, J = pred.shape[:2]
        h = torch.cat([pred, back], dim=-1).reshape(B, -1)
        alpha = torch.sigmoid(self.fc2(self.drop(F.relu(self.fc1(h)))))
        alpha = alpha.view(B, J, 2)
        xy = alpha * pred[..., :2] + (1 - alpha) * back[..., :2]
        return torch.cat([xy, pred[..., 2:]], dim=-1)


def _centre_input(feats: tuple) -> Tensor:
    """The centre-frame 2D input (B, J, 2) that ``STMO`` appends to its
    outputs with ``return_centre_input=True``."""
    if len(feats) < 3:
        raise ValueError('STMORefineHead needs the centre-frame input: '
                         'build the backbone with STMO(..., '
                         'return_centre_input=True)')
    return feats[2][:, 0]


def _target_root(batch_data_samples: OptSampleList) -> Tensor:
    """``target_root`` of each sample, (B, 1, 3) (or (B, 0) if absent)."""
    if 'target_root' not in batch_data_samples[0].metainfo:
        return torch.zeros(len(batch_data_samples), 0)
    return torch.stack([
        torch.as_tensor(
            np.asarray(d.metainfo['target_root']).reshape(1, 3),
            dtype=torch.float32) for d in batch_data_samples
    ])


def _normalised_intrinsics(batch_data_samples: OptSampleList,
                           like: Tensor) -> Tuple[Tensor, Tensor]:
    """Focal length ``f / w * 2`` and centre ``(c - [w/2, h/2]) / (w/2)``,
    each (B, 2), from ``camera_param``."""
    f, c = [], []
    for d in batch_data_samples:
        cam = d.metainfo.get('camera_param') or {}
        if not {'f', 'c', 'w', 'h'} <= set(cam):
            raise KeyError(
                'the refinement module needs the calibrated camera of each '
                "sample (camera_param with 'f', 'c', 'w', 'h'), as the "
                f'dataset\'s camera files give; got {sorted(cam)}. Inputs '
                'without calibration (pictures, videos) need a config '
                'without refinement')
        w, h = float(cam['w']), float(cam['h'])
        f.append(np.asarray(cam['f'], dtype=np.float64).reshape(2) / w * 2)
        c.append((np.asarray(cam['c'], dtype=np.float64).reshape(2) -
                  [w / 2, h / 2]) / (w / 2))
    return (torch.as_tensor(np.stack(f)).to(like),
            torch.as_tensor(np.stack(c)).to(like))


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
