"""Losses of CVTHead's generator (paper Eq. 4.7).

mmagic's ``L1Loss`` (masked) and ``GANLoss(gan_type='hinge')`` are used as
they are. Written here:

* :class:`VGG19PerceptualLoss`: mmagic's ``PerceptualLoss`` builds
  ``vgg19(pretrained=True)``, which downloads; this one loads a local
  torchvision VGG19 state dict.
* :class:`FaceIdentityLoss`: VGGFace2 ResNet-50 (Caffe layout) cosine loss;
  no OpenMMLab package has it.
* :class:`CVTDiceLoss`: the official squared-denominator Dice on soft masks.
* :class:`DiscFeatureMatchingLoss`: L1 between discriminator features.

All inputs are images in [-1, 1], ``(B, 3, H, W)``. Loss networks are frozen
and stay in eval mode.
"""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor, nn

from mmhuman_ext.models.layers.vgg19 import (IMAGENET_MEAN, IMAGENET_STD,
                                             build_vgg19_features)
from mmhuman_ext.registry import MODELS
from mmhuman_ext.utils.pretrained import load_state_dict_file


class _FrozenNet(nn.Module):
    """Keeps its parameters frozen and itself in eval mode."""

    def _freeze(self):
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True):
        return super().train(False)


@MODELS.register_module()
class VGG19PerceptualLoss(_FrozenNet):
    """``sum_l w_l * mean|phi_l(pred) - phi_l(target)|`` on ImageNet-normalised
    [0, 1] images; ``phi_l`` = torchvision ``vgg19().features`` output at
    index ``l`` (1, 6, 11, 20, 29 = relu1_1 .. relu5_1); target features are
    detached.

    Args:
        ckpt (str, optional): torchvision VGG19 state dict
            (``vgg19-dcbb9e9d.pth``); None = random weights (tests only).
        layer_weights (dict[int, float]): index -> weight.
        loss_weight (float): 1.0.
    """

    def __init__(self, ckpt: Optional[str] = None,
                 layer_weights: Optional[Dict[int, float]] = None,
                 loss_weight: float = 1.0):
        super().__init__()
        self.layer_weights = {int(k): float(v) for k, v in (
            layer_weights or {1: 1 / 32, 6: 1 / 16, 11: 1 / 8, 20: 1 / 4,
                              29: 1.0}).items()}
        self.features = build_vgg19_features(ckpt, max(self.layer_weights))
        self.loss_weight = loss_weight
        self.register_buffer('mean', torch.tensor(IMAGENET_MEAN).view(
            1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(IMAGENET_STD).view(
            1, 3, 1, 1), persistent=False)
        self._freeze()

    def extract(self, x: Tensor) -> Dict[int, Tensor]:
        """[-1, 1] images -> ``{index: feature}``."""
        x = ((x + 1) / 2 - self.mean) / self.std
        out = {}
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.layer_weights:
                out[i] = x
        return out

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        fp = self.extract(pred)
        with torch.no_grad():
            ft = self.extract(target)
        loss = sum(w * F.l1_loss(fp[i], ft[i])
                   for i, w in self.layer_weights.items())
        return self.loss_weight * loss


def vggface2_resnet50() -> nn.Module:
    """VGGFace2 ResNet-50 (Caffe layout): torchvision ResNet-50 with the
    stride in the first 1x1 conv of each bottleneck, max-pool ``(3, 2,
    pad 0, ceil_mode)``, headless (``fc`` = identity). Output ``(B, 2048)``."""
    net = torchvision.models.resnet50(weights=None)
    net.maxpool = nn.MaxPool2d(3, 2, padding=0, ceil_mode=True)
    for layer in (net.layer2, net.layer3, net.layer4):
        block = layer[0]
        block.conv1.stride = block.conv2.stride
        block.conv2.stride = (1, 1)
    net.fc = nn.Identity()
    return net


@MODELS.register_module()
class FaceIdentityLoss(_FrozenNet):
    """``mean(1 - cos(f(pred), f(target)))`` with ``f`` the VGGFace2 ResNet-50
    embedding: [0, 1] -> BGR x 255 - mean(91.4953, 103.8827, 131.0912) -> cut
    a 10 px border per 256 px -> bilinear to 224 -> 2048-d pool feature.

    Args:
        ckpt (str, optional): ``resnet50_scratch_weight.pkl`` (VGGFace2-
            pytorch, numpy arrays) or an equivalent ``.pth``; the ``fc`` head
            is ignored. None = random weights (tests only).
        loss_weight (float): 0.1.
    """

    def __init__(self, ckpt: Optional[str] = None, loss_weight: float = 0.1):
        super().__init__()
        self.net = vggface2_resnet50()
        if ckpt is not None:
            state = load_state_dict_file(
                ckpt, 'VGGFace2 ResNet-50',
                'get resnet50_scratch_weight.pkl from the VGGFace2-pytorch '
                'project (cydonia999/VGGFace2-pytorch) and set its path')
            state = {k: v for k, v in state.items()
                     if not k.startswith('fc.')}
            self.net.load_state_dict(state)
        self.loss_weight = loss_weight
        self.register_buffer('mean_bgr', torch.tensor(
            [91.4953, 103.8827, 131.0912]).view(1, 3, 1, 1),
                             persistent=False)
        self._freeze()

    def embed(self, x: Tensor) -> Tensor:
        """[-1, 1] RGB ``(B, 3, H, W)`` -> ``(B, 2048)``."""
        x = (x + 1) / 2 * 255
        x = x.flip(1) - self.mean_bgr
        border = round(10 * x.shape[-1] / 256)
        x = x[..., border:x.shape[-2] - border, border:x.shape[-1] - border]
        x = F.interpolate(x, size=(224, 224), mode='bilinear',
                          align_corners=False)
        return self.net(x)

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        with torch.no_grad():
            ft = self.embed(target)
        cos = F.cosine_similarity(self.embed(pred), ft, dim=1)
        return self.loss_weight * (1 - cos).mean()


@MODELS.register_module()
class CVTDiceLoss(nn.Module):
    """``1 - mean_b[2 mean_hw(p t) / (mean_hw(p^2 + t^2) + 1e-7)]`` for a soft
    mask ``p (B, 1, H, W)`` and a binary target ``t`` of the same shape."""

    def __init__(self, loss_weight: float = 1.0, eps: float = 1e-7):
        super().__init__()
        self.loss_weight = loss_weight
        self.eps = eps

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        inter = (pred * target).flatten(1).mean(1)
        denom = (pred.pow(2) + target.pow(2)).flatten(1).mean(1)
        return self.loss_weight * (1 - (2 * inter / (denom + self.eps)).mean())


@MODELS.register_module()
class DiscFeatureMatchingLoss(nn.Module):
    """Mean over discriminator blocks of ``mean|f_fake - f_real|``; the real
    features are detached."""

    def __init__(self, loss_weight: float = 0.1):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, fake: List[Tensor], real: List[Tensor]) -> Tensor:
        if len(fake) != len(real):
            raise ValueError(f'{len(fake)} fake vs {len(real)} real feature '
                             'maps')
        loss = sum(F.l1_loss(f, r.detach()) for f, r in zip(fake, real))
        return self.loss_weight * loss / len(fake)
