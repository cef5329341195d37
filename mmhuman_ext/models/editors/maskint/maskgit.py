"""Mask schedules, the training mask and MaskGIT iterative decoding.

Shared by :class:`~mmhuman_ext.models.editors.maskint.MaskINT` (training
and inference) and the tests. Token maps are flattened to ``(B, L)``; a
boolean ``unknown (B, L)`` marks the positions to generate (the tokens of
the non-key frames). Design decisions are in ``docs/maskint.md``
("Masking and decoding").
"""
import math
from typing import Callable, Optional

import torch
from torch import Tensor

#: mask ratio gamma(r) for r in [0, 1]: 1 at r = 0 (all masked), 0 at r = 1
MASK_SCHEDULES = {
    'cosine': lambda r: math.cos(math.pi / 2 * r),
    'linear': lambda r: 1. - r,
    'square': lambda r: 1. - r**2,
    'cubic': lambda r: 1. - r**3,
    'sqrt': lambda r: 1. - math.sqrt(r),
}


def check_num_steps(num_steps, name: str = 'num_steps') -> None:
    """Refuse a number of decoding passes that is not an integer >= 1
    (0 would generate nothing; no value stands in for it)."""
    if isinstance(num_steps, bool) or not isinstance(num_steps, int) \
            or num_steps < 1:
        raise ValueError(f'{name} (MaskGIT decoding passes) must be an '
                         f'integer >= 1, got {num_steps!r}')


def mask_schedule(name: str) -> Callable[[float], float]:
    """The mask-ratio function ``gamma`` called ``name`` (a key of
    :data:`MASK_SCHEDULES`)."""
    if name not in MASK_SCHEDULES:
        raise ValueError(f'unknown mask schedule {name!r}; expected one of '
                         f'{sorted(MASK_SCHEDULES)}')
    return MASK_SCHEDULES[name]


def num_masked_after_step(num_unknown: int, masked_before: int, step: int,
                          num_steps: int, schedule: str = 'cosine') -> int:
    """How many tokens stay masked after decoding step ``step`` (1-based).

    ``n_k = max(1, min(masked_before - 1, floor(U0 * gamma(k / K))))`` for
    ``k < K`` and 0 at ``k = K``: every step reveals at least one token, the
    last step reveals all, and the count never exceeds ``masked_before``.
    """
    if step >= num_steps or masked_before == 0:
        return 0
    target = math.floor(num_unknown * mask_schedule(schedule)(step /
                                                              num_steps))
    return min(masked_before, max(1, min(masked_before - 1, target)))


def _gumbel(shape, generator: Optional[torch.Generator],
            device: torch.device) -> Tensor:
    """Standard Gumbel noise, float32, drawn from ``generator``."""
    u = torch.rand(shape, generator=generator, device=device)
    neg_log_u = -torch.log(u.clamp_(min=1e-20))
    return -torch.log(neg_log_u.clamp_(min=1e-20))


def _lowest(scores: Tensor, counts: Tensor) -> Tensor:
    """Boolean ``(B, L)``: the ``counts[b]`` positions with the lowest score
    in each row (ties broken by position, so the count is exact)."""
    order = scores.argsort(dim=1, stable=True)
    ranks = torch.empty_like(order)
    ranks.scatter_(1, order,
                   torch.arange(scores.shape[1],
                                device=scores.device).expand_as(order))
    return ranks < counts[:, None]


def sample_training_mask(unknown: Tensor,
                         schedule: str = 'cosine',
                         min_mask_ratio: float = 0.,
                         generator: Optional[torch.Generator] = None
                         ) -> Tensor:
    """Masked positions for one masked-token-modelling step.

    One ``r ~ U[0, 1)`` per clip (row); ``n = ceil(gamma(r) * U)`` positions,
    clipped to ``[1, U]`` (``U`` = the row's unknown count; ``max(n,
    ceil(min_mask_ratio * U))`` when a lower bound is set), drawn uniformly
    among the row's unknown positions. Known positions (keyframes) are
    never masked.

    Args:
        unknown (Tensor): ``(B, L)`` bool, positions that may be masked.
        schedule (str): name in :data:`MASK_SCHEDULES`.
        min_mask_ratio (float): lower bound of the masked fraction.
        generator (torch.Generator, optional): source of randomness.

    Returns:
        Tensor: ``(B, L)`` bool, a subset of ``unknown``.
    """
    gamma = mask_schedule(schedule)
    B, L = unknown.shape
    ratios = torch.rand(B, generator=generator, device=unknown.device)
    num_unknown = unknown.sum(1).tolist()
    counts = []
    for r, u in zip(ratios.tolist(), num_unknown):
        n = max(math.ceil(gamma(r) * u), math.ceil(min_mask_ratio * u), 1)
        counts.append(min(n, u))
    scores = torch.rand(B, L, generator=generator, device=unknown.device)
    scores = scores.masked_fill(~unknown, 2.)  # known positions sort last
    return _lowest(scores,
                   torch.tensor(counts, device=unknown.device)) & unknown


@torch.no_grad()
def maskgit_decode(logits_fn: Callable[[Tensor, Tensor], Tensor],
                   tokens: Tensor,
                   unknown: Tensor,
                   mask_id: int,
                   num_steps: int = 32,
                   choice_temperature: float = 4.5,
                   sample_temperature: float = 1.0,
                   schedule: str = 'cosine',
                   generator: Optional[torch.Generator] = None,
                   token_choice: str = 'sample') -> Tensor:
    """MaskGIT iterative decoding: exactly ``num_steps`` calls of
    ``logits_fn``.

    At step ``k`` every masked position gets a sample ``z ~ softmax(logits /
    sample_temperature)`` (``token_choice='sample'``, MaskGIT's rule) or its
    most likely token ``z = argmax logits`` (``'argmax'``); its confidence
    is ``log p(z) + t (1 - k / K) g`` with Gumbel noise ``g`` and choice
    temperature ``t``; the
    :func:`num_masked_after_step` least confident samples are masked again,
    the others are final. Known tokens and tokens revealed earlier have
    infinite confidence, so they never change and are never re-masked.

    Args:
        logits_fn (callable): ``logits_fn(tokens (B, L), masked (B, L)) ->
            (P, M)`` logits at the ``P = masked.sum()`` masked positions in
            row-major order of ``masked.nonzero()``; masked entries of
            ``tokens`` hold ``mask_id``.
        tokens (Tensor): ``(B, L)`` long; the known tokens (other entries
            are ignored).
        unknown (Tensor): ``(B, L)`` bool, positions to generate.
        mask_id (int): id of [MASK] (the codebook size M).
        num_steps (int): K. Defaults to 32.
        choice_temperature (float): t, annealed linearly to 0. Defaults to
            4.5 (MaskGIT's ``sample_choice_temperature``).
        sample_temperature (float): temperature of the token sampling.
        schedule (str): mask schedule. Defaults to ``'cosine'``.
        generator (torch.Generator, optional): makes the output a function of
            its seed.
        token_choice (str): ``'sample'`` (default) or ``'argmax'``. With
            ``'argmax'`` and ``choice_temperature=0`` nothing is random.

    Returns:
        Tensor: ``(B, L)`` long, no [MASK] left.
    """
    check_num_steps(num_steps, 'num_steps')
    if token_choice not in ('sample', 'argmax'):
        raise ValueError(f"token_choice must be 'sample' or 'argmax', got "
                         f'{token_choice!r}')
    masked = unknown.clone()
    tokens = tokens.masked_fill(masked, mask_id)
    num_unknown = unknown.sum(1).tolist()
    device = tokens.device
    for step in range(1, num_steps + 1):
        if not masked.any():  # nothing to generate: still K passes
            logits_fn(tokens, masked)
            continue
        logits = logits_fn(tokens, masked).float() / sample_temperature
        log_probs = logits.log_softmax(dim=-1)
        if token_choice == 'argmax':
            sampled = log_probs.argmax(-1)
        else:  # Gumbel-max: a sample of softmax(logits)
            sampled = (log_probs +
                       _gumbel(log_probs.shape, generator, device)).argmax(-1)
        confidence = log_probs.gather(1, sampled[:, None])[:, 0]
        annealed = choice_temperature * (1. - step / num_steps)
        if annealed > 0:
            confidence = confidence + annealed * _gumbel(
                confidence.shape, generator, device)
        scores = torch.full(masked.shape, math.inf, device=device)
        scores[masked] = confidence
        counts = torch.tensor([
            num_masked_after_step(u, m, step, num_steps, schedule)
            for u, m in zip(num_unknown, masked.sum(1).tolist())
        ], device=device)
        tokens = tokens.masked_scatter(masked, sampled)
        masked = _lowest(scores, counts) & masked
        tokens = tokens.masked_fill(masked, mask_id)
    return tokens
