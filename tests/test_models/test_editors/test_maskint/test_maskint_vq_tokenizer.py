import numpy as np
import pytest
import torch

from mmhuman_ext.models.editors.maskint import (PatchVQTokenizer,
                                                VQGANTokenizer)
from mmhuman_ext.models.editors.maskint.vq_tokenizer import (
    fit_patch_codebook, save_patch_codebook)
from mmhuman_ext.utils.pretrained import MissingPretrainedError

# LDM / taming vq-f8 layout, narrow
VQ_F8 = dict(down_block_types=('DownEncoderBlock2D', ) * 4,
             up_block_types=('UpDecoderBlock2D', ) * 4,
             block_out_channels=(16, 16, 32, 32), layers_per_block=1,
             latent_channels=4, num_vq_embeddings=64, vq_embed_dim=4,
             norm_num_groups=8)
# Kandinsky 2.2 MoVQ layout (spatial norm: 32 groups), narrow
MOVQ = dict(down_block_types=('DownEncoderBlock2D', ) * 3 +
            ('AttnDownEncoderBlock2D', ),
            up_block_types=('AttnUpDecoderBlock2D', ) +
            ('UpDecoderBlock2D', ) * 3,
            block_out_channels=(32, 32, 32, 32), layers_per_block=1,
            latent_channels=4, num_vq_embeddings=128, vq_embed_dim=4,
            norm_num_groups=32, norm_type='spatial')


def _frames(n=3, h=32, w=48):
    return torch.rand(n, 3, h, w, generator=torch.Generator().manual_seed(0)
                      ) * 2 - 1


@pytest.mark.parametrize('cfg', [VQ_F8, MOVQ])
def test_vqmodel_round_trip_equals_diffusers_path(cfg):
    torch.manual_seed(0)
    tok = VQGANTokenizer(dict(type='VQModel', **cfg), chunk_size=2)
    assert tok.downsample_factor == 8
    assert tok.codebook_size == cfg['num_vq_embeddings']
    assert not any(p.requires_grad for p in tok.parameters())
    tok.train()
    assert not tok.training
    x = _frames()
    ids = tok.encode(x)
    assert ids.shape == (3, 4, 6) and ids.dtype == torch.long
    assert 0 <= ids.min() and ids.max() < tok.codebook_size
    # encode -> decode is VQModel's own quantise-and-decode
    with torch.no_grad():
        ref = tok.vq.decode(tok.vq.encode(x).latents).sample.clamp(-1, 1)
    torch.testing.assert_close(tok.decode(ids), ref, atol=1e-5, rtol=1e-4)


def test_movq_loads_from_a_local_folder(tmp_path):
    from diffusers import VQModel
    torch.manual_seed(0)
    VQModel(**MOVQ).save_pretrained(str(tmp_path / 'kandinsky' / 'movq'))
    tok = VQGANTokenizer(dict(from_pretrained=str(tmp_path / 'kandinsky'),
                              subfolder='movq'))
    assert tok.vq.config.norm_type == 'spatial'
    assert tok.decode(tok.encode(_frames(1))).shape == (1, 3, 32, 48)


def test_missing_folder_names_it(tmp_path):
    with pytest.raises(MissingPretrainedError) as err:
        VQGANTokenizer(dict(from_pretrained=str(tmp_path / 'nothing'),
                            subfolder='movq'))
    msg = str(err.value)
    assert 'nothing/movq' in msg and 'VQModel' in msg and 'movq' in msg


def test_not_8x_is_refused():
    cfg = dict(VQ_F8, down_block_types=('DownEncoderBlock2D', ) * 3,
               up_block_types=('UpDecoderBlock2D', ) * 3,
               block_out_channels=(16, 16, 32))
    with pytest.raises(ValueError, match='8x'):
        VQGANTokenizer(cfg)


def test_frame_size_not_divisible_by_8():
    tok = VQGANTokenizer(VQ_F8)
    with pytest.raises(ValueError, match='not divisible'):
        tok.encode(torch.zeros(1, 3, 30, 48))
    with pytest.raises(ValueError, match=r'token ids'):
        tok.decode(torch.full((1, 2, 2), 64))


def test_patch_vq_exact_on_codebook_patches(tmp_path):
    codebook = torch.rand(10, 3, 8, 8) * 2 - 1
    path = str(tmp_path / 'cb.npz')
    save_patch_codebook(codebook, path)
    with np.load(path, allow_pickle=False) as data:
        assert data['codebook'].dtype == np.float32
    tok = PatchVQTokenizer(path)
    ids = torch.randint(10, (2, 3, 5))
    frames = tok.decode(ids)
    assert frames.shape == (2, 3, 24, 40)
    assert torch.equal(tok.encode(frames), ids)


def test_fit_patch_codebook_reduces_error():
    frames = _frames(4, 32, 32)
    cb0 = fit_patch_codebook(frames, 8, iters=0, seed=0)
    cb = fit_patch_codebook(frames, 8, iters=10, seed=0)
    patches = torch.nn.functional.unfold(frames, 8, stride=8).transpose(
        1, 2).reshape(-1, 192)

    def err(c):
        return torch.cdist(patches, c.flatten(1)).min(1).values.pow(2).mean()

    assert err(cb) < err(cb0)
    assert torch.equal(cb, fit_patch_codebook(frames, 8, iters=10, seed=0))


def test_patch_vq_bad_file(tmp_path):
    with pytest.raises(MissingPretrainedError, match='codebook'):
        PatchVQTokenizer(str(tmp_path / 'missing.npz'))
    bad = tmp_path / 'bad.npz'
    np.savez(bad, codebook=np.zeros((4, 3, 4, 4), np.float32))
    with pytest.raises(ValueError, match=r'\(M, 3, 8, 8\)'):
        PatchVQTokenizer(str(bad))
