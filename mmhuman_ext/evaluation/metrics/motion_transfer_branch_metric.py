"""A motion-transfer evaluation that tells motion from copying: flow and
keypoint errors against known joints, body-region L1 and mask IoU, per
branch of the model, with the copy-the-source figures beside them."""
from typing import Dict, List, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from mmhuman_ext.registry import METRICS, MODELS
from .motion_transfer_metrics import _MotionTransferMetric, keypoint_errors

# branch -> (image field, mask field) of the output sample
BRANCHES = dict(warp=('warp_img', 'warp_mask'),
                texture=('tex_img', 'tex_mask'),
                final=('pred_img', 'pred_mask'))


def resize_to(x: Tensor, size) -> Tensor:
    """``(C, h, w)`` -> ``(C, H, W)`` bilinear (``align_corners=False``)."""
    x = x.detach().float().cpu()
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x[None], size=tuple(size), mode='bilinear',
                         align_corners=False)[0]


def flow_joint_errors(flow: Tensor, src_kps: np.ndarray,
                      drv_kps: np.ndarray, size) -> np.ndarray:
    """Per-joint error (pixels of the ``size = (H, W)`` frame) of a backward
    flow ``(2, h, w)`` (normalised units): the flow at each driving joint
    should point at the same joint in the source. Joints missing (x = -1)
    in either frame are left out."""
    both = (src_kps[:, 0] != -1) & (drv_kps[:, 0] != -1)
    if not both.any():
        return np.zeros(0)
    h, w = size
    drv = torch.as_tensor(drv_kps[both, :2], dtype=torch.float32)
    grid = (drv / drv.new_tensor([w, h]) * 2 - 1)[None, None]  # 1,1,J,2
    sampled = F.grid_sample(flow.detach().float().cpu()[None], grid,
                            mode='bilinear', padding_mode='border',
                            align_corners=False)[0, :, 0].T  # J, 2
    pred_src = drv + sampled * drv.new_tensor([w / 2, h / 2])
    return np.linalg.norm(pred_src.numpy() - src_kps[both, :2], axis=1)


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two boolean masks (1 when both are empty)."""
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.


@METRICS.register_module()
class MotionTransferBranchMetric(_MotionTransferMetric):
    """Motion versus copying, per branch, on self-reconstruction samples.

    Output-sample fields (any subset; images in [-1, 1] at any size,
    resized bilinearly to the data frames): ``warp_img`` / ``warp_mask``
    (the source warped by MotionNet's finest flow / the 2D branch's mask),
    ``tex_img`` / ``tex_mask`` (texture branch), ``pred_img`` /
    ``pred_mask`` (final output) and ``pred_flow (2, h, w)`` (backward flow,
    normalised units). Data: ``driving_img``, ``driving_mask``,
    ``source_img``, ``source_mask`` and the metainfo's
    ``source_keypoints`` / ``driving_keypoints`` (true joints).

    Results (``<b>`` = ``warp``, ``texture``, ``final`` where present):

    * ``flow_err``: mean per-joint error of ``pred_flow`` (pixels of the
      frame), ``copy_flow_err``: the same for a zero flow (copying);
    * ``<b>_L1``: L1 in [0, 1] over the frame; ``<b>_body_L1``: over the
      driving mask only, ``copy_body_L1``: the source image's;
    * ``<b>_IoU``: IoU of the predicted mask (> 0.5) with the driving mask,
      ``src_IoU``: the source mask's;
    * ``<b>_AKD`` / ``<b>_MKR``: marker keypoints of the branch image
      (:class:`MarkerKeypointDetector`) against the true driving joints
      (``mode`` as :class:`KeypointAKDMKRMetric`), when ``markers``.

    Args:
        markers (bool): detect the puppets' colour markers (True).
        mode (str): AKD form, ``'pose_evaluation'`` or ``'euclidean'``.
    """
    default_prefix = 'branch'

    def __init__(self, markers: bool = True, mode: str = 'pose_evaluation',
                 **kwargs):
        super().__init__(**kwargs)
        self.mode = mode
        self.detector = MODELS.build(dict(
            type='MarkerKeypointDetector')) if markers else None

    @staticmethod
    def _tensor(data_batch: dict, key: str, i: int) -> Tensor:
        inputs = data_batch['inputs']
        value = inputs[key][i] if isinstance(inputs, dict) else \
            inputs[i][key]
        return value.detach().float().cpu()

    @staticmethod
    def _kps(meta: dict, key: str) -> np.ndarray:
        value = meta.get(key)
        if value is None:
            raise KeyError(f'MotionTransferBranchMetric: {key!r} not in the '
                           f'sample metainfo (it has {sorted(meta)}); load '
                           'keypoints (LoadFramePair(with_keypoints=True))')
        value = value.cpu().numpy() if torch.is_tensor(value) else \
            np.asarray(value)
        return value[:, :2].astype(np.float64)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for i, sample in enumerate(data_samples):
            meta = self._meta(data_batch, sample, i)
            if meta.get('mode', 'reconstruction') != 'reconstruction':
                continue
            gt = self._tensor(data_batch, 'driving_img', i) / 255.
            src = self._tensor(data_batch, 'source_img', i) / 255.
            size = gt.shape[-2:]
            drv_mask = self._tensor(data_batch, 'driving_mask', i)[0] > 0.5
            src_mask = self._tensor(data_batch, 'source_mask', i)[0] > 0.5
            src_kps = self._kps(meta, 'source_keypoints')
            drv_kps = self._kps(meta, 'driving_keypoints')
            body = drv_mask.numpy()
            res = dict(
                src_IoU=mask_iou(src_mask.numpy(), body),
                copy_body_L1=float((src - gt).abs().mean(0)[drv_mask].mean()),
                copy_flow_err=flow_joint_errors(
                    torch.zeros(2, *size), src_kps, drv_kps, size))
            if sample.get('pred_flow') is not None:
                res['flow_err'] = flow_joint_errors(
                    sample['pred_flow'], src_kps, drv_kps, size)
            for branch, (img_key, mask_key) in BRANCHES.items():
                if sample.get(img_key) is None:
                    continue
                img = resize_to(sample[img_key], size)
                img = ((img.clamp(-1, 1) + 1) * 127.5).round() / 255.
                err = (img - gt).abs().mean(0)
                res[f'{branch}_L1'] = float(err.mean())
                res[f'{branch}_body_L1'] = float(err[drv_mask].mean())
                if sample.get(mask_key) is not None:
                    mask = resize_to(sample[mask_key], size)[0] > 0.5
                    res[f'{branch}_IoU'] = mask_iou(mask.numpy(), body)
                if self.detector is not None:
                    rgb = (img * 255).round().to(torch.uint8).permute(
                        1, 2, 0).numpy()
                    found = self.detector([rgb])[0]
                    res[f'{branch}_AKD'], res[f'{branch}_MKR'] = \
                        keypoint_errors(drv_kps, found, self.mode)
            self.results.append(res)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        metrics = {}
        keys = []
        for r in results:
            keys += [k for k in r if k not in keys]
        for key in keys:
            values = [r[key] for r in results
                      if key in r and r[key] is not None]
            if key.endswith('flow_err'):  # mean over all joints
                values = np.concatenate(values) if values else []
            metrics[key] = float(np.mean(values)) if len(values) else \
                float('nan')
        return metrics
