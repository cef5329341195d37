import pytest
import torch

from mmhuman_ext.models.editors.maskint import (CannyEdgeDetector,
                                                MaskINTDataPreprocessor)
from mmhuman_ext.models.editors.maskint.vq_tokenizer import (
    fit_patch_codebook, save_patch_codebook)


@pytest.fixture(scope='module')
def codebook(tmp_path_factory):
    frames = torch.rand(6, 3, 32, 48,
                        generator=torch.Generator().manual_seed(0)) * 2 - 1
    edges = (torch.rand(6, 1, 32, 48) > 0.8).float().expand(-1, 3, -1,
                                                            -1) * 2 - 1
    path = str(tmp_path_factory.mktemp('vq') / 'cb.npz')
    save_patch_codebook(fit_patch_codebook(torch.cat([frames, edges]), 32,
                                           iters=3), path)
    return path


def _clip(B=2, N=4):
    gen = torch.Generator().manual_seed(1)
    return (torch.rand(B, N, 3, 32, 48, generator=gen) * 255).byte()


def test_tokens_pass_through():
    pre = MaskINTDataPreprocessor()
    color = torch.randint(10, (2, 4, 3, 5), dtype=torch.int32)
    out = pre(dict(inputs=dict(color_tokens=color,
                               structure_tokens=color + 1),
                   data_samples=dict(video_id=['a', 'b'])))
    assert out['inputs']['color_tokens'].dtype == torch.long
    assert torch.equal(out['inputs']['structure_tokens'], color.long() + 1)
    assert out['data_samples']['video_id'] == ['a', 'b']


def test_online_path_frames_detector_vq(codebook):
    pre = MaskINTDataPreprocessor(
        tokenizer=dict(type='PatchVQTokenizer', codebook=codebook),
        structure_detector=dict(type='CannyEdgeDetector'))
    clip = _clip()
    out = pre(dict(inputs=dict(frames=clip)))['inputs']
    frames = clip.float() / 127.5 - 1
    torch.testing.assert_close(out['frames'], frames)
    tok = pre.tokenizer
    assert torch.equal(out['color_tokens'],
                       tok.encode(frames.flatten(0, 1)).view(2, 4, 4, 6))
    edges = CannyEdgeDetector()(clip.flatten(0, 1).float() / 255)
    expected = tok.encode(edges.expand(-1, 3, -1, -1) * 2 - 1).view(
        2, 4, 4, 6)
    assert torch.equal(out['structure_tokens'], expected)


def test_precomputed_structure_maps_are_used(codebook):
    pre = MaskINTDataPreprocessor(
        tokenizer=dict(type='PatchVQTokenizer', codebook=codebook))
    clip = _clip(B=1)
    maps = torch.zeros(1, 4, 1, 32, 48, dtype=torch.uint8)
    maps[..., 8:16, :] = 255
    out = pre(dict(inputs=dict(frames=clip, structure_maps=maps)))['inputs']
    assert 'structure_maps' not in out
    expected = pre.tokenizer.encode(
        (maps[0].float() / 255).expand(-1, 3, -1, -1) * 2 - 1)
    assert torch.equal(out['structure_tokens'][0], expected)


def test_missing_parts_are_named(codebook):
    with pytest.raises(ValueError, match='tokenizer'):
        MaskINTDataPreprocessor()(dict(inputs=dict(frames=_clip())))
    pre = MaskINTDataPreprocessor(
        tokenizer=dict(type='PatchVQTokenizer', codebook=codebook))
    with pytest.raises(ValueError, match='structure_detector'):
        pre(dict(inputs=dict(frames=_clip())))
    with pytest.raises(ValueError, match='color_tokens or frames'):
        pre(dict(inputs=dict(structure_tokens=torch.zeros(1, 2, 3, 4))))
