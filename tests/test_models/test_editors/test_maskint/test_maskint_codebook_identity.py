"""MaskINT token caches and checkpoints record which codebook made their
tokens, and every reader checks it: a cache of another codebook, a stale
cache after re-fitting, an interpolator of another tokenizer, token ids
beyond the codebook and unreadable token files are refused by name."""
import io
import json
import os
import os.path as osp
import shutil
import sys

import numpy as np
import pytest
import torch

from mmhuman_ext.datasets import VideoTokenClipDataset
from mmhuman_ext.datasets.transforms import LoadTokenClip
from mmhuman_ext.models.editors.maskint import (MaskINT,
                                                MaskINTDataPreprocessor,
                                                PatchVQTokenizer)
from mmhuman_ext.models.editors.maskint.codebook import (
    CodebookMismatchError, codebook_identity)
from mmhuman_ext.models.editors.maskint.keyframe_editor import \
    _build_tokenizer
from mmhuman_ext.models.editors.maskint.vq_tokenizer import \
    save_patch_codebook
from mmhuman_ext.registry import MODELS
from mmhuman_ext.utils.pretrained import MissingPretrainedError

ROOT = osp.join(osp.dirname(__file__), '..', '..', '..', '..')
sys.path.insert(0, osp.dirname(__file__))
sys.path.insert(0, osp.join(ROOT, 'tests', 'test_tools'))
from maskint_tiny import tiny_pipeline_cfg, write_clip_tokenizer  # noqa
from test_maskint_precompute_tokens import _tool, write_config  # noqa


def _config(tmp, num_codes):
    return write_config(tmp, num_codes, iters=2)


def _recorded(path):
    with np.load(path, allow_pickle=False) as data:
        return str(data['codebook'][()]), int(data['color'].max())


@pytest.fixture(scope='module')
def cache(tmp_path_factory):
    """A token cache of a 32-code codebook."""
    tmp = tmp_path_factory.mktemp('identity')
    _tool().main([_config(tmp, 32), '--synthetic', '--fit-patch-codebook'])
    return tmp


def _dataset(tokens, ann='train.json'):
    return VideoTokenClipDataset(
        data_root=str(tokens), ann_file=ann, clip_len=4,
        frame_intervals=(1, ), pipeline=[
            dict(type='SampleClipIndices'), dict(type='LoadTokenClip'),
            dict(type='PackMaskINTInputs')])


def test_cache_records_the_codebook_and_refit_rewrites_it(cache, tmp_path):
    tmp = tmp_path / 'c'
    shutil.copytree(cache, tmp)
    tool = _tool()
    tool.main([_config(tmp, 32)])  # nothing changed: files kept
    identity32 = PatchVQTokenizer(str(tmp / 'videos/codebook.npz')
                                  ).codebook_identity
    assert identity32.startswith('32 codes, sha256 ')
    ann = json.loads((tmp / 'tokens/train.json').read_text())
    assert ann['codebook'] == identity32
    token_file = tmp / 'tokens' / ann['videos'][0]['token_path']
    assert _recorded(token_file)[0] == identity32
    # re-fit with 16 codes, no --overwrite: every file is made again
    tool.main([_config(tmp, 16), '--fit-patch-codebook'])
    identity16 = PatchVQTokenizer(str(tmp / 'videos/codebook.npz')
                                  ).codebook_identity
    found, top = _recorded(token_file)
    assert found == identity16 != identity32 and top < 16
    assert json.loads((tmp / 'tokens/train.json').read_text()
                      )['codebook'] == identity16


def test_dataset_refuses_a_token_file_of_another_codebook(cache, tmp_path):
    tokens = tmp_path / 'tokens'
    shutil.copytree(cache / 'tokens', tokens)
    ds = _dataset(tokens)
    item = ds[0]
    assert item['data_samples']['codebook'].startswith('32 codes')
    ann = json.loads((tokens / 'train.json').read_text())
    path = tokens / ann['videos'][1]['token_path']
    with np.load(path) as data:
        arrays = dict(data)
    arrays['codebook'] = np.array('64 codes, sha256 0123456789abcdef')
    np.savez(path, **arrays)
    with pytest.raises(CodebookMismatchError) as info:
        _dataset(tokens)
    assert str(path) in str(info.value) and '64 codes' in str(info.value)


def test_preprocessor_refuses_tokens_of_another_codebook(cache, tmp_path):
    pre = MaskINTDataPreprocessor(tokenizer=dict(
        type='PatchVQTokenizer', codebook=str(cache / 'videos/codebook.npz')))
    batch = dict(inputs=dict(color_tokens=torch.zeros(1, 4, 4, 6),
                             structure_tokens=torch.zeros(1, 4, 4, 6)),
                 data_samples=dict(video_id=['v0'], codebook=[
                     pre.tokenizer.codebook_identity]))
    pre(batch, training=True)  # the same codebook passes
    other = tmp_path / 'other.npz'
    save_patch_codebook(torch.rand(32, 3, 8, 8) * 2 - 1, str(other))
    batch['data_samples']['codebook'] = [
        PatchVQTokenizer(str(other)).codebook_identity]
    with pytest.raises(CodebookMismatchError, match="video 'v0'.*32 codes"):
        pre(batch, training=True)
    batch['data_samples']['codebook'] = ['']  # written before identities
    with pytest.raises(CodebookMismatchError, match='not recorded'):
        pre(batch, training=True)


def _token_file(path, color, codebook='16 codes, sha256 0123456789abcdef'):
    buf = io.BytesIO()
    np.savez(buf, color=color, structure=np.zeros_like(color),
             codebook=np.array(codebook))
    path.write_bytes(buf.getvalue())


def test_token_ids_beyond_the_codebook(tmp_path):
    color = np.zeros((4, 2, 3), np.uint16)
    color[2, 1, 1] = 16
    _token_file(tmp_path / 't.npz', color)
    results = dict(token_path=str(tmp_path / 't.npz'),
                   frame_inds=np.arange(4))
    with pytest.raises(ValueError, match=r't.npz: "color" holds token id 16;'
                       ' expected ids below the 16 codes'):
        LoadTokenClip()(results)
    # the model checks ids against its transformer before the embedding
    model = MaskINT(transformer=dict(
        type='MaskINTTransformer', codebook_size=16, embed_dims=16,
        num_layers=2, num_heads=2, token_hw=(4, 6), window_size=(2, 3)))
    tokens = torch.randint(16, (1, 4, 4, 6))
    model.loss(dict(color_tokens=tokens, structure_tokens=tokens))
    bad = tokens.clone()
    bad[0, 1, 2, 3] = 16
    with pytest.raises(ValueError, match=r'color_tokens hold ids in '
                       r'\[\d+, 16\]; the transformer has 16 codes'):
        model.loss(dict(color_tokens=bad, structure_tokens=tokens))


def test_unreadable_token_files_are_named(tmp_path):
    color = np.zeros((4, 2, 3), np.uint16)
    _token_file(tmp_path / 'ok.npz', color)
    data = (tmp_path / 'ok.npz').read_bytes()
    (tmp_path / 'cut.npz').write_bytes(data[:len(data) // 2])
    results = dict(token_path=str(tmp_path / 'cut.npz'),
                   frame_inds=np.arange(4))
    with pytest.raises(ValueError, match='cut.npz.*truncated'):
        LoadTokenClip()(results)
    np.savez(tmp_path / 'obj.npz', color=np.array([{'a': 1}], dtype=object),
             structure=color)
    results['token_path'] = str(tmp_path / 'obj.npz')
    with pytest.raises(ValueError, match="obj.npz: field 'color' cannot be "
                       'read'):
        LoadTokenClip()(results)


def test_edit_pipeline_refuses_an_interpolator_of_another_codebook(
        tmp_path):
    torch.manual_seed(0)
    pipeline = MODELS.build(tiny_pipeline_cfg())
    state = dict(pipeline.interpolator.state_dict())
    table = pipeline.tokenizer.vq.quantize.embedding.weight.detach()
    key = 'data_preprocessor.tokenizer.vq.quantize.embedding.weight'
    torch.save(dict(state_dict={**state, key: table.clone()}),
               tmp_path / 'same.pth')
    pipeline.load_interpolator(str(tmp_path / 'same.pth'))
    torch.save(dict(state_dict={**state, key: table + 1}),
               tmp_path / 'other.pth')
    with pytest.raises(CodebookMismatchError) as info:
        pipeline.load_interpolator(str(tmp_path / 'other.pth'))
    assert 'other.pth' in str(info.value)
    assert codebook_identity(table + 1) in str(info.value)


def test_clip_tokenizer_folder_without_its_config(tmp_path):
    folder = write_clip_tokenizer(str(tmp_path / 'tokenizer'))
    assert _build_tokenizer(dict(from_pretrained=folder)).model_max_length \
        == 77
    os.remove(osp.join(folder, 'tokenizer_config.json'))
    with pytest.raises(MissingPretrainedError,
                       match='tokenizer_config.json'):
        _build_tokenizer(dict(from_pretrained=folder))
