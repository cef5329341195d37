"""MaskINT stage 2: structure-aware frame interpolation by masked token
modelling (Ma et al., CVPR 2024; thesis Ch. 5).

Trained on unlabeled clips: the colour tokens of the non-key frames are
partly replaced by [MASK] and predicted from the keyframes' colour tokens
and every frame's structure tokens (Eq. 5.5). At inference the non-key
frames start fully masked and are decoded by MaskGIT iterative decoding.

Inputs (``data['inputs']``, a dict batched by the data preprocessor):

====================  ==================  ===============================
key                   shape               meaning
====================  ==================  ===============================
``color_tokens``      (B, N, h, w) long   VQ tokens of the frames
``structure_tokens``  (B, N, h, w) long   VQ tokens of the structure maps
``frames``            (B, N, 3, H, W)     original frames in [-1, 1]
                                          (online path / evaluation only)
====================  ==================  ===============================

``data_samples`` is the dict of batched metadata (``video_id``,
``frame_inds``), passed through to the predictions.
"""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import Tensor

from mmhuman_ext.registry import MODELS

from .maskgit import check_num_steps, maskgit_decode, sample_training_mask

GivenFrames = Union[str, int, Sequence[int]]


def given_frame_mask(num_frames: int, given: GivenFrames,
                     batch_size: int = 1,
                     device: Optional[torch.device] = None) -> Tensor:
    """Keyframe mask ``(B, N)`` bool from a keyframe spec.

    ``'first_last'``: frames 0 and N-1; an int k: k frames evenly spaced,
    ``round(linspace(0, N-1, k))`` (k = 1: the first frame only); a sequence:
    those 0-based indices.
    """
    if given == 'first_last':
        inds = [0, num_frames - 1]
    elif isinstance(given, int):
        if not 1 <= given <= num_frames:
            raise ValueError(f'{given} keyframes for {num_frames} frames')
        inds = [0] if given == 1 else [
            round(i * (num_frames - 1) / (given - 1)) for i in range(given)
        ]
    else:
        inds = list(given)
        if any(not 0 <= i < num_frames for i in inds):
            raise ValueError(f'keyframe indices {inds} outside '
                             f'[0, {num_frames})')
    mask = torch.zeros(batch_size, num_frames, dtype=torch.bool,
                       device=device)
    mask[:, inds] = True
    return mask


@MODELS.register_module()
class MaskINT(BaseModel):
    """Args:
        transformer (dict): :class:`MaskINTTransformer`.
        data_preprocessor (dict, optional): ``MaskINTDataPreprocessor``; its
            ``tokenizer``, when set, also decodes predictions to frames.
        train_cfg (dict, optional): ``mask_schedule`` ('cosine'),
            ``given_frames`` ('first_last'), ``min_mask_ratio`` (0),
            ``label_smoothing`` (0).
        test_cfg (dict, optional): ``num_steps`` (32), ``choice_temperature``
            (4.5), ``sample_temperature`` (1), ``token_choice`` ('sample':
            draw each token from the softmax, as MaskGIT does; 'argmax':
            take the most likely token, reveal order unchanged),
            ``mask_schedule`` ('cosine'),
            ``given_frames`` ('first_last'), ``seed`` (0; the decoding of
            :meth:`predict` is seeded per batch).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 transformer: dict,
                 data_preprocessor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor or dict(
                type='MaskINTDataPreprocessor'),
            init_cfg=init_cfg)
        self.transformer = MODELS.build(transformer)
        self.mask_id = self.transformer.mask_id
        self.train_cfg = dict(mask_schedule='cosine',
                              given_frames='first_last', min_mask_ratio=0.,
                              label_smoothing=0.)
        self.train_cfg.update(train_cfg or {})
        self.test_cfg = dict(num_steps=32, choice_temperature=4.5,
                             sample_temperature=1., token_choice='sample',
                             mask_schedule='cosine',
                             given_frames='first_last', seed=0)
        self.test_cfg.update(test_cfg or {})
        check_num_steps(self.test_cfg['num_steps'], 'test_cfg.num_steps')

    @property
    def tokenizer(self):
        """The data preprocessor's VQ tokenizer, or None."""
        return getattr(self.data_preprocessor, 'tokenizer', None)

    def forward(self,
                inputs: Dict[str, Tensor],
                data_samples: Optional[dict] = None,
                mode: str = 'tensor'):
        """``'loss'``: :meth:`loss`; ``'predict'``: :meth:`predict`;
        ``'tensor'``: logits ``(P, M)`` of one decoding pass from fully
        masked non-key frames (``P`` = their token count)."""
        if mode == 'loss':
            return self.loss(inputs)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            color = inputs['color_tokens']
            unknown = self._unknown(color, self.test_cfg['given_frames'])
            return self.transformer(color.masked_fill(unknown, self.mask_id),
                                    inputs['structure_tokens'],
                                    query_mask=unknown)
        raise ValueError(f'unknown mode {mode!r}')

    @staticmethod
    def _unknown(color_tokens: Tensor, given: GivenFrames) -> Tensor:
        """``(B, N, h, w)`` bool: tokens of the non-key frames."""
        B, N, h, w = color_tokens.shape
        mask = given_frame_mask(N, given, B, color_tokens.device)
        return (~mask)[:, :, None, None].expand(B, N, h, w)

    def loss(self, inputs: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """Masked token modelling (Eq. 5.5): cross-entropy over the masked
        colour tokens only (mean over all of them in the batch); logits are
        computed only there.

        Returns ``loss_mtm`` and ``acc_masked`` (accuracy on masked tokens,
        no gradient)."""
        color = inputs['color_tokens']
        size = self.transformer.codebook_size
        for key in ('color_tokens', 'structure_tokens'):
            low, high = int(inputs[key].min()), int(inputs[key].max())
            if low < 0 or high >= size:
                raise ValueError(
                    f'{key} hold ids in [{low}, {high}]; the transformer has '
                    f'{size} codes (ids 0..{size - 1}). Tokens of another '
                    "codebook? Check the token cache against the config's "
                    'codebook_size and tokenizer.')
        cfg = self.train_cfg
        unknown = self._unknown(color, cfg['given_frames'])
        masked = sample_training_mask(
            unknown.flatten(1), cfg['mask_schedule'],
            cfg['min_mask_ratio']).view_as(unknown)
        logits = self.transformer(color.masked_fill(masked, self.mask_id),
                                  inputs['structure_tokens'],
                                  query_mask=masked)
        target = color[masked]
        loss = F.cross_entropy(logits.float(), target,
                               label_smoothing=cfg['label_smoothing'])
        with torch.no_grad():
            acc = (logits.argmax(-1) == target).float().mean()
        return dict(loss_mtm=loss, acc_masked=acc)

    @torch.no_grad()
    def interpolate(self,
                    color_tokens: Tensor,
                    structure_tokens: Tensor,
                    given: Tensor,
                    num_steps: Optional[int] = None,
                    generator: Optional[torch.Generator] = None) -> Tensor:
        """Generate the colour tokens of the non-key frames.

        Args:
            color_tokens (Tensor): ``(B, N, h, w)`` long; only the entries of
                keyframes are read.
            structure_tokens (Tensor): ``(B, N, h, w)`` long, every frame.
            given (Tensor): ``(B, N)`` bool, True = keyframe (kept as is).
            num_steps (int, optional): decoding passes K >= 1; None takes
                ``test_cfg['num_steps']``.
            generator (torch.Generator, optional): seeds the sampling; the
                same seed gives the same output.

        Returns:
            Tensor: ``(B, N, h, w)`` long; keyframe tokens are the inputs'.
        """
        B, N, h, w = color_tokens.shape
        if given.shape != (B, N):
            raise ValueError(f'given must be (B, N) = {(B, N)}, got '
                             f'{tuple(given.shape)}')
        cfg = self.test_cfg
        if num_steps is None:
            num_steps = cfg['num_steps']
        check_num_steps(num_steps, 'num_steps')
        unknown = (~given.to(color_tokens.device))[:, :, None, None].expand(
            B, N, h, w).reshape(B, -1)

        def logits_fn(tokens: Tensor, masked: Tensor) -> Tensor:
            return self.transformer(tokens.view(B, N, h, w),
                                    structure_tokens,
                                    query_mask=masked.view(B, N, h, w))

        tokens = maskgit_decode(
            logits_fn,
            color_tokens.reshape(B, -1),
            unknown,
            self.mask_id,
            num_steps=num_steps,
            choice_temperature=cfg['choice_temperature'],
            sample_temperature=cfg['sample_temperature'],
            schedule=cfg['mask_schedule'],
            generator=generator,
            token_choice=cfg['token_choice'])
        return tokens.view(B, N, h, w)

    def predict(self, inputs: Dict[str, Tensor],
                data_samples: Optional[dict] = None) -> List[dict]:
        """Decode the non-key frames from the keyframes of each clip.

        Per sample: ``pred_tokens (N, h, w)``, ``given (N,)``; with a
        tokenizer ``pred_frames (N, 3, H, W)`` and ``recon_frames`` (the VQ
        reconstruction of the input tokens, the upper bound) in [-1, 1];
        ``gt_frames`` when the inputs carry frames; and the sample's
        metadata."""
        color = inputs['color_tokens']
        B, N = color.shape[:2]
        given = given_frame_mask(N, self.test_cfg['given_frames'], B,
                                 color.device)
        generator = torch.Generator(color.device).manual_seed(
            self.test_cfg['seed'])
        tokens = self.interpolate(color, inputs['structure_tokens'], given,
                                  generator=generator)
        decoded = {}
        if self.tokenizer is not None:
            both = self.tokenizer.decode(torch.cat([tokens, color]).flatten(
                0, 1)).view(2 * B, N, *self._frame_shape(tokens))
            decoded = dict(pred_frames=both[:B], recon_frames=both[B:])
        results = []
        for i in range(B):
            res = dict(pred_tokens=tokens[i].cpu(), given=given[i].cpu())
            for key, value in decoded.items():
                res[key] = value[i].float().cpu()
            if 'frames' in inputs:
                res['gt_frames'] = inputs['frames'][i].float().cpu()
            for key, value in (data_samples or {}).items():
                res[key] = value[i]
            results.append(res)
        return results

    def _frame_shape(self, tokens: Tensor):
        f = self.tokenizer.downsample_factor
        return (3, tokens.shape[-2] * f, tokens.shape[-1] * f)

    def dummy_inputs(self, batch_size: int = 1) -> dict:
        """Random tokens of a 16-frame clip at the position table's grid,
        for ``forward(**dummy_inputs(b), mode='tensor')`` (one decoding
        pass)."""
        h, w = self.transformer.token_hw
        device = next(self.transformer.parameters()).device
        gen = torch.Generator().manual_seed(0)
        shape = (batch_size, 16, h, w)
        tokens = [
            torch.randint(self.transformer.codebook_size, shape,
                          generator=gen).to(device) for _ in range(2)
        ]
        return dict(inputs=dict(color_tokens=tokens[0],
                                structure_tokens=tokens[1]))

