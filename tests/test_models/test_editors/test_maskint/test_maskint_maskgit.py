import math

import pytest
import torch

from mmhuman_ext.models.editors.maskint.maskgit import (
    maskgit_decode, mask_schedule, num_masked_after_step,
    sample_training_mask)


def _counts(u0, k):
    masked, out = u0, []
    for step in range(1, k + 1):
        masked = num_masked_after_step(u0, masked, step, k)
        out.append(masked)
    return out


def test_masked_counts_paper_clip():
    """16 frames of 48 x 84 tokens, 2 keyframes, K = 32."""
    counts = _counts(14 * 48 * 84, 32)
    assert [counts[k - 1] for k in (1, 2, 8, 16, 24, 31)] == [
        56380, 56176, 52151, 39914, 21601, 2769]
    assert counts[-1] == 0
    assert all(a > b for a, b in zip(counts, counts[1:]))


def test_every_step_reveals_at_least_one():
    counts = _counts(5, 32)  # fewer tokens than steps
    assert counts[-1] == 0
    assert all(a >= b for a, b in zip([5] + counts, counts))
    assert counts[:4] == [4, 3, 2, 1]


class StubModel:
    """Random logits; records every call's tokens."""

    def __init__(self, num_codes, seed=0):
        self.gen = torch.Generator().manual_seed(seed)
        self.num_codes = num_codes
        self.inputs = []

    def __call__(self, tokens, masked):
        self.inputs.append((tokens.clone(), masked.clone()))
        return torch.randn(int(masked.sum()), self.num_codes,
                           generator=self.gen)


def _setup(B=2, L=60, M=7, seed=0):
    gen = torch.Generator().manual_seed(seed)
    tokens = torch.randint(M, (B, L), generator=gen)
    unknown = torch.zeros(B, L, dtype=torch.bool)
    unknown[:, 10:50] = True
    unknown[1, 5:10] = True  # rows with different unknown counts
    return tokens, unknown


@pytest.mark.parametrize('token_choice', ['sample', 'argmax'])
def test_decode_invariants(token_choice):
    M, K = 7, 12
    tokens, unknown = _setup(M=M)
    stub = StubModel(M)
    out = maskgit_decode(stub, tokens, unknown, mask_id=M, num_steps=K,
                         generator=torch.Generator().manual_seed(0),
                         token_choice=token_choice)
    assert len(stub.inputs) == K
    assert torch.equal(out[~unknown], tokens[~unknown])
    assert out.max() < M and out.min() >= 0
    seen = [inp for inp, _ in stub.inputs] + [out]
    u0 = unknown.sum(1).tolist()
    for step, (before, after) in enumerate(zip(seen, seen[1:]), 1):
        # known tokens are bit-identical at every step
        assert torch.equal(after[~unknown], tokens[~unknown])
        # a revealed token never changes and is never masked again
        revealed = before != M
        assert torch.equal(after[revealed], before[revealed])
        for b in range(2):
            expected = _counts(u0[b], K)[step - 1]
            assert int((after[b] == M).sum()) == expected
    # the masked argument matches the [MASK] entries
    for inp, masked in stub.inputs:
        assert torch.equal(masked, inp == M)


def test_decode_is_deterministic_per_seed():
    tokens, unknown = _setup()

    def run(seed):
        return maskgit_decode(StubModel(7, seed=3), tokens, unknown, 7,
                              num_steps=6,
                              generator=torch.Generator().manual_seed(seed))

    assert torch.equal(run(1), run(1))
    assert not torch.equal(run(1), run(2))


class FixedTable:
    """Logits that depend only on the position: a random ``(B, L, M)``
    table, so the most likely token of each position is known."""

    def __init__(self, B, L, M, seed=0):
        self.table = torch.randn(B, L, M,
                                 generator=torch.Generator().manual_seed(seed))

    def __call__(self, tokens, masked):
        return self.table[masked]


def test_argmax_choice_takes_most_likely_tokens():
    B, L, M = 2, 60, 7
    tokens, unknown = _setup(B, L, M)
    table = FixedTable(B, L, M)
    best = table.table.argmax(-1)

    def run(token_choice, choice_temperature, generator=None):
        return maskgit_decode(table, tokens, unknown, M, num_steps=8,
                              choice_temperature=choice_temperature,
                              generator=generator, token_choice=token_choice)

    # the reveal order may be noisy (choice temperature > 0), the tokens not
    for seed in (0, 1):
        out = run('argmax', 4.5, torch.Generator().manual_seed(seed))
        assert torch.equal(out[unknown], best[unknown])
        assert torch.equal(out[~unknown], tokens[~unknown])
    # with choice temperature 0 nothing is random: no generator needed
    first = run('argmax', 0.)
    assert torch.equal(first, run('argmax', 0.))
    assert torch.equal(first[unknown], best[unknown])
    # sampling does not reduce to the argmax on these flat logits
    sampled = run('sample', 4.5, torch.Generator().manual_seed(0))
    assert not torch.equal(sampled[unknown], best[unknown])


def test_unknown_token_choice():
    tokens, unknown = _setup()
    with pytest.raises(ValueError, match='token_choice'):
        maskgit_decode(StubModel(7), tokens, unknown, 7, num_steps=2,
                       token_choice='greedy')


def test_zero_temperature_reveals_most_confident_first():
    """A peaked stub: position i predicts code 0 with probability rising in
    i; with choice temperature 0 the highest positions come out first."""
    L, M = 40, 5
    tokens = torch.zeros(1, L, dtype=torch.long)
    unknown = torch.ones(1, L, dtype=torch.bool)
    seen = []

    def stub(tok, masked):
        seen.append(tok.clone())
        logits = torch.full((L, M), -30.)
        logits[:, 0] = torch.linspace(-2., 30., L)
        return logits[masked[0]]

    maskgit_decode(stub, tokens, unknown, M, num_steps=4,
                   choice_temperature=0.,
                   generator=torch.Generator().manual_seed(0))
    after_first = seen[1][0] != M
    n = int(after_first.sum())
    assert n > 0
    assert after_first[L - n:].all() and not after_first[:L - n].any()


def test_nothing_unknown_still_runs_k_passes():
    tokens = torch.arange(6)[None]
    stub = StubModel(6)
    out = maskgit_decode(stub, tokens, torch.zeros(1, 6, dtype=torch.bool),
                         6, num_steps=5)
    assert len(stub.inputs) == 5 and torch.equal(out, tokens)


def test_training_mask_count_and_support():
    gen = torch.Generator().manual_seed(5)
    unknown = torch.zeros(3, 100, dtype=torch.bool)
    unknown[:, 20:80] = True
    masked = sample_training_mask(unknown, generator=gen)
    ratios = torch.rand(3, generator=torch.Generator().manual_seed(5))
    for b, r in enumerate(ratios.tolist()):
        n = min(max(math.ceil(math.cos(math.pi * r / 2) * 60), 1), 60)
        assert int(masked[b].sum()) == n
    assert not (masked & ~unknown).any()


def test_training_mask_mean_fraction():
    unknown = torch.ones(4000, 50, dtype=torch.bool)
    masked = sample_training_mask(
        unknown, generator=torch.Generator().manual_seed(0))
    # E[cos(pi r / 2)] = 2 / pi; ceil adds < 1 / 50 on average
    assert abs(masked.float().mean().item() - 2 / math.pi - 0.01) < 0.02


def test_training_mask_lower_bound():
    unknown = torch.ones(200, 40, dtype=torch.bool)
    masked = sample_training_mask(unknown, min_mask_ratio=0.5,
                                  generator=torch.Generator().manual_seed(0))
    assert masked.sum(1).min() >= 20


def test_unknown_schedule():
    with pytest.raises(ValueError, match='cosine'):
        mask_schedule('exp')
    assert mask_schedule('cosine')(0.) == 1.
    assert abs(mask_schedule('cosine')(1.)) < 1e-12
