"""ROME's linear hair and shoulder deformation ``f_H`` (CVTHead Eq. 4.3).

FLAME models the face and skull only. ROME adds a linear per-vertex offset
model for hair and shoulders, and CVTHead reuses it frozen: a ResNet-50
predicts ``beta (B, 60)`` from the source image and every vertex moves by
``deform_mean + deform_basis . beta``. The same source offsets go onto the
posed source and driving vertices (world units, after skinning, before the
projection), so the driving mesh keeps the source's hair.

Files (ROME / the CVTHead repository; research-only licence, see
``docs/cvthead.md``), each read without running code
(``torch.load(weights_only=True)``):

==================  ===================  =====================================
file                content              shape
==================  ===================  =====================================
``linear_hair.pth``  torchvision ResNet-50 ``fc``: Linear 2048 -> 60
                    state dict
``mean_deform.pt``  tensor               ``(V, 3)``
``u_full.pt``       tensor               ``(3V, 60)``, rows ``v * 3 + xyz``
==================  ===================  =====================================

The built-in synthetic heads ship stand-ins of the three files in the same
formats (written by the data generator).
"""
import os.path as osp
from typing import Optional

import torch
import torchvision
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS

_WHERE = ("ROME's linear deformation model: linear_hair.pth (ROME release, "
          'SamsungLabs/rome) and mean_deform.pt / u_full.pt (data/ of '
          'HowieMa/CVTHead); for the built-in heads run '
          '`python tools/dataset_converters/make_synthetic_heads.py`')


def _load_tensor_file(path: str, what: str):
    from mmhuman_ext.utils.checkpoint import load_checkpoint_file
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} file {path} not found; get {_WHERE}')
    # the released u_full.pt was saved from a GPU
    return load_checkpoint_file(path, map_location='cpu')


@MODELS.register_module()
class LinearHairDeformer(nn.Module):
    """Frozen ``f_H``: image ``(B, 3, H, W)`` in [-1, 1] (fed as is, no
    ImageNet normalisation, like the official model) -> vertex offsets
    ``(B, V, 3)``.

    Args:
        net_ckpt (str, optional): ``linear_hair.pth``.
        mean_path (str, optional): ``mean_deform.pt``.
        basis_path (str, optional): ``u_full.pt``.
        num_vertices (int, optional): ``V``; needed only when ``mean_path``
            and ``basis_path`` are both None (the buffers then start at zero
            and come from a checkpoint, e.g. a converted ``cvthead.pt``).
        num_coeffs (int): Number of deformation coefficients (60).

    Buffers ``deform_mean (V, 3)`` and ``deform_basis (V, 3, num_coeffs)``
    and the network's weights are part of the state dict (as in the official
    checkpoint); nothing here is trainable.
    """

    def __init__(self, net_ckpt: Optional[str] = None,
                 mean_path: Optional[str] = None,
                 basis_path: Optional[str] = None,
                 num_vertices: Optional[int] = None, num_coeffs: int = 60):
        super().__init__()
        self.net = torchvision.models.resnet50(weights=None)
        self.net.fc = nn.Linear(2048, num_coeffs)
        if net_ckpt is not None:
            state = _load_tensor_file(net_ckpt, 'hair deformation network')
            state = state.get('state_dict', state) if isinstance(
                state, dict) else state
            if not isinstance(state, dict):
                raise ValueError(f'{net_ckpt}: expected a ResNet-50 state '
                                 f'dict, got {type(state).__name__}')
            try:
                missing, unexpected = self.net.load_state_dict(state,
                                                               strict=False)
            except RuntimeError as exc:  # shape mismatch
                raise ValueError(f'{net_ckpt}: {exc}') from None
            if missing or unexpected:
                raise KeyError(
                    f'{net_ckpt}: not a ResNet-50 with a 2048->{num_coeffs} '
                    f'fc (missing {missing[:3]}, unexpected '
                    f'{unexpected[:3]})')
        mean = basis = None
        if mean_path is not None:
            mean = _load_tensor_file(mean_path, 'hair deformation mean')
            if not isinstance(mean, Tensor) or mean.ndim != 2 or \
                    mean.shape[1] != 3:
                raise ValueError(f'{mean_path}: expected a (V, 3) tensor, '
                                 f'got {getattr(mean, "shape", type(mean))}')
            num_vertices = mean.shape[0]
        if basis_path is not None:
            basis = _load_tensor_file(basis_path, 'hair deformation basis')
            if not isinstance(basis, Tensor) or basis.ndim != 2 or \
                    basis.shape[1] != num_coeffs or basis.shape[0] % 3:
                raise ValueError(
                    f'{basis_path}: expected a (3V, {num_coeffs}) tensor, got '
                    f'{tuple(getattr(basis, "shape", ()))}')
            if num_vertices is not None and basis.shape[0] != 3 * \
                    num_vertices:
                raise ValueError(
                    f'{basis_path}: {basis.shape[0]} rows, expected 3 x '
                    f'{num_vertices} (the vertices of {mean_path})')
            num_vertices = basis.shape[0] // 3
            basis = basis.reshape(num_vertices, 3, num_coeffs)
        if num_vertices is None:
            raise ValueError('LinearHairDeformer: give mean_path / basis_path '
                             'or num_vertices')
        self.register_buffer('deform_mean', (
            mean if mean is not None else torch.zeros(num_vertices, 3)
        ).float().contiguous())
        self.register_buffer('deform_basis', (
            basis if basis is not None else torch.zeros(
                num_vertices, 3, num_coeffs)).float().contiguous())
        self.requires_grad_(False)
        self.eval()

    @property
    def num_vertices(self) -> int:
        return self.deform_mean.shape[0]

    def train(self, mode: bool = True):
        """Always in eval mode (frozen batch-norm statistics)."""
        return super().train(False)

    @torch.no_grad()
    def coefficients(self, img: Tensor) -> Tensor:
        """``beta (B, num_coeffs)`` of images ``(B, 3, H, W)`` in [-1, 1]."""
        return self.net(img)

    @torch.no_grad()
    def forward(self, img: Tensor) -> Tensor:
        """Offsets ``deform_mean + deform_basis . beta``: ``(B, V, 3)``."""
        beta = self.coefficients(img)
        return self.deform_mean + torch.einsum('bl,vkl->bvk', beta,
                                               self.deform_basis)
