"""VGG-19 features from a local torchvision state dict (the one VGG of the
project: CVTHead's perceptual loss and ORFNT's perceptual and
perceptual-correctness losses use it).

mmagic's ``PerceptualVGG`` builds ``vgg19(pretrained=True)``, which
downloads; here the torchvision ``features`` stack is built without weights
and filled from a local ``vgg19-dcbb9e9d.pth`` (or left random, for tests).
"""
import warnings
from typing import Dict, Optional, Sequence

import torch
import torchvision
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
VGG19_WHERE = ('download vgg19-dcbb9e9d.pth from '
               'https://download.pytorch.org/models/ and set its path')
# torchvision vgg19().features indices of the ReLU outputs
VGG19_RELU_INDEX = dict(
    relu1_1=1, relu1_2=3, relu2_1=6, relu2_2=8, relu3_1=11, relu3_2=13,
    relu3_3=15, relu3_4=17, relu4_1=20, relu4_2=22, relu4_3=24, relu4_4=26,
    relu5_1=29, relu5_2=31, relu5_3=33, relu5_4=35)


def build_vgg19_features(weights_path: Optional[str] = None,
                         last_index: int = 29) -> nn.Sequential:
    """torchvision ``vgg19().features[:last_index + 1]``, weights from the
    local state dict ``weights_path`` (keys ``features.*``; loaded without
    running code) or random when None. ``features[last_index]`` must be a
    ReLU."""
    features = torchvision.models.vgg.make_layers(
        torchvision.models.vgg.cfgs['E'], batch_norm=False)
    if weights_path is not None:
        from mmhuman_ext.utils.checkpoint import load_checkpoint_file
        from mmhuman_ext.utils.pretrained import require_pretrained_file
        require_pretrained_file(weights_path, 'VGG-19',
                                f'torchvision weights ({VGG19_WHERE})')
        state = load_checkpoint_file(weights_path, map_location='cpu')
        state = state.get('state_dict', state)
        features.load_state_dict({
            k[len('features.'):]: v
            for k, v in state.items() if k.startswith('features.')
        })
    if not isinstance(features[last_index], nn.ReLU):
        raise ValueError(f'vgg19.features[{last_index}] is not a ReLU')
    return features[:last_index + 1]


@MODELS.register_module()
class VGG19FeatureExtractor(nn.Module):
    """Frozen VGG-19 features by layer name, always in eval mode.

    Args:
        weights_path (str, optional): local torchvision VGG-19 state dict;
            None builds random weights (tests, demos) with a warning.
        layers (Sequence[str]): ReLU outputs to return (names in
            ``VGG19_RELU_INDEX``; default relu1_1 .. relu5_1).

    ``forward(x)`` takes images in [-1, 1] ``(B, 3, H, W)``, maps them to
    [0, 1], ImageNet-normalises them and returns ``{name: (B, C, h, w)}``.
    """

    def __init__(self, weights_path: Optional[str] = None,
                 layers: Sequence[str] = ('relu1_1', 'relu2_1', 'relu3_1',
                                          'relu4_1', 'relu5_1')):
        super().__init__()
        unknown = [n for n in layers if n not in VGG19_RELU_INDEX]
        if unknown:
            raise ValueError(f'unknown VGG-19 layers {unknown}; choose from '
                             f'{list(VGG19_RELU_INDEX)}')
        if weights_path is None:
            warnings.warn('VGG19FeatureExtractor: weights_path is None, '
                          'using random weights (tests and demos only)')
        self.layers = {VGG19_RELU_INDEX[n]: n for n in layers}
        self.features = build_vgg19_features(weights_path, max(self.layers))
        self.register_buffer('mean', torch.tensor(IMAGENET_MEAN).view(
            1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(IMAGENET_STD).view(
            1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True):
        return super().train(False)

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        x = ((x + 1) / 2 - self.mean) / self.std
        out = {}
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.layers:
                out[self.layers[i]] = x
        return out
