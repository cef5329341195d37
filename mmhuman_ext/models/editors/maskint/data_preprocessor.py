"""Batch MaskINT inputs: precomputed tokens, or frames tokenised online."""
from typing import Optional

import torch
from mmengine.model import BaseDataPreprocessor
from torch import Tensor

from mmhuman_ext.registry import MODELS
from .codebook import check_codebook_identity


@MODELS.register_module()
class MaskINTDataPreprocessor(BaseDataPreprocessor):
    """Move a batch to the device and make sure it carries tokens.

    Batched ``inputs`` (``default_collate``) may hold:

    * ``color_tokens`` / ``structure_tokens`` ``(B, N, h, w)`` integer: used
      as they are (offline token cache);
    * ``frames`` ``(B, N, 3, H, W)`` uint8 RGB: scaled to [-1, 1] (kept in
      the output as ``frames`` for evaluation) and, when tokens are absent,
      encoded by ``tokenizer``;
    * ``structure_maps`` ``(B, N, 1, H, W)`` uint8: precomputed structure
      maps (e.g. HED PNGs); without them ``structure_detector`` computes
      the maps from the frames.

    Structure maps in [0, 1] are repeated to 3 channels and scaled to
    [-1, 1] before the same tokenizer encodes them. Everything here runs
    without gradient.

    Args:
        tokenizer (dict, optional): ``VQGANTokenizer`` /
            ``PatchVQTokenizer``; needed for the online path and to decode
            predictions.
        structure_detector (dict, optional): e.g. ``HEDEdgeDetector``,
            ``CannyEdgeDetector``: ``frames (B, 3, H, W)`` in [0, 1] ->
            ``(B, 1, H, W)`` in [0, 1].
    """

    def __init__(self,
                 tokenizer: Optional[dict] = None,
                 structure_detector: Optional[dict] = None,
                 non_blocking: bool = False):
        super().__init__(non_blocking)
        self.tokenizer = MODELS.build(tokenizer) if tokenizer else None
        self.structure_detector = MODELS.build(
            structure_detector) if structure_detector else None

    def _require(self, name: str, missing: str):
        part = getattr(self, name)
        if part is None:
            raise ValueError(
                f'the batch has no {missing}; set `{name}` in the '
                'MaskINTDataPreprocessor config to compute it online, or '
                'train from the token cache '
                '(tools/dataset_converters/maskint_precompute_tokens.py)')
        return part

    def encode_images(self, images: Tensor) -> Tensor:
        """``(B, N, 3, H, W)`` in [-1, 1] -> ``(B, N, h, w)`` tokens."""
        tokenizer = self._require('tokenizer', 'tokens')
        B, N = images.shape[:2]
        tokens = tokenizer.encode(images.flatten(0, 1))
        return tokens.view(B, N, *tokens.shape[-2:])

    def structure_tokens(self, frames: Tensor,
                         maps: Optional[Tensor] = None) -> Tensor:
        """Structure tokens ``(B, N, h, w)`` of ``frames (B, N, 3, H, W)``
        in [-1, 1], from ``maps (B, N, 1, H, W)`` in [0, 1] when given."""
        if maps is None:
            detector = self._require('structure_detector',
                                     'structure tokens nor structure maps')
            B, N = frames.shape[:2]
            maps = detector((frames.flatten(0, 1) + 1) / 2).view(
                B, N, 1, *frames.shape[-2:])
        return self.encode_images(
            maps.float().expand(-1, -1, 3, -1, -1) * 2 - 1)

    @torch.no_grad()
    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = dict(data['inputs'])
        if 'frames' in inputs:
            inputs['frames'] = inputs['frames'].float() / 127.5 - 1
        if 'color_tokens' not in inputs:
            if 'frames' not in inputs:
                raise ValueError('MaskINT batch needs color_tokens or frames, '
                                 f'got keys {sorted(inputs)}')
            inputs['color_tokens'] = self.encode_images(inputs['frames'])
        if 'structure_tokens' not in inputs:
            maps = inputs.pop('structure_maps', None)
            if maps is not None:
                maps = maps.float() / 255
            if 'frames' not in inputs and maps is None:
                raise ValueError('MaskINT batch needs structure_tokens, '
                                 'structure_maps or frames, got keys '
                                 f'{sorted(inputs)}')
            inputs['structure_tokens'] = self.structure_tokens(
                inputs.get('frames'), maps)
        inputs.pop('structure_maps', None)
        for key in ('color_tokens', 'structure_tokens'):
            inputs[key] = inputs[key].long()
        self._check_token_cache(data.get('data_samples'))
        return dict(inputs=inputs, data_samples=data.get('data_samples'))

    def _check_token_cache(self, samples) -> None:
        """Tokens read from the cache (``LoadTokenClip`` puts the codebook
        identity they record into ``samples['codebook']``) must come from
        this tokenizer's codebook."""
        if self.tokenizer is None or not isinstance(
                samples, dict) or 'codebook' not in samples:
            return
        expected = self.tokenizer.codebook_identity
        for found, video in zip(samples['codebook'], samples['video_id']):
            check_codebook_identity(
                found or None, expected,
                f'the token cache of video {video!r}', "the model's tokenizer",
                'write the cache with this config: tools/dataset_converters/'
                'maskint_precompute_tokens.py CONFIG --overwrite')
