"""DECA's coarse encoder ``E_flame`` (frozen in CVTHead).

ResNet-50 (torchvision layout, up to global average pooling, 2048-d), then
``Linear 2048->1024, ReLU, Linear 1024->236``. The 236-d code splits, in this
order, into shape 100, tex 50, exp 50, pose 6 (global 3 + jaw 3 axis-angle),
cam 3 ``(s, tx, ty)`` and light 27. Input: the 224 crop, RGB in [0, 1], no
mean/std normalisation. Parameter names follow DECA's ``E_flame`` state dict
(``encoder.*``, ``layers.0.*``, ``layers.2.*``), so ``deca_model.tar`` loads
directly. 25,848,108 parameters.
"""
from typing import Dict, Optional

import torch
import torchvision
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS

DECA_CODE_SIZES = (('shape', 100), ('tex', 50), ('exp', 50), ('pose', 6),
                   ('cam', 3), ('light', 27))


@MODELS.register_module()
class DECAEncoder(BaseModule):
    """Args:
        ckpt (str, optional): ``deca_model.tar`` (its ``E_flame`` entry) or a
            bare ``E_flame`` state dict; None keeps random weights (tests).
        frozen (bool): eval mode and no gradients. Defaults to True.

    :meth:`forward`: ``(B, 3, 224, 224)`` in [0, 1] -> dict of codes
    ``shape (B,100) tex (B,50) exp (B,50) pose (B,6) cam (B,3)
    light (B,27)``.
    """

    def __init__(self, ckpt: Optional[str] = None, frozen: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.encoder = torchvision.models.resnet50(weights=None)
        self.encoder.fc = nn.Identity()
        total = sum(s for _, s in DECA_CODE_SIZES)
        self.layers = nn.Sequential(nn.Linear(2048, 1024), nn.ReLU(),
                                    nn.Linear(1024, total))
        if ckpt is not None:
            self.load_deca(ckpt)
        self.frozen = frozen
        if frozen:
            self.requires_grad_(False)
            self.eval()

    def train(self, mode: bool = True):
        return super().train(mode and not getattr(self, 'frozen', False))

    def load_deca(self, path: str) -> None:
        from mmhuman_ext.utils.checkpoint import load_checkpoint_file
        try:
            state = load_checkpoint_file(path)
        except FileNotFoundError:
            raise FileNotFoundError(
                f'DECA checkpoint {path} not found; get deca_model.tar from '
                'https://github.com/yfeng95/DECA (data/fetch_data.sh, '
                'registration required)') from None
        state = state.get('E_flame', state)
        missing, unexpected = self.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise KeyError(f'{path}: not a DECA E_flame state dict (missing '
                           f'{missing[:3]}..., unexpected '
                           f'{unexpected[:3]}...)')

    def forward(self, crops: Tensor) -> Dict[str, Tensor]:
        if crops.ndim != 4 or crops.shape[1] != 3:
            raise ValueError('DECAEncoder expects (B, 3, 224, 224) crops in '
                             f'[0, 1], got {tuple(crops.shape)}')
        with torch.set_grad_enabled(not self.frozen and self.training):
            codes = self.layers(self.encoder(crops))
        return dict(zip([n for n, _ in DECA_CODE_SIZES],
                        codes.split([s for _, s in DECA_CODE_SIZES], dim=1)))
