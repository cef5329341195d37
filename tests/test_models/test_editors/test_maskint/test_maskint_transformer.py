import pytest
import torch

from mmhuman_ext.models.editors.maskint import MaskINTTransformer


def _count(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize('codebook_size,total', [(1024, 95_233_792),
                                                 (8192, 111_756_032),
                                                 (16384, 130_638_592)])
def test_base_parameter_counts(codebook_size, total):
    """Base: 12 layers, width 768, 12 heads, MLP 3072 at 48 x 84 tokens;
    95.2 M / 111.8 M / 130.6 M in total."""
    with torch.device('meta'):
        model = MaskINTTransformer(codebook_size)
    assert _count(model.layers) == 85_054_464
    assert len(model.layers) == 12
    assert model.layer_pattern == ['spatial', 'spatiotemporal'] * 6
    assert _count(model) == total
    assert round(_count(model) / 1e6, 1) == {1024: 95.2, 8192: 111.8,
                                             16384: 130.6}[codebook_size]


def _tiny(**kwargs):
    cfg = dict(codebook_size=16, embed_dims=16, num_layers=2, num_heads=2,
               token_hw=(6, 8), window_size=(2, 2), drop_rate=0.)
    cfg.update(kwargs)
    torch.manual_seed(0)
    model = MaskINTTransformer(**cfg)
    model.init_weights()
    return model.eval()


@pytest.mark.parametrize('frames', [2, 5, 15, 16])
def test_logit_shapes(frames):
    model = _tiny()
    color = torch.randint(17, (2, frames, 6, 8))
    structure = torch.randint(16, (2, frames, 6, 8))
    assert model(color, structure).shape == (2, frames, 6, 8, 16)


def test_paper_grid_shape():
    model = _tiny(token_hw=(48, 84), window_size=(6, 6))
    color = torch.randint(17, (1, 2, 48, 84))
    assert model(color, color.clamp(max=15)).shape == (1, 2, 48, 84, 16)


def test_odd_grid_is_padded_and_cropped():
    model = _tiny()
    color = torch.randint(17, (1, 3, 7, 9))
    out = model(color, color.clamp(max=15))
    assert out.shape == (1, 3, 7, 9, 16)
    assert torch.isfinite(out).all()


def test_query_mask_gathers_before_the_head():
    model = _tiny()
    color = torch.randint(17, (2, 4, 6, 8))
    structure = torch.randint(16, (2, 4, 6, 8))
    query = torch.rand(2, 4, 6, 8) < 0.3
    seen = []
    model.head.register_forward_hook(
        lambda m, args, out: seen.append(args[0].shape[0]))
    part = model(color, structure, query_mask=query)
    assert seen == [int(query.sum())]
    torch.testing.assert_close(part, model(color, structure)[query])


def test_mask_row_only_in_colour_table():
    model = _tiny()
    assert model.color_embed.num_embeddings == 17
    assert model.structure_embed.num_embeddings == 16
    color = torch.full((1, 2, 6, 8), 16)
    with pytest.raises(IndexError):
        model(color, color)  # id M is not a structure code


def test_structure_tokens_change_the_output_only_when_used():
    color = torch.randint(17, (1, 3, 6, 8))
    s1, s2 = torch.randint(16, (2, 1, 3, 6, 8))
    with_s = _tiny()
    assert not torch.allclose(with_s(color, s1), with_s(color, s2))
    without = _tiny(use_structure=False)
    assert without.structure_embed is None
    torch.testing.assert_close(without(color, s1), without(color, s2))


def test_temporal_table_limit():
    model = _tiny(temporal_pos_embed=True, max_frames=4)
    color = torch.randint(16, (1, 5, 6, 8))
    with pytest.raises(ValueError, match='max_frames'):
        model(color, color)


def test_bad_layer_pattern():
    with pytest.raises(ValueError, match='layer_pattern'):
        _tiny(layer_pattern=['spatial', 'temporal'])
