"""LPIPS (learned perceptual image patch similarity) with AlexNet, for the
metrics of several methods."""
from typing import Optional

import torchvision
from torch import Tensor, nn

from mmhuman_ext.utils.pretrained import load_state_dict_file


class LPIPSAlex(nn.Module):
    """LPIPS v0.1 with AlexNet (``lpips`` package; its linear heads ship with
    the package). The AlexNet backbone loads from ``backbone_ckpt``
    (torchvision ``alexnet-owt-7be5be79.pth``) or stays random.
    Inputs in [0, 1], ``(B, 3, H, W)`` -> ``(B,)``."""

    def __init__(self, backbone_ckpt: Optional[str] = None):
        super().__init__()
        import lpips
        self.net = lpips.LPIPS(net='alex', pretrained=True, pnet_rand=True,
                               verbose=False)
        if backbone_ckpt is not None:
            state = load_state_dict_file(
                backbone_ckpt, 'AlexNet (LPIPS backbone)',
                'download alexnet-owt-7be5be79.pth from '
                'https://download.pytorch.org/models/ and set its path')
            feats = torchvision.models.alexnet(weights=None).features
            feats.load_state_dict({k[len('features.'):]: v
                                   for k, v in state.items()
                                   if k.startswith('features.')})
            tgt = self.net.net
            for i, slice_ in enumerate([tgt.slice1, tgt.slice2, tgt.slice3,
                                        tgt.slice4, tgt.slice5]):
                for name, _ in slice_.named_children():
                    slice_._modules[name] = feats[int(name)]
        self.requires_grad_(False)
        self.eval()

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        return self.net(x, y, normalize=True).flatten(1).mean(1)
