"""Animate one source image with a trained CVTHead (paper Sec. 4.5.3).

The source branch (hair/shoulder offsets, encoder, transformer, spiral
decoder) runs once per avatar; every driven frame only runs FLAME, the
projection, the point splat and the U-Net. Driving signals are FLAME codes:
taken from a driving video's precomputed codes (reenactment) or set directly
(expression, jaw and head pose, shape, camera). Identity shape always comes from the source unless
``shape`` is overridden; camera and crop transform default to the source's
(the official code's conventions; ``docs/cvthead.md``).
"""
import math
from typing import Dict, List, Optional

import numpy as np
import torch
from torch import Tensor

#: control sweeps of the official demo (its inference.py ranges)
SWEEPS = dict(
    shape=('shape', 0, np.linspace(0, 1.8, 10)),
    exp=('exp', 0, np.linspace(0, 1.8, 10)),
    yaw=('pose', 1, np.arange(-math.pi / 4, 5 * math.pi / 24 + 1e-6,
                              math.pi / 24)),
    jaw=('pose', 3, np.linspace(0, 0.46, 10)))


class HeadAnimator:
    """Args:
        model (CVTHead): trained model (eval mode is set here).
        device (str): 'cpu' or 'cuda'.
    """

    def __init__(self, model, device: str = 'cpu'):
        self.model = model.to(device).eval()
        self.device = device
        self._source = None

    @classmethod
    def from_config(cls, config: str, checkpoint: Optional[str] = None,
                    device: str = 'cpu') -> 'HeadAnimator':
        from mmengine import Config

        from mmhuman_ext.registry import MODELS
        from mmhuman_ext.utils.checkpoint import load_checkpoint_file
        from mmhuman_ext.utils.setup_env import register_all_modules
        register_all_modules()
        model = MODELS.build(Config.fromfile(config).model)
        if checkpoint:
            state = load_checkpoint_file(checkpoint, map_location='cpu')
            model.load_state_dict(state.get('state_dict', state))
        return cls(model, device)

    @torch.no_grad()
    def set_source(self, img: Tensor, mask: Tensor,
                   codes: Dict[str, Tensor]) -> None:
        """Encode the avatar once.

        Args:
            img (Tensor): ``(3, H, W)`` in [-1, 1] at the network resolution.
            mask (Tensor): ``(1, H, W)`` foreground in {0, 1}.
            codes (dict): ``shape (100,) exp (50,) pose (6,) cam (3,)
                tform (3, 3)`` of the source frame.
        """
        codes = {k: torch.as_tensor(v).float()[None].to(self.device)
                 for k, v in codes.items()}
        self.model._check_codes(codes, 'source codes', 1)
        img = img[None].to(self.device)
        offsets = self.model.vertex_offsets(img)  # f_H, once per avatar
        pts = self.model.mesh_points(codes['shape'], codes, offsets)
        desc = self.model.generator.encode_source(
            img, mask[None].to(self.device), pts)
        self._source = dict(codes=codes, descriptors=desc, offsets=offsets)

    @torch.no_grad()
    def render(self, **overrides) -> Dict[str, Tensor]:
        """Render one frame; ``overrides`` replace source codes (``exp``,
        ``pose``, ``shape``, ``cam``, ``tform``), each of its code size.

        Returns:
            dict: ``rgb (3, H, W)`` in [-1, 1], ``mask (1, H, W)`` and
            ``image`` ``(H, W, 3)`` uint8 composited over white.
        """
        if self._source is None:
            raise RuntimeError('call set_source() first')
        codes = dict(self._source['codes'])
        for key, value in overrides.items():
            if key not in codes:
                raise KeyError(f'unknown code {key!r}; expected one of '
                               f'{list(codes)}')
            value = torch.as_tensor(value).float().to(self.device)
            if value.shape != codes[key].shape[1:]:
                raise ValueError(f'{key} code has shape {tuple(value.shape)}'
                                 f', expected {tuple(codes[key].shape[1:])}')
            codes[key] = value[None]
        self.model._check_codes(codes, 'driving codes', 1)
        pts = self.model.mesh_points(codes['shape'], codes,
                                     self._source['offsets'])
        out = self.model.generator.render(self._source['descriptors'], pts)
        rgb, mask = out['rgb'][0], out['mask'][0]
        white = ((rgb + 1) / 2) * mask + (1 - mask)
        image = (white.permute(1, 2, 0).clamp(0, 1) * 255).round().byte()
        return dict(rgb=rgb.cpu(), mask=mask.cpu(), image=image.cpu().numpy())

    def sweep(self, name: str) -> List[np.ndarray]:
        """Frames of one control sweep: ``'shape'`` (shape[0] 0..1.8),
        ``'exp'`` (expression[0] 0..1.8), ``'yaw'`` (global yaw -pi/4 ..
        5pi/24 in pi/24 steps) or ``'jaw'`` (jaw opening 0..0.46)."""
        if name not in SWEEPS:
            raise KeyError(f'unknown sweep {name!r}; one of {list(SWEEPS)}')
        key, index, values = SWEEPS[name]
        base = self._source['codes'][key][0].clone()
        frames = []
        for v in values:
            code = base.clone()
            code[index] = float(v)
            frames.append(self.render(**{key: code})['image'])
        return frames
