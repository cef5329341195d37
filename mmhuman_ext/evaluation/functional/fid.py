"""Fréchet Inception Distance: the Inception-V3 pool-3 feature network and
the Fréchet distance of two feature sets, for the metrics of several
methods."""
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor, nn

from mmhuman_ext.utils.pretrained import load_state_dict_file


def frechet_distance(x: np.ndarray, y: np.ndarray) -> float:
    """Fréchet distance of Gaussians fitted to features ``x (n, D)`` and
    ``y (n, D)`` (same ``n``): ``|mu_x - mu_y|^2 + tr(C_x) + tr(C_y) -
    2 tr sqrt(C_x C_y)``.

    With sample covariances ``C = X_c^T X_c / (n - 1)``, ``tr sqrt(C_x C_y)``
    is the nuclear norm of ``X_c Y_c^T`` divided by ``n - 1`` (same non-zero
    eigenvalues), an ``n x n`` problem instead of mmagic's ``D x D`` matrix
    square root (D = 2048), exact and fast for test-set sizes.
    """
    if len(x) != len(y):
        raise ValueError(f'FID needs as many generated ({len(x)}) as real '
                         f'({len(y)}) features here')
    m = len(x) - 1
    xc, yc = x - x.mean(0), y - y.mean(0)
    cross = np.linalg.svd(xc @ yc.T, compute_uv=False).sum() / m
    return float(((x.mean(0) - y.mean(0))**2).sum() +
                 (xc**2).sum() / m + (yc**2).sum() / m - 2 * cross)


class InceptionPool3(nn.Module):
    """torchvision Inception-V3 up to the 2048-d average pool. Inputs in
    [0, 1], resized to ``size`` (299; smaller only to test quickly) and
    ImageNet-normalised. ``ckpt``: torchvision
    ``inception_v3_google-0cc3c7bd.pth``; None keeps random weights."""

    def __init__(self, ckpt: Optional[str] = None, size: int = 299):
        super().__init__()
        self.size = size
        net = torchvision.models.inception_v3(
            weights=None, aux_logits=False, init_weights=ckpt is None)
        if ckpt is not None:
            state = load_state_dict_file(
                ckpt, 'Inception-V3', 'download '
                'inception_v3_google-0cc3c7bd.pth from '
                'https://download.pytorch.org/models/ and set its path')
            net.load_state_dict({k: v for k, v in state.items()
                                 if not k.startswith('AuxLogits.')})
        net.fc = nn.Identity()
        self.net = net.requires_grad_(False).eval()
        self.register_buffer('mean', torch.tensor(
            [0.485, 0.456, 0.406]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(
            [0.229, 0.224, 0.225]).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        x = F.interpolate(x, size=(self.size, self.size), mode='bilinear',
                          align_corners=False)
        return self.net((x - self.mean) / self.std)
