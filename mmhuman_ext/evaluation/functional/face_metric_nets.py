"""Networks behind CVTHead's cross-identity metrics (thesis Table 4.2).

* :class:`ArcFaceEmbedder` (CSIM): ArcFace's improved ResNet ("iresnet") in
  the layout of insightface's ``arcface_torch`` (``backbone.pth`` of its
  model zoo, e.g. ``ms1mv3_arcface_r100_fp16``: IResNet-100, 512-d), so the
  released state dicts load as they are. The ``insightface`` pip package
  ships ONNX models and an ONNX runtime, not this PyTorch network, hence the
  architecture is written here.
* :class:`HyperIQA` (IQA): the HyperIQA hyper network (Su et al., CVPR 2020)
  in the layout of pyiqa's ``HyperNet`` (weights
  ``HyperIQA-resnet50-koniq10k-c96c41b1.pth``, a ``params`` dict), KonIQ
  scale (about 0-100 after the x100 of HyperIQA's own protocol is left to the
  metric). pyiqa itself is not used: its current release needs
  transformers >= 5 (the pinned mmagic stack needs 4.44), imports every
  metric's dependencies (timm, CLIP, ...) when imported, and builds its timm
  backbone with ImageNet weights downloaded at construction. The backbone
  here is torchvision's ResNet-50, whose parameter names equal timm's, so
  pyiqa's state dict loads unchanged (checked against pyiqa 0.1.16's
  ``HyperNet`` run outside the repository: all 355 tensors load, scores
  agree to 1e-8; ``docs/cvthead.md``).

Both load from local files only; None keeps random weights (tests only).
"""
from typing import List, Optional

import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS
from mmhuman_ext.utils.pretrained import load_state_dict_file

IRESNET_DEPTHS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3), 50: (3, 4, 14, 3),
                  100: (3, 13, 30, 3), 200: (6, 26, 60, 6)}


class IBasicBlock(nn.Module):
    """``BN -> conv3x3 -> BN -> PReLU -> conv3x3 (stride) -> BN`` plus the
    (projected) input."""

    def __init__(self, in_channels: int, channels: int, stride: int = 1):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels, eps=1e-5)
        self.conv1 = nn.Conv2d(in_channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels, eps=1e-5)
        self.prelu = nn.PReLU(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(channels, eps=1e-5)
        self.downsample = None
        if stride != 1 or in_channels != channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, channels, 1, stride, bias=False),
                nn.BatchNorm2d(channels, eps=1e-5))

    def forward(self, x: Tensor) -> Tensor:
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(
            self.bn1(x))))))
        return out + (x if self.downsample is None else self.downsample(x))


@MODELS.register_module()
class ArcFaceEmbedder(nn.Module):
    """IResNet face embedding (frozen): ``embed([-1, 1] images (B, 3, H, W))
    -> (B, num_features)``, images resized to 112 x 112 (insightface's input
    normalisation ``(x/255 - 0.5) / 0.5`` is the [-1, 1] range itself).

    Args:
        depth (int): 18, 34, 50, 100 (the default) or 200.
        num_features (int): Embedding size (512).
        ckpt (str, optional): ``backbone.pth`` of arcface_torch.
    """

    def __init__(self, depth: int = 100, num_features: int = 512,
                 ckpt: Optional[str] = None):
        super().__init__()
        if depth not in IRESNET_DEPTHS:
            raise ValueError(f'IResNet depth must be one of '
                             f'{sorted(IRESNET_DEPTHS)}, got {depth}')
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64, eps=1e-5)
        self.prelu = nn.PReLU(64)
        width = 64
        for i, (channels, blocks) in enumerate(
                zip((64, 128, 256, 512), IRESNET_DEPTHS[depth])):
            layer = [IBasicBlock(width, channels, 2)]
            layer += [IBasicBlock(channels, channels)
                      for _ in range(blocks - 1)]
            setattr(self, f'layer{i + 1}', nn.Sequential(*layer))
            width = channels
        self.bn2 = nn.BatchNorm2d(512, eps=1e-5)
        self.dropout = nn.Dropout(0.0)
        self.fc = nn.Linear(512 * 7 * 7, num_features)
        self.features = nn.BatchNorm1d(num_features, eps=1e-5)
        if ckpt is not None:
            self.load_state_dict(load_state_dict_file(
                ckpt, 'ArcFace IResNet',
                'get backbone.pth of an arcface_torch model (insightface '
                'model zoo, e.g. ms1mv3_arcface_r100_fp16; non-commercial '
                'research licence) and set its path'))
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True):
        return super().train(False)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, 3, 112, 112)`` normalised to [-1, 1] -> ``(B, F)``."""
        x = self.prelu(self.bn1(self.conv1(x)))
        for i in range(1, 5):
            x = getattr(self, f'layer{i}')(x)
        x = self.dropout(torch.flatten(self.bn2(x), 1))
        return self.features(self.fc(x))

    @torch.no_grad()
    def embed(self, x: Tensor) -> Tensor:
        """[-1, 1] RGB images of any size -> ``(B, F)``."""
        if x.shape[-2:] != (112, 112):
            x = F.interpolate(x, size=(112, 112), mode='bilinear',
                              align_corners=False)
        return self(x)


@MODELS.register_module()
class HyperIQA(nn.Module):
    """HyperIQA (frozen): ``score([0, 1] images (B, 3, H, W)) -> (B,)``, the
    mean over ``num_crops`` 224 x 224 crops on a uniform grid (images with a
    side <= 224 are first upscaled so the short side is 225, as pyiqa does).

    Args:
        ckpt (str, optional): pyiqa's ``HyperIQA-resnet50-koniq10k-*.pth``.
        num_crops (int): Crops per image (25 in pyiqa; HyperIQA's own test
            protocol averages random crops).
    """
    LDA_OUT = 16
    HYPER_IN = 112
    TARGET_IN = 224
    FC_CHANNELS = (112, 56, 28, 14, 1)
    FEATURE_SIZE = 7

    def __init__(self, ckpt: Optional[str] = None, num_crops: int = 25):
        super().__init__()
        self.num_crops = num_crops
        net = torchvision.models.resnet50(weights=None)
        del net.fc, net.avgpool
        self.base_model = net
        lda = self.LDA_OUT
        self.lda_modules = nn.ModuleList([
            nn.Sequential(nn.Conv2d(256, 16, 1, bias=False),
                          nn.AvgPool2d(7, 7), nn.Flatten(),
                          nn.Linear(16 * 64, lda)),
            nn.Sequential(nn.Conv2d(512, 32, 1, bias=False),
                          nn.AvgPool2d(7, 7), nn.Flatten(),
                          nn.Linear(32 * 16, lda)),
            nn.Sequential(nn.Conv2d(1024, 64, 1, bias=False),
                          nn.AvgPool2d(7, 7), nn.Flatten(),
                          nn.Linear(64 * 4, lda)),
            nn.Sequential(nn.AvgPool2d(7, 7), nn.Flatten(),
                          nn.Linear(2048, self.TARGET_IN - 3 * lda)),
        ])
        fc, area = self.FC_CHANNELS, self.FEATURE_SIZE**2
        ins = (self.TARGET_IN, ) + fc[:3]
        self.fc_w_modules = nn.ModuleList(
            [nn.Conv2d(self.HYPER_IN, ins[i] * fc[i] // area, 3, padding=1)
             for i in range(4)] +
            [nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                           nn.Linear(self.HYPER_IN, fc[3]))])
        self.fc_b_modules = nn.ModuleList([
            nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(self.HYPER_IN, fc[i])) for i in range(5)
        ])
        self.conv1 = nn.Sequential(
            nn.Conv2d(2048, 1024, 1), nn.ReLU(inplace=True),
            nn.Conv2d(1024, 512, 1), nn.ReLU(inplace=True),
            nn.Conv2d(512, self.HYPER_IN, 1), nn.ReLU(inplace=True))
        self.register_buffer('mean', torch.tensor(
            [0.485, 0.456, 0.406]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(
            [0.229, 0.224, 0.225]).view(1, 3, 1, 1), persistent=False)
        if ckpt is not None:
            self.load_state_dict(load_state_dict_file(
                ckpt, 'HyperIQA',
                "get pyiqa's HyperIQA-resnet50-koniq10k-c96c41b1.pth (its "
                'GitHub release assets) and set its path'))
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True):
        return super().train(False)

    def _stages(self, x: Tensor) -> List[Tensor]:
        net = self.base_model
        x = net.maxpool(net.relu(net.bn1(net.conv1(x))))
        feats = []
        for layer in (net.layer1, net.layer2, net.layer3, net.layer4):
            x = layer(x)
            feats.append(x)
        return feats

    def forward_patch(self, x: Tensor) -> Tensor:
        """Scores of 224 x 224 patches in [0, 1]: ``(B, 3, 224, 224) ->
        (B,)``."""
        feats = self._stages((x - self.mean) / self.std)
        target_in = torch.cat([m(f) for m, f in zip(self.lda_modules, feats)],
                              dim=1)
        hyper = self.conv1(feats[-1])
        b = hyper.shape[0]
        out = target_in[:, None]  # (B, 1, 224)
        for i in range(5):
            w = self.fc_w_modules[i](hyper).reshape(b, self.FC_CHANNELS[i],
                                                    -1)
            out = out @ w.transpose(1, 2) + self.fc_b_modules[i](hyper)[:,
                                                                         None]
            if i < 4:
                out = torch.sigmoid(out)
        return out.reshape(b)

    @torch.no_grad()
    def score(self, x: Tensor) -> Tensor:
        """[0, 1] images ``(B, 3, H, W)`` -> quality ``(B,)``."""
        size = 224
        if min(x.shape[-2:]) <= size:
            x = F.interpolate(x, scale_factor=(size + 1) / min(x.shape[-2:]),
                              mode='bilinear')
        h, w = x.shape[-2:]
        n = int(self.num_crops**0.5)
        step_h, step_w = (h - size) // n, (w - size) // n
        crops = [x[..., i * step_h:i * step_h + size,
                   j * step_w:j * step_w + size]
                 for i in range(n) for j in range(n)]
        scores = self.forward_patch(torch.cat(crops, 0))
        return scores.reshape(len(crops), x.shape[0]).mean(0)
