import pytest
import torch
import torch.nn.functional as F

from mmhuman_ext.models.editors.maskint import MaskINT
from mmhuman_ext.models.editors.maskint.maskint import given_frame_mask
from mmhuman_ext.models.editors.maskint.vq_tokenizer import (
    fit_patch_codebook, save_patch_codebook)

M = 16


def _model(tokenizer=None, structure_detector=None, **test_cfg):
    torch.manual_seed(0)
    model = MaskINT(
        transformer=dict(type='MaskINTTransformer', codebook_size=M,
                         embed_dims=16, num_layers=2, num_heads=2,
                         token_hw=(4, 6), window_size=(2, 3), drop_rate=0.),
        data_preprocessor=dict(type='MaskINTDataPreprocessor',
                               tokenizer=tokenizer,
                               structure_detector=structure_detector),
        test_cfg={'num_steps': 6, **test_cfg})
    model.init_weights()
    return model


def _tokens(B=2, N=6, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return (torch.randint(M, (B, N, 4, 6), generator=gen),
            torch.randint(M, (B, N, 4, 6), generator=gen))


def test_given_frame_mask():
    assert given_frame_mask(16, 'first_last')[0].nonzero()[:, 0].tolist() \
        == [0, 15]
    assert given_frame_mask(16, 1)[0].nonzero()[:, 0].tolist() == [0]
    assert given_frame_mask(16, 6)[0].nonzero()[:, 0].tolist() == [
        0, 3, 6, 9, 12, 15]
    assert given_frame_mask(5, [1, 3], 2).sum().item() == 4
    with pytest.raises(ValueError):
        given_frame_mask(5, [7])


def test_loss_only_at_masked_positions():
    """The head sees exactly the masked tokens (never the keyframes) and the
    loss is their mean cross-entropy."""
    model = _model().train()
    color, structure = _tokens()
    captured = {}
    original = model.transformer.forward

    def spy(color_in, structure_in, query_mask=None):
        logits = original(color_in, structure_in, query_mask)
        logits.retain_grad()
        captured.update(color_in=color_in, query_mask=query_mask,
                        logits=logits)
        return logits

    model.transformer.forward = spy
    losses = model(dict(color_tokens=color, structure_tokens=structure),
                   mode='loss')
    masked = captured['query_mask']
    assert masked.shape == color.shape and masked.any()
    assert not masked[:, [0, -1]].any()  # keyframes never masked
    torch.testing.assert_close(captured['color_in'][masked],
                               torch.full_like(color[masked], M))
    torch.testing.assert_close(captured['color_in'][~masked], color[~masked])
    logits = captured['logits']
    assert logits.shape == (int(masked.sum()), M)  # never B x L x M
    torch.testing.assert_close(losses['loss_mtm'],
                               F.cross_entropy(logits, color[masked]))
    losses['loss_mtm'].backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0
    assert 0 <= losses['acc_masked'] <= 1


def test_training_improves_on_a_fixed_clip():
    model = _model().train()
    color, structure = _tokens(B=1)
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    inputs = dict(color_tokens=color, structure_tokens=structure)
    first = None
    torch.manual_seed(1)
    for _ in range(60):
        loss = model(inputs, mode='loss')['loss_mtm']
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first


def test_interpolate_keeps_keyframes_and_is_seeded():
    model = _model()
    color, structure = _tokens()
    given = given_frame_mask(6, 3, 2)

    def run(seed):
        return model.interpolate(color, structure, given,
                                 generator=torch.Generator().manual_seed(seed))

    out = run(0)
    assert out.shape == color.shape and out.dtype == torch.long
    assert torch.equal(out[given], color[given])
    assert out.min() >= 0 and out.max() < M
    assert torch.equal(out, run(0))
    assert not torch.equal(out, run(1))


def test_argmax_token_choice_is_deterministic():
    """``test_cfg.token_choice='argmax'`` with choice temperature 0 gives the
    same tokens for any generator or none; keyframes are kept."""
    model = _model(token_choice='argmax', choice_temperature=0.)
    color, structure = _tokens()
    given = given_frame_mask(6, 'first_last', 2)
    out = model.interpolate(color, structure, given)
    assert torch.equal(out[given], color[given])
    for seed in (0, 1):
        assert torch.equal(
            out,
            model.interpolate(color, structure, given,
                              generator=torch.Generator().manual_seed(seed)))
    assert _model().test_cfg['token_choice'] == 'sample'


@pytest.mark.parametrize('num_keyframes', [1, 6])
def test_any_keyframe_set(num_keyframes):
    model = _model()
    color, structure = _tokens(N=8)
    given = given_frame_mask(8, num_keyframes, 2)
    calls = []
    model.transformer.register_forward_hook(lambda *a: calls.append(1))
    out = model.interpolate(color, structure, given, num_steps=5)
    assert len(calls) == 5
    assert torch.equal(out[given], color[given])


def test_interpolate_checks_given_shape():
    model = _model()
    color, structure = _tokens()
    with pytest.raises(ValueError, match='given'):
        model.interpolate(color, structure, torch.ones(6, dtype=torch.bool))


def test_tensor_mode_is_one_decoding_pass():
    model = _model()
    inputs = model.dummy_inputs(2)['inputs']
    assert inputs['color_tokens'].shape == (2, 16, 4, 6)
    logits = model(**model.dummy_inputs(2), mode='tensor')
    assert logits.shape == (2 * 14 * 4 * 6, M)


def test_predict_decodes_frames(tmp_path):
    frames = torch.rand(8, 3, 32, 48) * 2 - 1
    path = str(tmp_path / 'codebook.npz')
    save_patch_codebook(fit_patch_codebook(frames, M, iters=2), path)
    model = _model(tokenizer=dict(type='PatchVQTokenizer', codebook=path),
                   structure_detector=dict(type='CannyEdgeDetector'))
    clip = (torch.rand(2, 6, 3, 32, 48) * 255).byte()
    data = model.data_preprocessor(
        dict(inputs=dict(frames=clip), data_samples=dict(video_id=['a', 'b'])))
    preds = model(**data, mode='predict')
    assert len(preds) == 2 and preds[1]['video_id'] == 'b'
    tok = model.tokenizer
    for i, pred in enumerate(preds):
        assert pred['pred_frames'].shape == (6, 3, 32, 48)
        assert pred['gt_frames'].shape == (6, 3, 32, 48)
        # the upper bound row is encode -> decode of the ground truth
        torch.testing.assert_close(
            pred['recon_frames'],
            tok.decode(tok.encode(data['inputs']['frames'][i])))
        # keyframes come back as their own VQ reconstruction
        torch.testing.assert_close(pred['pred_frames'][[0, 5]],
                                   pred['recon_frames'][[0, 5]])
        assert pred['given'].tolist() == [True] + [False] * 4 + [True]


@pytest.mark.parametrize('steps', [0, -1, 2.5])
def test_out_of_range_decoding_steps_are_refused(steps):
    model = _model()
    color, structure = _tokens()
    given = given_frame_mask(6, 'first_last', 2)
    calls = []
    model.transformer.register_forward_hook(lambda *a: calls.append(1))
    with pytest.raises(ValueError, match=r'num_steps \(MaskGIT decoding '
                       r'passes\) must be an integer >= 1'):
        model.interpolate(color, structure, given, num_steps=steps)
    assert not calls  # 0 no longer stands for the default 32 passes
    with pytest.raises(ValueError, match=r'test_cfg.num_steps \(MaskGIT'):
        _model(num_steps=steps)
