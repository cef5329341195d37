"""Metrics of one-shot human motion transfer: L1, FID, AED, AKD and MKR.

AKD / MKR / AED follow the public ``pose-evaluation`` scripts by default
(``mode='pose_evaluation'``), because the published tables (FOMM, MRAA,
TPSMM, the ORFNT paper) were made with them:

* AKD (``cmp_with_missing.py``): per frame the mean **absolute coordinate
  difference** ``mean(|x_r - x_g|, |y_r - y_g|)`` over the joints found in
  both frames; mean over the frames that have any such joint.
* MKR: per frame, joints found in the reference but not in the generated
  frame over joints found in the reference; mean over frames whose
  reference has any joint. A joint is missing when its x is -1.
* AED (``cmp.py``): per frame the **sum of squared differences** of the two
  re-ID embeddings; mean over frames.

``mode='euclidean'`` gives the textbook forms instead: AKD as the mean
Euclidean pixel distance, AED as the mean L2 distance of the embeddings.
The reference frame is the ground-truth frame in self-reconstruction and the
driving frame in animation for AKD / MKR; for AED in animation it is the
source image (its embedding repeated for every driving frame).

Frames reach the networks as uint8 RGB, as when the scripts read the saved
PNG / mp4 outputs: model outputs in ``[-1, 1]`` are mapped to [0, 255] and
rounded. Ground truth and source frames come from the data batch
(``inputs['driving_img']`` / ``inputs['source_img']``, uint8), the
prediction from the output data sample (``pred_key``).
"""
import logging
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from torch import Tensor

from mmhuman_ext.evaluation.functional.fid import (InceptionPool3,
                                                   frechet_distance)
from mmhuman_ext.evaluation.functional.motion_transfer_nets import \
    warn_random_weights
from mmhuman_ext.registry import METRICS, MODELS

PRED_KEYS = ('pred_img', 'fake_img', 'fake', 'output')
MODES = ('pose_evaluation', 'euclidean')


def keypoint_errors(reference: np.ndarray, generated: np.ndarray,
                    mode: str = 'pose_evaluation'):
    """AKD and MKR of one frame.

    Args:
        reference, generated: ``(J, >=2)`` joints, x = -1 where missing.
        mode: ``'pose_evaluation'`` (mean absolute coordinate difference)
            or ``'euclidean'`` (mean distance).

    Returns:
        tuple: ``(akd or None, mkr or None)``; None when the frame has no
        joint found in both (AKD) or in the reference (MKR), i.e. the frame
        does not count.
    """
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    ref, gen = np.asarray(reference, float), np.asarray(generated, float)
    ref_found, gen_found = ref[:, 0] != -1, gen[:, 0] != -1
    both = ref_found & gen_found
    akd = mkr = None
    if ref_found.any():
        mkr = float((ref_found & ~gen_found).sum() / ref_found.sum())
    if both.any():
        diff = ref[both, :2] - gen[both, :2]
        akd = float(np.abs(diff).mean() if mode == 'pose_evaluation' else
                    np.linalg.norm(diff, axis=1).mean())
    return akd, mkr


def embedding_distance(a: np.ndarray, b: np.ndarray,
                       mode: str = 'pose_evaluation') -> float:
    """AED of one frame: sum of squared differences (``pose_evaluation``)
    or Euclidean distance (``euclidean``)."""
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    d = np.asarray(a, np.float64).ravel() - np.asarray(b, np.float64).ravel()
    return float((d**2).sum() if mode == 'pose_evaluation' else
                 np.sqrt((d**2).sum()))


def to_uint8(img: Tensor, value_range=(-1., 1.)) -> np.ndarray:
    """``(3, H, W)`` image in ``value_range`` (or uint8) -> RGB uint8
    ``(H, W, 3)``, rounded as a saved PNG would be."""
    img = img.detach().cpu()
    if img.dtype != torch.uint8:
        lo, hi = value_range
        img = ((img.float() - lo) / (hi - lo) * 255).round().clamp(0, 255)
        img = img.to(torch.uint8)
    return img.permute(1, 2, 0).numpy()


class _MotionTransferMetric(BaseMetric):
    """Reads the prediction from the output sample and the ground truth,
    source and keypoints from the data batch."""

    def __init__(self, pred_key: Optional[str] = None,
                 pred_range=(-1., 1.), collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.pred_key, self.pred_range = pred_key, tuple(pred_range)

    def _pred(self, sample: dict) -> np.ndarray:
        keys = (self.pred_key, ) if self.pred_key else PRED_KEYS
        for key in keys:
            value = sample.get(key)
            if isinstance(value, dict):  # a PixelData turned into a dict
                value = value.get('data', value.get('img'))
            if value is not None:
                if value.dim() == 4:
                    value = value[0]
                return to_uint8(value, self.pred_range)
        raise KeyError(f'{type(self).__name__}: the output sample has none '
                       f'of {list(keys)} (set pred_key); it has '
                       f'{sorted(sample)}')

    @staticmethod
    def _input(data_batch: dict, key: str, i: int) -> np.ndarray:
        inputs = data_batch['inputs']
        value = inputs[key][i] if isinstance(inputs, dict) else \
            inputs[i][key]
        return to_uint8(value, (0., 255.))

    def _same_size(self, pred: np.ndarray, ref: np.ndarray) -> None:
        """Pixel errors and keypoint distances need one frame size."""
        if pred.shape != ref.shape:
            raise ValueError(
                f'{type(self).__name__}: generated frames are '
                f'{pred.shape[1]}x{pred.shape[0]} but the data frames are '
                f'{ref.shape[1]}x{ref.shape[0]}; resize the data to the '
                'model output size (PairedResize)')

    @staticmethod
    def _meta(data_batch: dict, sample: dict, i: int) -> dict:
        meta = {}
        batch_samples = data_batch.get('data_samples')
        if batch_samples is not None:
            item = batch_samples[i]
            meta.update(item.metainfo if hasattr(item, 'metainfo') else item)
        meta.update(sample)
        return meta


@METRICS.register_module()
class FrameL1Metric(_MotionTransferMetric):
    """Self-reconstruction L1: mean absolute difference of the generated and
    ground-truth frames, intensities in [0, 1], per frame, then averaged
    over frames (FOMM). Samples of other modes are skipped."""
    default_prefix = 'recon'

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for i, sample in enumerate(data_samples):
            meta = self._meta(data_batch, sample, i)
            if meta.get('mode', 'reconstruction') != 'reconstruction':
                continue
            pred = self._pred(sample)
            gt = self._input(data_batch, 'driving_img', i)
            self._same_size(pred, gt)
            pred, gt = pred / 255., gt / 255.
            self.results.append(dict(l1=float(np.abs(pred - gt).mean())))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        return dict(L1=float(np.mean([r['l1'] for r in results])))


@METRICS.register_module()
class PairedFIDMetric(_MotionTransferMetric):
    """FID between Inception-V3 pool3 (2048-d) features of all generated
    frames and all ground-truth frames of the self-reconstruction test.

    Args:
        inception_path (str, optional): torchvision
            ``inception_v3_google-0cc3c7bd.pth``; None keeps random weights
            (tests only).
        inception_size (int): Inception input side (299).
    """
    default_prefix = 'recon'

    def __init__(self, inception_path: Optional[str] = None,
                 inception_size: int = 299, **kwargs):
        super().__init__(**kwargs)
        if inception_path is None:
            warn_random_weights('PairedFIDMetric Inception-V3')
        self.inception = InceptionPool3(inception_path, inception_size)

    @torch.no_grad()
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        fake, real = [], []
        for i, sample in enumerate(data_samples):
            meta = self._meta(data_batch, sample, i)
            if meta.get('mode', 'reconstruction') != 'reconstruction':
                continue
            fake.append(self._pred(sample))
            real.append(self._input(data_batch, 'driving_img', i))
        if not fake:
            return
        batch = torch.from_numpy(np.stack(fake + real)).permute(
            0, 3, 1, 2).float() / 255
        feats = self.inception(batch).numpy()
        n = len(fake)
        for f, r in zip(feats[:n], feats[n:]):
            self.results.append(dict(fake=f, real=r))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        fake = np.stack([r['fake'] for r in results]).astype(np.float64)
        real = np.stack([r['real'] for r in results]).astype(np.float64)
        return dict(FID=frechet_distance(fake, real))


@METRICS.register_module()
class ReIDAEDMetric(_MotionTransferMetric):
    """AED: re-ID embedding distance between the generated frame and the
    ground-truth frame (reconstruction) or the source image (animation).

    Args:
        embedder (dict, optional): a registered module mapping RGB uint8
            frames to ``(N, D)``; default :class:`ReIDResNet50` with
            ``weights_path`` and ``preprocess`` = ``mode``'s.
        weights_path (str, optional): re-ID weights of the default embedder.
        mode (str): ``'pose_evaluation'`` (default) or ``'euclidean'``.
    """
    default_prefix = 'motion'

    def __init__(self, embedder: Optional[dict] = None,
                 weights_path: Optional[str] = None,
                 mode: str = 'pose_evaluation', **kwargs):
        super().__init__(**kwargs)
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
        self.mode = mode
        self.embedder = MODELS.build(embedder or dict(
            type='ReIDResNet50', weights_path=weights_path,
            preprocess='pose_evaluation' if mode == 'pose_evaluation' else
            'standard'))

    @torch.no_grad()
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        preds, refs, modes = [], [], []
        for i, sample in enumerate(data_samples):
            meta = self._meta(data_batch, sample, i)
            mode = meta.get('mode', 'reconstruction')
            key = 'source_img' if mode == 'animation' else 'driving_img'
            preds.append(self._pred(sample))
            refs.append(self._input(data_batch, key, i))
            modes.append(mode)
        emb = self.embedder(preds + refs)
        emb = emb.cpu().numpy() if torch.is_tensor(emb) else np.asarray(emb)
        n = len(preds)
        for k in range(n):
            self.results.append(dict(mode=modes[k], aed=embedding_distance(
                emb[k], emb[n + k], self.mode)))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        return dict(AED=float(np.mean([r['aed'] for r in results])))


@METRICS.register_module()
class KeypointAKDMKRMetric(_MotionTransferMetric):
    """AKD and MKR between the keypoints of the generated frame and of the
    reference (ground-truth frame in reconstruction, driving frame in
    animation; both are the driving input frame).

    Args:
        backend (str): keypoints of the generated frames: ``'openpose'``
            (:class:`OpenPose18Detector`, the paper's protocol),
            ``'markers'`` (:class:`MarkerKeypointDetector`, puppet data)
            or ``'precomputed'`` (read ``pred_keypoints`` ``(18, >=2)`` from
            the output sample).
        reference (str): keypoints of the reference frame: ``'detect'``
            (same detector on the driving frame; with ``'precomputed'`` the
            sample's ``gt_keypoints``) or ``'ground_truth'`` (the data's
            ``driving_keypoints``, e.g. the generator's true joints).
        detector (dict, optional): overrides the detector config.
        weights_path (str, optional): OpenPose weights of the default
            detector.
        mode (str): ``'pose_evaluation'`` (default) or ``'euclidean'``.
    """
    default_prefix = 'motion'

    def __init__(self, backend: str = 'openpose',
                 reference: str = 'detect', detector: Optional[dict] = None,
                 weights_path: Optional[str] = None,
                 mode: str = 'pose_evaluation', **kwargs):
        super().__init__(**kwargs)
        if backend not in ('openpose', 'markers', 'precomputed'):
            raise ValueError("backend is 'openpose', 'markers' or "
                             f"'precomputed', got {backend!r}")
        if reference not in ('detect', 'ground_truth'):
            raise ValueError("reference is 'detect' or 'ground_truth', got "
                             f'{reference!r}')
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
        self.backend, self.reference, self.mode = backend, reference, mode
        self.detector = None
        if backend != 'precomputed':
            default = dict(type='OpenPose18Detector',
                           weights_path=weights_path) if \
                backend == 'openpose' else dict(type='MarkerKeypointDetector')
            self.detector = MODELS.build(detector or default)

    @staticmethod
    def _keypoints(meta: dict, key: str) -> np.ndarray:
        value = meta.get(key)
        if value is None:
            raise KeyError(f'KeypointAKDMKRMetric: {key!r} not in the sample '
                           f'(it has {sorted(meta)})')
        value = value.cpu().numpy() if torch.is_tensor(value) else \
            np.asarray(value)
        return value[:, :2].astype(np.float64)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        metas = [self._meta(data_batch, s, i)
                 for i, s in enumerate(data_samples)]
        if self.backend == 'precomputed':
            gen = [self._keypoints(m, 'pred_keypoints') for m in metas]
        else:
            preds = [self._pred(s) for s in data_samples]
            for i, pred in enumerate(preds):
                self._same_size(pred, self._input(data_batch, 'driving_img',
                                                  i))
            gen = list(self.detector(preds))
        if self.reference == 'ground_truth':
            ref = [self._keypoints(m, 'driving_keypoints') for m in metas]
        elif self.backend == 'precomputed':
            ref = [self._keypoints(m, 'gt_keypoints') for m in metas]
        else:
            ref = list(self.detector([
                self._input(data_batch, 'driving_img', i)
                for i in range(len(data_samples))]))
        for r, g in zip(ref, gen):
            akd, mkr = keypoint_errors(r, g, self.mode)
            self.results.append(dict(akd=akd, mkr=mkr))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """AKD / MKR over the frames that define them. With no such frame
        (no joint found in both frames / in the reference) the score is
        undefined: NaN, and a warning says why (not a perfect 0)."""
        akd = [r['akd'] for r in results if r['akd'] is not None]
        mkr = [r['mkr'] for r in results if r['mkr'] is not None]
        for name, values, where in (
                ('AKD', akd, 'in both the reference and the generated frame'),
                ('MKR', mkr, 'in the reference frame')):
            if not values:
                print_log(
                    f'{type(self).__name__}: {name} is undefined (reported '
                    f'as NaN): in none of the {len(results)} frames was a '
                    f'joint found {where} (detector {self.backend!r})',
                    logger='current', level=logging.WARNING)
        return dict(AKD=float(np.mean(akd)) if akd else float('nan'),
                    MKR=float(np.mean(mkr)) if mkr else float('nan'))
