"""Batching and scaling of motion-transfer samples (ORFNT)."""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor
from torch import Tensor

from mmhuman_ext.registry import MODELS
from .densepose_encoding import check_iuv, encode_iuv_parts, resize_iuv


def resize_image(img: Tensor, size: int) -> Tensor:
    """Area resize when shrinking, bilinear when enlarging."""
    if img.shape[-2:] == (size, size):
        return img
    if size < img.shape[-1]:
        return F.interpolate(img, size=(size, size), mode='area')
    return F.interpolate(img, size=(size, size), mode='bilinear',
                         align_corners=False)


@MODELS.register_module()
class MotionTransferDataPreprocessor(BaseDataPreprocessor):
    """Turn packed samples into network inputs.

    Input ``data['inputs']``: a dict of batched tensors (``default_collate``)
    or a list of per-sample dicts (``pseudo_collate``) with

    ==================  ======================  ==========================
    key                 shape                   meaning
    ==================  ======================  ==========================
    ``source_img``      (B, 3, S, S) uint8      source RGB (S = 256)
    ``source_iuv``      (B, 3, h, w) float      I (0..K), U, V in [0, 1]
    ``driving_iuv``     (B, 3, h, w) float      driving DensePose
    ``driving_img``     (B, 3, S, S) uint8      driving RGB (training/eval)
    ``driving_mask``    (B, 1, S, S) float      matting alpha in [0, 1]
    ``source_mask``     (B, 1, S, S) float      optional
    ==================  ======================  ==========================

    Output ``inputs``: ``src_img``/``drv_img`` at ``in_size`` in [-1, 1]
    (area resize), ``drv_img_out`` at ``out_size`` (the model's output
    side); ``src_iuv``/``drv_iuv``
    nearest-resized to ``in_size`` and their part encodings
    ``src_dp``/``drv_dp (B, 3K, in, in)``; ``drv_mask``/``drv_mask_out``
    binarised at 0.5 at both sizes. Missing optional keys are left out.

    Args:
        in_size (int): network input side (128 or 256).
        out_size (int, optional): output side. ``ORFNTMotionTransfer`` sets
            it to ``in_size x blender.upscale``; leave it out of configs (a
            value that disagrees is an error).
        num_parts (int): DensePose parts (24).
    """

    def __init__(self, in_size: int = 128, out_size: Optional[int] = None,
                 num_parts: int = 24, non_blocking: bool = False):
        super().__init__(non_blocking)
        self.in_size = in_size
        self.out_size = out_size
        self.num_parts = num_parts

    @staticmethod
    def _stack(inputs) -> Dict[str, Tensor]:
        if isinstance(inputs, dict):
            return inputs
        if not isinstance(inputs, (list, tuple)) or not inputs:
            raise ValueError('inputs must be a dict of batched tensors or a '
                             f'list of per-sample dicts, got {type(inputs)}')
        keys = set(inputs[0])
        for i, sample in enumerate(inputs):
            if set(sample) != keys:
                raise ValueError(f'sample {i} has input keys {sorted(sample)}'
                                 f', sample 0 has {sorted(keys)}')
        return {k: torch.stack([s[k] for s in inputs]) for k in keys}

    def to_image(self, img: Tensor, size: int) -> Tensor:
        """uint8 / [0, 255] ``(B, 3, H, W)`` -> [-1, 1] at ``size``."""
        return resize_image(img.float() / 127.5 - 1, size)

    def prepare_iuv(self, iuv: Tensor, name: str) -> Dict[str, Tensor]:
        """Checked, nearest-resized IUV and its part encoding."""
        iuv = iuv.float()
        check_iuv(iuv, self.num_parts, name)
        iuv = resize_iuv(iuv, self.in_size)
        return dict(iuv=iuv, dp=encode_iuv_parts(iuv, self.num_parts))

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        raw = self._stack(data['inputs'])
        for key in ('source_img', 'source_iuv', 'driving_iuv'):
            if key not in raw:
                raise ValueError(f'inputs["{key}"] is missing; the packed '
                                 'sample needs source_img, source_iuv and '
                                 'driving_iuv')
        out = dict(src_img=self.to_image(raw['source_img'], self.in_size))
        for prefix, key in (('src', 'source_iuv'), ('drv', 'driving_iuv')):
            enc = self.prepare_iuv(raw[key], f'inputs["{key}"]')
            out[f'{prefix}_iuv'] = enc['iuv']
            out[f'{prefix}_dp'] = enc['dp']
        if self.out_size is None and ('driving_img' in raw
                                      or 'driving_mask' in raw):
            raise ValueError('MotionTransferDataPreprocessor.out_size is '
                             'unset: the model sets it (in_size x '
                             'blender.upscale) when it is built')
        if 'driving_img' in raw:
            out['drv_img'] = self.to_image(raw['driving_img'], self.in_size)
            out['drv_img_out'] = self.to_image(raw['driving_img'],
                                               self.out_size)
        if 'driving_mask' in raw:
            mask = raw['driving_mask'].float()
            out['drv_mask'] = (resize_image(mask, self.in_size)
                               > 0.5).float()
            out['drv_mask_out'] = (resize_image(mask, self.out_size)
                                   > 0.5).float()
        return dict(inputs=out, data_samples=data.get('data_samples'))

    def encode_raw(self, source_img: Tensor, source_iuv: Tensor,
                   driving_iuv: Tensor) -> Dict[str, Tensor]:
        """Inference helper: ``source_img`` in [-1, 1] at any size, raw IUV
        maps -> ``src_img``, ``src_dp``, ``drv_dp`` at ``in_size``."""
        src = self.prepare_iuv(source_iuv, 'source_iuv')
        drv = self.prepare_iuv(driving_iuv, 'driving_iuv')
        return dict(src_img=resize_image(source_img.float(), self.in_size),
                    src_dp=src['dp'], drv_dp=drv['dp'])
