"""Metrics of one-shot head reenactment (CVTHead, thesis Tables 4.1-4.2;
protocols in ``docs/cvthead.md``).

* :class:`SelfReenactMetric` (driver = ground truth): L1, PSNR, SSIM,
  MS-SSIM, LPIPS after masking both images with the *predicted* mask
  thresholded at 0.6 over white.
* :class:`CrossReenactMetric` (no ground truth): FID, CSIM (ArcFace or
  VGGFace2 embeddings) and IQA (HyperIQA).
* :class:`CVTHeadMotionMetric`: AKD / AED / APD from DECA codes re-estimated
  on the output and on the ground truth.

Why not mmagic's: its ``PSNR`` averages per-image PSNRs (the official code:
PSNR of the mean MSE), its ``MS_SSIM`` scores diversity between generated pairs, its
``FID`` loads Inception weights itself (and takes a 2048 x 2048 matrix
square root), and it has no LPIPS. Every network loads from a local path;
``None`` keeps random weights of the real architecture (tests only).
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from torch import Tensor

from mmhuman_ext.evaluation.functional.fid import (InceptionPool3,
                                                   frechet_distance)
from mmhuman_ext.evaluation.functional.lpips import LPIPSAlex
from mmhuman_ext.registry import METRICS, MODELS

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> Tensor:
    x = torch.arange(size, dtype=torch.float64) - size // 2
    g = torch.exp(-x**2 / (2 * sigma**2))
    return (g / g.sum()).float()


def _blur(x: Tensor, win: Tensor) -> Tensor:
    c = x.shape[1]
    x = F.conv2d(x, win.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(x, win.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def _ssim_cs(x: Tensor, y: Tensor, win: Tensor, data_range: float = 1.,
             k=(0.01, 0.03)):
    c1, c2 = (k[0] * data_range)**2, (k[1] * data_range)**2
    mx, my = _blur(x, win), _blur(y, win)
    sxx = _blur(x * x, win) - mx**2
    syy = _blur(y * y, win) - my**2
    sxy = _blur(x * y, win) - mx * my
    cs = (2 * sxy + c2) / (sxx + syy + c2)
    ssim = (2 * mx * my + c1) / (mx**2 + my**2 + c1) * cs
    return ssim.flatten(2).mean(-1), cs.flatten(2).mean(-1)  # (B, C)


def ssim(x: Tensor, y: Tensor, data_range: float = 1.) -> Tensor:
    """Gaussian-window SSIM (11, sigma 1.5, valid conv), channel-averaged,
    per image: ``(B, C, H, W)`` -> ``(B,)``."""
    return _ssim_cs(x, y, _gaussian_window().to(x), data_range)[0].mean(1)


def ms_ssim(x: Tensor, y: Tensor, data_range: float = 1.,
            weights: Sequence[float] = MS_SSIM_WEIGHTS) -> Tensor:
    """Multi-scale SSIM (the ``pytorch_msssim`` definition), per image
    ``(B,)``. Images too small for all 5 scales (side <= 160) use the scales
    that fit, with the weights renormalised (our choice)."""
    win = _gaussian_window().to(x)
    scales = len(weights)
    while scales > 1 and min(x.shape[-2:]) <= (win.numel() - 1) * 2**(
            scales - 1):
        scales -= 1
    w = x.new_tensor(weights[:scales])
    w = w / w.sum()
    values = []
    for i in range(scales):
        s, cs = _ssim_cs(x, y, win, data_range)
        if i < scales - 1:
            values.append(F.relu(cs))
            pad = [d % 2 for d in x.shape[-2:]]
            x = F.avg_pool2d(x, 2, padding=pad)
            y = F.avg_pool2d(y, 2, padding=pad)
    values.append(F.relu(s))
    stack = torch.stack(values, 0)  # (scales, B, C)
    return torch.prod(stack**w.view(-1, 1, 1), dim=0).mean(1)


def mask_on_white(img: Tensor, mask: Tensor, thr: float = 0.6) -> Tensor:
    """``img * M + (1 - M)`` with ``M = 1[mask > thr]``; ``img`` in [0, 1]."""
    m = (mask > thr).to(img)
    return img * m + (1 - m)


@METRICS.register_module()
class SelfReenactMetric(BaseMetric):
    """Self-reenactment metrics on ``pred_img``/``gt_img`` (model outputs in
    [-1, 1]) masked with ``pred_mask > mask_thr`` over white:

    * ``L1``: mean over all pixels and channels (background counts as 0, the
      paper's "L1 on the masked region"); ``L1_fg``: mean over the mask only;
    * ``PSNR``: ``10 log10(1 / mean MSE)`` over all samples; ``PSNR_img``:
      mean of per-image PSNRs (for comparison);
    * ``SSIM``, ``MS-SSIM``, ``LPIPS`` (AlexNet, inputs in [0, 1]).

    ``mask_policy='own'`` (the default, the headline figure): the
    prediction over white with its own soft mask (what a user sees), the
    target over white with the ground-truth mask; ``L1_fg`` then averages
    over the ground-truth mask. An empty predicted mask scores as badly as
    it looks. ``mask_policy='pred'`` is the paper's protocol, for comparison
    with published numbers only: it rewards an empty prediction (mask < 0.6
    everywhere makes both images white: L1 = 0, PSNR and SSIM near perfect).

    Args:
        mask_thr (float): 0.6.
        mask_policy (str): ``'own'`` (default) or ``'pred'``.
        lpips_backbone (str, optional): AlexNet weights path; None keeps
            random weights (tests only).
        use_lpips (bool): compute LPIPS.
    """
    default_prefix = 'reenact'

    def __init__(self, mask_thr: float = 0.6, mask_policy: str = 'own',
                 lpips_backbone: Optional[str] = None, use_lpips: bool = True,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if mask_policy not in ('pred', 'own'):
            raise ValueError(f"mask_policy is 'pred' or 'own', got "
                             f'{mask_policy!r}')
        self.mask_policy = mask_policy
        self.mask_thr = mask_thr
        self.lpips = LPIPSAlex(lpips_backbone) if use_lpips else None

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        pred = torch.stack([(s['pred_img'] + 1) / 2 for s in data_samples])
        gt = torch.stack([(s['gt_img'] + 1) / 2 for s in data_samples])
        mask = torch.stack([s['pred_mask'] for s in data_samples]).float()
        pred, gt = pred.float().clamp(0, 1), gt.float().clamp(0, 1)
        if self.mask_policy == 'pred':
            p = mask_on_white(pred, mask, self.mask_thr)
            g = mask_on_white(gt, mask, self.mask_thr)
            hard = (mask > self.mask_thr).float()
        else:
            hard = torch.stack([s['gt_mask'] for s in data_samples]).float()
            p = pred * mask + (1 - mask)
            g = gt * hard + (1 - hard)
        diff = (p - g).abs()
        mse = (p - g).pow(2).flatten(1).mean(1)
        rows = dict(
            l1=diff.flatten(1).mean(1),
            l1_fg=diff.flatten(1).sum(1) / (3 * hard.flatten(1).sum(1))
            .clamp_min(1),
            mse=mse, ssim=ssim(p, g), ms_ssim=ms_ssim(p, g))
        if self.lpips is not None:
            with torch.no_grad():
                rows['lpips'] = self.lpips(p, g)
        for i in range(len(data_samples)):
            self.results.append({k: float(v[i]) for k, v in rows.items()})

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        col = {k: np.array([r[k] for r in results]) for k in results[0]}
        out = dict(
            L1=float(col['l1'].mean()), L1_fg=float(col['l1_fg'].mean()),
            PSNR=float(10 * np.log10(1 / max(col['mse'].mean(), 1e-12))),
            PSNR_img=float(np.mean(10 * np.log10(
                1 / np.maximum(col['mse'], 1e-12)))),
            SSIM=float(col['ssim'].mean()),
            **{'MS-SSIM': float(col['ms_ssim'].mean())})
        if 'lpips' in col:
            out['LPIPS'] = float(col['lpips'].mean())
        return out


@METRICS.register_module()
class CrossReenactMetric(BaseMetric):
    """Cross-identity reenactment (thesis Table 4.2): FID between the
    white-composited outputs and the reference frames, CSIM, the mean cosine
    similarity of face embeddings of source and output, and optionally IQA,
    the mean no-reference quality of the outputs.

    Args:
        inception_ckpt (str, optional): Inception-V3 weights.
        id_embedder (dict): a registered module with ``embed([-1, 1] images)
            -> (B, D)``; default ``ArcFaceEmbedder`` (IResNet-100, the
            network of CSIM's origin, FOMM/ROME's protocol);
            ``FaceIdentityLoss`` (VGGFace2 ResNet-50) is the alternative.
        face_crop (bool): embed the face crop (the DECA crop transform of
            the sample, ``drv_tform``, which is the source's for cross-
            identity pairs) instead of the whole frame; default True.
        iqa (dict, optional): a registered module with ``score([0, 1]
            images) -> (B,)`` (``HyperIQA``); its mean x 100 is ``IQA``
            (KonIQ's 0-100 scale).
        reference (str): FID reference frames, ``'source'`` (cross-identity:
            the sources) or ``'target'`` (self-reenactment: the driving
            frames on white with their ground-truth masks).
        mask_thr (float): threshold of the predicted mask (0.6).
        inception_size (int): Inception input side (299).
    """
    default_prefix = 'cross'

    def __init__(self, inception_ckpt: Optional[str] = None,
                 id_embedder: Optional[dict] = None, face_crop: bool = True,
                 iqa: Optional[dict] = None, reference: str = 'source',
                 mask_thr: float = 0.6, inception_size: int = 299,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if reference not in ('source', 'target'):
            raise ValueError("reference is 'source' or 'target', got "
                             f'{reference!r}')
        self.inception = InceptionPool3(inception_ckpt, inception_size)
        self.embedder = MODELS.build(id_embedder or dict(
            type='ArcFaceEmbedder'))
        self.iqa = MODELS.build(iqa) if iqa else None
        self.face_crop = face_crop
        self.reference = reference
        self.mask_thr = mask_thr

    def _faces(self, images: Tensor, data_samples: Sequence[dict]) -> Tensor:
        """[0, 1] images -> [-1, 1] face crops (or the whole images)."""
        if self.face_crop:
            from mmhuman_ext.geometry.ortho_crop import warp_crop
            size = images.shape[-1]
            tform = torch.stack([s['drv_tform'] for s in data_samples])
            scale = torch.tensor([s['frame_size'][1] / size
                                  for s in data_samples])
            # network-resolution pixels -> frame pixels -> crop
            tform = tform.float() @ torch.diag_embed(torch.stack(
                [scale, scale, torch.ones_like(scale)], -1))
            images = warp_crop(images, tform)
        return images * 2 - 1

    @torch.no_grad()
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        pred = torch.stack([(s['pred_img'] + 1) / 2 for s in data_samples])
        mask = torch.stack([s['pred_mask'] for s in data_samples]).float()
        src = torch.stack([(s['src_img'] + 1) / 2
                           for s in data_samples]).float()
        out = mask_on_white(pred.float().clamp(0, 1), mask, self.mask_thr)
        if self.reference == 'source':
            real = src
        else:
            gt = torch.stack([(s['gt_img'] + 1) / 2 for s in data_samples])
            gt_mask = torch.stack([s['gt_mask'] for s in data_samples])
            real = mask_on_white(gt.float().clamp(0, 1), gt_mask.float(), 0.5)
        f_fake, f_real = self.inception(out), self.inception(real)
        e_out = self.embedder.embed(self._faces(out, data_samples))
        e_src = self.embedder.embed(self._faces(src, data_samples))
        csim = F.cosine_similarity(e_out, e_src, dim=1)
        iqa = self.iqa.score(out) if self.iqa is not None else None
        for i in range(len(data_samples)):
            row = dict(fake=f_fake[i].numpy(), real=f_real[i].numpy(),
                       csim=float(csim[i]))
            if iqa is not None:
                row['iqa'] = float(iqa[i])
            self.results.append(row)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        fake = np.stack([r['fake'] for r in results]).astype(np.float64)
        real = np.stack([r['real'] for r in results]).astype(np.float64)
        out = dict(FID=frechet_distance(fake, real),
                   CSIM=float(np.mean([r['csim'] for r in results])))
        if 'iqa' in results[0]:
            out['IQA'] = 100 * float(np.mean([r['iqa'] for r in results]))
        return out


@METRICS.register_module()
class CVTHeadMotionMetric(BaseMetric):
    """AKD / AED / APD (extras the thesis does not report): DECA re-estimates
    FLAME codes on the output and on the ground truth, each cropped with the
    driver's crop transform (rescaled to the network resolution):

    * ``AED``: mean absolute difference of the 50 expression codes;
    * ``APD``: mean absolute difference of the 6 pose codes (radians);
    * ``AKD``: mean distance in output pixels between the 68 FLAME landmarks
      of the two code sets, each projected with its own camera.

    Args:
        deca (dict): ``DECAEncoder`` config (``ckpt`` = ``deca_model.tar``).
        flame (dict): ``FLAMELayer`` config with ``landmark_path``.
    """
    default_prefix = 'motion'

    def __init__(self, deca: dict, flame: dict, collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.deca = MODELS.build(deca)
        self.flame = MODELS.build(flame)

    @torch.no_grad()
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        from mmhuman_ext.geometry.ortho_crop import (project_to_image,
                                                     warp_crop)
        pred = torch.stack([(s['pred_img'] + 1) / 2 for s in data_samples])
        gt = torch.stack([(s['gt_img'] + 1) / 2 for s in data_samples])
        size = pred.shape[-1]
        scale = torch.tensor([s['frame_size'][1] / size
                              for s in data_samples])
        tform = torch.stack([s['drv_tform'] for s in data_samples]).float()
        # net-resolution pixels -> frame pixels -> crop
        tform = tform @ torch.diag_embed(torch.stack(
            [scale, scale, torch.ones_like(scale)], -1))
        codes = [self.deca(warp_crop(x.float().clamp(0, 1), tform))
                 for x in (pred, gt)]
        lmks = []
        for c in codes:
            verts = self.flame(c['shape'][:, :self.flame.n_shape],
                               c['exp'][:, :self.flame.n_exp], c['pose'])
            pts = project_to_image(self.flame.landmarks(verts), c['cam'],
                                   tform, (size, size))
            lmks.append((pts[..., :2] + 1) / 2 * size)
        akd = (lmks[0] - lmks[1]).norm(dim=-1).mean(1)
        aed = (codes[0]['exp'] - codes[1]['exp']).abs().mean(1)
        apd = (codes[0]['pose'] - codes[1]['pose']).abs().mean(1)
        for i in range(len(data_samples)):
            self.results.append(dict(AKD=float(akd[i]), AED=float(aed[i]),
                                     APD=float(apd[i])))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        return {k: float(np.mean([r[k] for r in results]))
                for k in ('AKD', 'AED', 'APD')}
