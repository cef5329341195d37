"""Frozen 2D image tokenizers for MaskINT: frames <-> token maps.

Both classes share one interface: ``encode(frames (N, 3, H, W) in [-1, 1])
-> (N, H/f, W/f)`` long and ``decode(tokens) -> (N, 3, H, W)`` in [-1, 1],
``codebook_size`` (M) and ``downsample_factor`` (f = 8). They are always in
eval mode and never require gradients.

* :class:`VQGANTokenizer` wraps a diffusers ``VQModel`` (the paper's
  off-the-shelf f8 VQ; Kandinsky 2.2's MoVQ with 16,384 codes and the
  LDM / taming ``vq-f8`` load natively from a local folder).
* :class:`PatchVQTokenizer` is a pixel-space VQ whose codebook holds 8 x 8
  RGB patches fitted by k-means (:func:`fit_patch_codebook`); the CPU demo
  uses it because a random-weight ``VQModel`` cannot reconstruct frames
  (``docs/maskint.md``, "Demo").
"""
import io
import os.path as osp
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS
from mmhuman_ext.utils.atomic_io import atomic_write_bytes
from mmhuman_ext.utils.pretrained import (require_pretrained_dir,
                                          require_pretrained_file)
from .codebook import codebook_identity

VQ_FOLDER_CONTENTS = (
    'a diffusers VQModel with 8x downsampling (config.json and '
    'diffusion_pytorch_model.safetensors), e.g. the "movq" folder of '
    'kandinsky-community/kandinsky-2-2-decoder (16,384 codes) or the LDM '
    'vq-f8 converted to diffusers')


class _FrozenTokenizer(nn.Module):
    """Eval mode always, no gradients; ``encode`` / ``decode`` in chunks of
    ``chunk_size`` frames."""

    codebook_size: int
    downsample_factor: int

    def __init__(self, chunk_size: int = 16):
        super().__init__()
        self.chunk_size = chunk_size

    def _freeze(self) -> None:
        self.eval()
        for p in self.parameters():
            p.requires_grad_(False)

    def train(self, mode: bool = True) -> '_FrozenTokenizer':
        return super().train(False)

    @property
    def codebook_identity(self) -> str:
        """Size and hash of the codebook table
        (:func:`~.codebook.codebook_identity`)."""
        return codebook_identity(self._codebook_table())

    def _check_frames(self, frames: Tensor) -> None:
        f = self.downsample_factor
        if frames.dim() != 4 or frames.shape[1] != 3:
            raise ValueError(f'{type(self).__name__}.encode expects frames '
                             f'(N, 3, H, W) in [-1, 1], got '
                             f'{tuple(frames.shape)}')
        if frames.shape[2] % f or frames.shape[3] % f:
            raise ValueError(
                f'frame size {tuple(frames.shape[2:])} is not divisible by '
                f'the tokenizer downsampling factor {f}; resize the video '
                f'to a multiple of {f}')

    @torch.no_grad()
    def encode(self, frames: Tensor) -> Tensor:
        """``(N, 3, H, W)`` in [-1, 1] -> ``(N, H/f, W/f)`` long."""
        self._check_frames(frames)
        return torch.cat([
            self._encode(c) for c in frames.split(self.chunk_size)
        ]) if len(frames) else frames.new_zeros(
            0, frames.shape[2] // self.downsample_factor,
            frames.shape[3] // self.downsample_factor, dtype=torch.long)

    @torch.no_grad()
    def decode(self, tokens: Tensor) -> Tensor:
        """``(N, h, w)`` long -> ``(N, 3, h f, w f)`` in [-1, 1]."""
        if tokens.dim() != 3:
            raise ValueError(f'decode expects tokens (N, h, w), got '
                             f'{tuple(tokens.shape)}')
        if len(tokens) and (tokens.min() < 0
                            or tokens.max() >= self.codebook_size):
            raise ValueError(f'token ids must lie in [0, '
                             f'{self.codebook_size}), got '
                             f'[{int(tokens.min())}, {int(tokens.max())}]')
        return torch.cat([
            self._decode(c).clamp(-1, 1) for c in tokens.split(
                self.chunk_size)
        ])


@MODELS.register_module()
class VQGANTokenizer(_FrozenTokenizer):
    """A frozen diffusers ``VQModel``.

    Args:
        vq (dict): ``dict(from_pretrained=FOLDER, subfolder=None)`` loads a
            local diffusers folder (Kandinsky MoVQ: ``subfolder='movq'``);
            any other keys build a ``VQModel(**vq)`` with random weights
            (tests, timing). A ``type`` key is ignored.
        chunk_size (int): frames per encoder / decoder call.
    """

    def __init__(self, vq: dict, chunk_size: int = 16):
        super().__init__(chunk_size)
        from diffusers import VQModel
        vq = {k: v for k, v in vq.items() if k != 'type'}
        if 'from_pretrained' in vq:
            folder = require_pretrained_dir(
                vq['from_pretrained'], 'MaskINT VQ tokenizer',
                VQ_FOLDER_CONTENTS, vq.get('subfolder'), ('config.json', ))
            self.vq = VQModel.from_pretrained(folder)
        else:
            self.vq = VQModel(**vq)
        cfg = self.vq.config
        self.codebook_size = cfg.num_vq_embeddings
        self.downsample_factor = 2**(len(cfg.block_out_channels) - 1)
        if self.downsample_factor != 8:
            raise ValueError(
                f'MaskINT needs an 8x-downsampling VQ; this VQModel has '
                f'{len(cfg.block_out_channels)} encoder blocks, i.e. '
                f'{self.downsample_factor}x')
        self._freeze()

    def _encode(self, frames: Tensor) -> Tensor:
        latents = self.vq.encode(frames.to(self.vq.dtype)).latents
        indices = self.vq.quantize(latents)[2][2]
        return indices.view(latents.shape[0], *latents.shape[-2:])

    def _codebook_table(self) -> Tensor:
        return self.vq.quantize.embedding.weight

    def _decode(self, tokens: Tensor) -> Tensor:
        n, h, w = tokens.shape
        shape = (n, h, w, self.vq.quantize.vq_embed_dim)
        if self.vq.config.lookup_from_codebook:
            return self.vq.decode(tokens.flatten(), force_not_quantize=True,
                                  shape=shape).sample
        quant = self.vq.quantize.get_codebook_entry(tokens.flatten(), shape)
        return self.vq.decode(quant, force_not_quantize=True).sample


@MODELS.register_module()
class PatchVQTokenizer(_FrozenTokenizer):
    """Pixel-space VQ: each 8 x 8 RGB patch becomes the id of its nearest
    codebook patch (L2); decoding tiles the codebook patches.

    Args:
        codebook (str): ``.npz`` written by :func:`save_patch_codebook`
            (``codebook``: float32 ``(M, 3, 8, 8)`` in [-1, 1]).
        chunk_size (int): frames per call.
    """
    downsample_factor = 8

    def __init__(self, codebook: str, chunk_size: int = 16):
        super().__init__(chunk_size)
        require_pretrained_file(
            codebook, 'MaskINT patch VQ codebook',
            'the .npz written by the demo (tools/dataset_converters/'
            'maskint_precompute_tokens.py --fit-patch-codebook)')
        with np.load(codebook, allow_pickle=False) as data:
            if 'codebook' not in data:
                raise KeyError(f'{codebook} has no "codebook" array '
                               '(expected float32 (M, 3, 8, 8))')
            table = torch.from_numpy(data['codebook']).float()
        if table.dim() != 4 or tuple(table.shape[1:]) != (3, 8, 8):
            raise ValueError(f'{codebook}: "codebook" must be (M, 3, 8, 8), '
                             f'got {tuple(table.shape)}')
        self.register_buffer('codebook', table.flatten(1))
        self.codebook_size = len(table)
        self._freeze()

    def _encode(self, frames: Tensor) -> Tensor:
        n, _, H, W = frames.shape
        patches = F.unfold(frames.float(), 8, stride=8).transpose(1, 2)
        dist = torch.cdist(patches, self.codebook[None].expand(n, -1, -1))
        return dist.argmin(-1).view(n, H // 8, W // 8)

    def _codebook_table(self) -> Tensor:
        return self.codebook

    def _decode(self, tokens: Tensor) -> Tensor:
        n, h, w = tokens.shape
        patches = self.codebook[tokens.flatten(1)].transpose(1, 2)
        return F.fold(patches, (h * 8, w * 8), 8, stride=8)


def fit_patch_codebook(frames: Tensor,
                       num_codes: int,
                       iters: int = 20,
                       max_patches: int = 200000,
                       seed: int = 0) -> Tensor:
    """k-means over the 8 x 8 patches of ``frames (N, 3, H, W)`` in
    [-1, 1] (a random subset of ``max_patches``); returns ``(num_codes, 3,
    8, 8)``. Starts from distinct random patches; an empty cluster keeps its
    centre."""
    patches = F.unfold(frames.float(), 8, stride=8).transpose(1, 2).reshape(
        -1, 192)
    gen = torch.Generator().manual_seed(seed)
    if len(patches) > max_patches:
        patches = patches[torch.randperm(len(patches),
                                         generator=gen)[:max_patches]]
    unique = torch.unique(patches, dim=0)
    if len(unique) < num_codes:
        raise ValueError(f'{len(unique)} distinct patches cannot fill '
                         f'{num_codes} codes')
    centres = unique[torch.randperm(len(unique), generator=gen)[:num_codes]]
    for _ in range(iters):
        assign = torch.cat([
            torch.cdist(c, centres).argmin(1) for c in patches.split(65536)
        ])
        sums = torch.zeros_like(centres).index_add_(0, assign, patches)
        counts = torch.bincount(assign, minlength=num_codes)
        filled = counts > 0
        centres[filled] = sums[filled] / counts[filled, None]
    return centres.view(num_codes, 3, 8, 8)


def save_patch_codebook(codebook: Tensor, path: str) -> None:
    """Write ``codebook (M, 3, 8, 8)`` atomically as ``.npz``."""
    buf = io.BytesIO()
    np.savez(buf, codebook=codebook.float().numpy())
    atomic_write_bytes(osp.abspath(path), buf.getvalue())

