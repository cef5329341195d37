"""P-STMO backbone: shapes, token lengths and the parameter counts."""
import pytest
import torch
from torch import nn

from mmhuman_ext.models.backbones.stmo import (STMO, STMOEncoder,
                                               StridedTransformerEncoder)
from mmhuman_ext.models.layers.pstmo_transformer import BNLinearHead
from mmhuman_ext.registry import MODELS

SMALL = dict(embed_dims=32, sem_hidden_dims=64, ffn_dims=64, num_heads=4)


def thop_style_count(module: nn.Module) -> int:
    """The paper's counting rule (docs/pstmo.md): thop counts the parameters of
    the executed Linear / Conv / BatchNorm leaves only (no position tables,
    custom LayerNorms, tokens or unused modules)."""
    kinds = (nn.Linear, nn.Conv1d, nn.BatchNorm1d)
    return sum(p.numel() for m in module.modules() if isinstance(m, kinds)
               for p in m.parameters(recurse=False))


def numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def stmo(seq_len, strides, num_layers=3, **kw):
    return STMO(
        dict(type='STMOEncoder', seq_len=seq_len, num_layers=num_layers, **kw),
        dict(
            type='StridedTransformerEncoder',
            seq_len=seq_len,
            strides=strides,
            **{
                k: v
                for k, v in kw.items()
                if k in ('embed_dims', 'ffn_dims', 'num_heads')
            }))


def test_mofa_takes_the_frame_count_from_the_encoder():
    mofa = dict(type='StridedTransformerEncoder', embed_dims=32, ffn_dims=64,
                num_heads=4)

    def build(n, **kw):
        return STMO(dict(type='STMOEncoder', seq_len=n, **SMALL),
                    dict(mofa, **kw))

    model = build(81)
    assert model.mofa.seq_len == 81 and model.mofa.strides == (3, 3, 3, 3)
    assert model.mofa.pos_embeds.shape[1] == 81
    assert len(model.mofa.layers) == 4
    # 30 -> 10 -> 4 -> 2 -> 1: stride 3 in four layers also reaches one
    assert build(30).eval()(torch.randn(1, 30, 17, 2))[1].shape == (1, 1, 32)
    with pytest.raises(ValueError, match='disagrees with the encoder'):
        build(81, seq_len=243)
    with pytest.raises(ValueError,
                       match=r'reduce 243 frames to 27 tokens.*exactly 1'):
        build(243, strides=(3, 3))
    with pytest.raises(ValueError, match='reduce 27 frames to 27 tokens'):
        build(27, strides=())  # no layer at all
    assert build(27, strides=(3, 9)).mofa.strides == (3, 9)
    with pytest.raises(ValueError, match='needs seq_len'):
        StridedTransformerEncoder(embed_dims=32)


@pytest.mark.parametrize('seq_len, strides, lengths', [
    (27, (3, 3, 3), [27, 9, 3, 1]),
    (81, (3, 3, 3, 3), [81, 27, 9, 3, 1]),
    (243, (3, 3, 3, 3, 3), [243, 81, 27, 9, 3, 1]),
])
def test_shapes_and_mofa_lengths(seq_len, strides, lengths):
    model = stmo(seq_len, strides, **SMALL).eval()
    x = torch.randn(2, seq_len, 17, 2)
    tem, out = model(x)
    assert tem.shape == (2, seq_len, 32) and out.shape == (2, 1, 32)
    seen = []
    hooks = [
        layer.register_forward_hook(lambda m, i, o: seen.append(o.shape[1]))
        for layer in model.mofa.layers
    ]
    model(x)
    for h in hooks:
        h.remove()
    assert [seq_len] + seen == lengths
    assert model.causal is False


def test_encoder_keep_idx_gathers_tokens_after_position_table():
    torch.manual_seed(0)
    enc = STMOEncoder(seq_len=9, num_layers=0, **SMALL).eval()
    x = torch.randn(2, 9, 17, 2)
    keep = torch.tensor([[0, 4, 8], [1, 2, 3]])
    full = enc(x)
    part = enc(x, keep)
    assert part.shape == (2, 3, 32)
    torch.testing.assert_close(part[0], full[0, [0, 4, 8]])
    torch.testing.assert_close(part[1], full[1, [1, 2, 3]])
    with pytest.raises(ValueError, match='seq_len=9'):
        enc(torch.randn(1, 8, 17, 2))


def test_final_norm_unused_by_default_but_switchable():
    torch.manual_seed(0)
    x = torch.randn(2, 9, 17, 2)
    enc = STMOEncoder(seq_len=9, **SMALL).eval()
    enc.final_norm.bias.data.fill_(5.)
    plain = enc(x)
    enc.apply_final_norm = True
    assert (enc(x) - plain).abs().mean() > 1


# (N, MOFA layers, TEM layers) -> (all parameters, thop-style, paper)
FULL_COUNTS = [
    (27, 3, 3, 4_682_598, 4_647_782, 4.6),
    (81, 4, 3, 5_527_142, 5_436_006, 5.4),
    (243, 5, 3, 6_482_278, 6_224_230, 6.2),
    (243, 5, 4, 7_009_382, 6_750_310, 6.7),
]


@pytest.mark.parametrize('seq_len, mofa, tem, total, thop, paper', FULL_COUNTS)
def test_full_size_parameter_counts(seq_len, mofa, tem, total, thop, paper):
    lifter = nn.Module()
    lifter.backbone = stmo(seq_len, (3, ) * mofa, num_layers=tem)
    lifter.head = MODELS.build(dict(type='STMOHead'))
    assert numel(lifter) == total
    assert thop_style_count(lifter) == thop
    if thop == 6_750_310:  # the paper writes 6.7503 M as 6.7 (half down)
        assert f'{thop / 1e6:.2f}' == '6.75' and paper == 6.7
    else:
        assert round(thop / 1e6, 1) == paper


def test_ablation_counts_of_tables_4_and_7():
    """The thop-style counts behind the paper's rounded ablation figures."""

    def lifter(d=256, tem=3, sem_blocks=1, mofa=True):
        enc = STMOEncoder(
            seq_len=243,
            embed_dims=d,
            sem_hidden_dims=2 * d,
            num_layers=tem,
            sem_num_blocks=sem_blocks)
        parts = [enc, BNLinearHead(d, 51)]
        if mofa:
            parts += [
                StridedTransformerEncoder(embed_dims=d, seq_len=243),
                BNLinearHead(d, 51)
            ]
        return sum(thop_style_count(p) for p in parts)

    # Table 7: L1 = 2 / 5; d = 64 / 128 / 512 (L1 = 4)
    assert lifter(tem=2) == 5_698_150  # 5.7 M
    assert lifter(tem=5) == 7_276_390  # 7.3 M
    assert [lifter(d=d, tem=4)
            for d in (64, 128, 512)] == [1_125_862, 2_623_846,
                                         19_525_222]  # 1.1 / 2.6 / 19.5 M
    # Table 4: SEM + TEM(3) + all-frame head, MLP with L = 1 / 2 / 3
    assert [lifter(sem_blocks=b, mofa=False)
            for b in (1, 2, 3)] == [2_269_491, 2_796_851,
                                    3_324_211]  # 2.3 / 2.8 / 3.3 M
    # Table 4 "fc": Linear 34 -> 256 instead of the MLP
    tem_layers = STMOEncoder(seq_len=243, num_layers=3).layers
    fc = (nn.Linear(34, 256), tem_layers, BNLinearHead(256, 51))
    assert sum(thop_style_count(m) for m in fc) == 1_600_819  # 1.6 M
