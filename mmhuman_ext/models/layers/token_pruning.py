"""Human Token Identification (HTI) and a transformer that prunes with it.

PPT (Ma et al., ECCV 2022; dissertation ch. 3, Eq. 3.2) keeps, inside some
encoder layers, only the visual tokens that the keypoint tokens attend to
most. :class:`HumanTokenIdentification` is that step on its own (no
parameters): given the token sequence ``[keypoint tokens; visual tokens]``
and the keypoint queries' attention, it keeps the top ``ceil(r * N)`` visual
tokens and gathers any per-token tensors (position tables) with them.
:class:`PPTTransformer` runs a stack of *prunable layers* (protocol in
:mod:`~mmhuman_ext.models.layers.transformer_layers`) and calls HTI inside
the layers listed in ``prune_layers``, between attention and FFN, with that
layer's own attention. Any other encoder whose layers expose the attention
rows of its leading query tokens can call HTI the same way.

Choices (spec Part G, official PPT code):

* score of visual token n: ``a_n = sum_j mean_h A_h[j, J + n]``;
* kept count ``K = ceil(r * N_cur)`` with ``N_cur`` the tokens present now,
  so r = 0.7 gives 256 -> 180 -> 126 -> 89 (the paper's 88 is r^3 N);
* kept tokens are ordered by descending score (``topk`` order), no gradient
  flows through the choice; keypoint tokens are always kept, in front;
* ``r = 1`` skips the step (and the attention rows are not computed), so
  the model is exactly TokenPose.
"""
import math
from typing import List, NamedTuple, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule, ModuleList
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS


def check_keep_ratio(keep_ratio: float) -> float:
    """Return ``keep_ratio`` as float; raise unless ``0 < keep_ratio <= 1``."""
    if isinstance(keep_ratio, bool) or not isinstance(keep_ratio,
                                                      (int, float)):
        raise TypeError(f'keep_ratio must be a number in (0, 1], got '
                        f'{keep_ratio!r}')
    if not 0 < keep_ratio <= 1:
        raise ValueError(f'keep_ratio must be in (0, 1] (the fraction of '
                         f'visual tokens each pruning step keeps), got '
                         f'{keep_ratio}')
    return float(keep_ratio)


def num_kept_tokens(num_tokens: int, keep_ratio: float) -> int:
    """``ceil(num_tokens * keep_ratio)``, the HTI rounding rule."""
    return math.ceil(num_tokens * keep_ratio)


def _gather_tokens(t: Tensor, index: Tensor) -> Tensor:
    """``t`` ``(B or 1, N, C)``, ``index`` ``(B, K)`` -> ``(B, K, C)``."""
    t = t.expand(index.shape[0], -1, -1)
    return torch.gather(t, 1, index.unsqueeze(-1).expand(-1, -1, t.shape[-1]))


@MODELS.register_module()
class HumanTokenIdentification(nn.Module):
    """Keep the visual tokens that the keypoint tokens attend to most.

    Args:
        keep_ratio (float): r in (0, 1]; 1 disables pruning. It is an
            attribute, so a schedule (``KeepRatioScheduleHook``) can change
            it during training.

    Call ``hti(x, keypoint_attn, aligned)``:

    * ``x`` ``(B, J + N, C)``: J leading (keypoint) tokens, N visual tokens;
    * ``keypoint_attn`` ``(B, J, J + N)``: attention probabilities of the J
      keypoint queries over all keys, averaged over heads;
    * ``aligned``: tensors ``(B or 1, N, C')`` indexed like the visual
      tokens (position tables), gathered with them.

    Returns ``(x, aligned, index)``: ``(B, J + K, C)``, a list of
    ``(B, K, C')``, and ``index`` ``(B, K)`` into the N current visual
    tokens, ``K = ceil(r * N)``, by descending score.
    """

    def __init__(self, keep_ratio: float = 0.7):
        super().__init__()
        self.keep_ratio = keep_ratio

    @property
    def keep_ratio(self) -> float:
        return self._keep_ratio

    @keep_ratio.setter
    def keep_ratio(self, value: float) -> None:
        self._keep_ratio = check_keep_ratio(value)

    @property
    def active(self) -> bool:
        """Whether a call prunes anything (``keep_ratio < 1``)."""
        return self._keep_ratio < 1

    def forward(
        self, x: Tensor, keypoint_attn: Tensor, aligned: Sequence[Tensor] = ()
    ) -> Tuple[Tensor, List[Tensor], Tensor]:
        num_kpt = keypoint_attn.shape[1]
        visual = x[:, num_kpt:]
        scores = keypoint_attn[:, :, num_kpt:].sum(dim=1)  # (B, N)
        keep = num_kept_tokens(visual.shape[1], self._keep_ratio)
        index = scores.topk(keep, dim=1).indices  # (B, K)
        x = torch.cat((x[:, :num_kpt], _gather_tokens(visual, index)), dim=1)
        return x, [_gather_tokens(t, index) for t in aligned], index

    def extra_repr(self) -> str:
        return f'keep_ratio={self._keep_ratio}'


class LayerRangeOutput(NamedTuple):
    """What :meth:`PPTTransformer.run_layers` returns.

    Attributes:
        tokens (Tensor): ``(B, J + K, C)``.
        pos (Tensor): ``(B or 1, K, C)`` position table of the kept tokens.
        aligned (list[Tensor]): the ``aligned`` inputs, ``(B or 1, K, C')``
            each, gathered with the kept tokens.
        kept (list[Tensor]): per pruning step, ``(B, K_s)`` indices of the
            kept tokens into the N visual tokens that entered the range
            (only with ``return_indices``; empty otherwise).
    """
    tokens: Tensor
    pos: Tensor
    aligned: List[Tensor]
    kept: List[Tensor]


@MODELS.register_module()
class PPTTransformer(BaseModule):
    """Encoder over ``[keypoint tokens; visual tokens]`` with HTI pruning.

    Layer ``i`` runs ``attention(x, pos)``; if ``i`` is in ``prune_layers``
    and the keep ratio is below 1, HTI prunes the visual tokens and the
    position table with that layer's keypoint attention; then ``ffn``. No
    final LayerNorm (the heatmap head has its own).

    Args:
        num_layers (int): Depth L.
        layer_cfg (dict): Config of one prunable layer (any registered type
            implementing the protocol of ``transformer_layers``), copied L
            times, e.g. ``dict(type='PreNormTransformerLayer', ...)``.
        num_keypoints (int): J, the number of leading tokens never pruned.
        prune_layers (Sequence[int]): 0-based indices of the layers that
            prune. Defaults to (3, 6, 9) (the 4th, 7th and 10th layers).
        hti_cfg (dict): Config of the pruning step. Defaults to
            ``HumanTokenIdentification`` with ``keep_ratio=0.7``.
        init_cfg (dict, optional): mmengine init config.

    Shapes: ``x`` ``(B, J + N, C)``, ``pos`` ``(N, C)`` or ``(B, N, C)``;
    output ``(B, J + K, C)``.

    :meth:`run_layers` runs a range of the layers (with the pruning steps
    that fall inside it), so that models which do something between two
    stages (multi-view PPT fuses the views before its last layers) use the
    stack without reaching into ``layers`` or ``hti``.
    """

    def __init__(self,
                 num_layers: int,
                 layer_cfg: dict,
                 num_keypoints: int,
                 prune_layers: Sequence[int] = (3, 6, 9),
                 hti_cfg: dict = dict(
                     type='mmhuman_ext.HumanTokenIdentification',
                     keep_ratio=0.7),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        bad = [i for i in prune_layers if not 0 <= i < num_layers]
        if bad:
            raise ValueError(f'prune_layers {tuple(prune_layers)} must be '
                             f'layer indices in [0, {num_layers}); got {bad}')
        self.num_keypoints = num_keypoints
        self.prune_layers = tuple(sorted(set(prune_layers)))
        self.layers = ModuleList(
            [MODELS.build(layer_cfg) for _ in range(num_layers)])
        self.hti = MODELS.build(hti_cfg)

    @property
    def keep_ratio(self) -> float:
        return self.hti.keep_ratio

    @keep_ratio.setter
    def keep_ratio(self, value: float) -> None:
        self.hti.keep_ratio = value

    def run_layers(self,
                   x: Tensor,
                   pos: Tensor,
                   start: int = 0,
                   end: Optional[int] = None,
                   aligned: Sequence[Tensor] = (),
                   prune: bool = True,
                   return_indices: bool = False) -> LayerRangeOutput:
        """Run layers ``start .. end - 1``.

        Args:
            x (Tensor): ``(B, J' + N, C)``; the first ``num_keypoints``
                tokens are the keypoint tokens HTI scores with (a fused
                sequence may put more tokens in front when ``prune`` is
                False).
            pos (Tensor): ``(N, C)``, ``(1, N, C)`` or ``(B, N, C)``,
                added to the N visual tokens before every layer.
            start (int): First layer. Defaults to 0.
            end (int, optional): One past the last layer; None = all.
            aligned (Sequence[Tensor]): More ``(B or 1, N, C')`` tensors
                indexed like the visual tokens, gathered when HTI prunes.
            prune (bool): Let the layers in ``prune_layers`` prune (when
                the keep ratio is below 1). Defaults to True.
            return_indices (bool): Fill ``kept`` of the output.

        Returns:
            LayerRangeOutput: tokens, pos, aligned and kept indices.
        """
        end = len(self.layers) if end is None else end
        if not 0 <= start <= end <= len(self.layers):
            raise ValueError(f'layer range [{start}, {end}) is not inside '
                             f'the {len(self.layers)} layers')
        if pos.dim() == 2:
            pos = pos.unsqueeze(0)
        aligned = list(aligned)
        prune = prune and self.hti.active
        origin: Optional[Tensor] = None
        if return_indices:
            origin = torch.arange(
                pos.shape[1], device=x.device).expand(x.shape[0], -1)
        kept: List[Tensor] = []
        for i in range(start, end):
            layer = self.layers[i]
            if not (prune and i in self.prune_layers):
                x = layer(x, pos)
                continue
            x, rows = layer.attention(x, pos, self.num_keypoints)
            x, (pos, *aligned), index = self.hti(x, rows, (pos, *aligned))
            if origin is not None:
                origin = origin.gather(1, index)
                kept.append(origin)
            x = layer.ffn(x)
        return LayerRangeOutput(x, pos, aligned, kept)

    def forward(self, x: Tensor, pos: Tensor, return_indices: bool = False):
        """Run the encoder.

        Args:
            x (Tensor): ``(B, J + N, C)``, keypoint tokens first.
            pos (Tensor): ``(N, C)`` or ``(B, N, C)`` position table of the
                visual tokens.
            return_indices (bool): Also return, for each pruning step, the
                kept tokens' indices into the *original* N visual tokens.

        Returns:
            Tensor | (Tensor, list[Tensor]): ``(B, J + K, C)``, and if asked
            a list of ``(B, K_s)`` long tensors, one per pruning step.
        """
        out = self.run_layers(x, pos, return_indices=return_indices)
        return (out.tokens, out.kept) if return_indices else out.tokens
