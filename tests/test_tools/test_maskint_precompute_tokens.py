import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch

from mmhuman_ext.datasets import VideoTokenClipDataset
from mmhuman_ext.models.editors.maskint import (MaskINTDataPreprocessor,
                                                PatchVQTokenizer)

ROOT = osp.join(osp.dirname(__file__), '..', '..')


def _tool():
    spec = importlib.util.spec_from_file_location(
        'maskint_precompute_tokens',
        osp.join(ROOT, 'tools', 'dataset_converters',
                 'maskint_precompute_tokens.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def write_config(tmp, num_codes: int = 32, iters: int = 3) -> str:
    """A config of synthetic videos in ``tmp/videos``, a patch codebook of
    ``num_codes`` and the token cache in ``tmp/tokens``."""
    cfg = tmp / f'cfg{num_codes}.py'
    cfg.write_text(f'''
data_root = r"{tmp}/videos"
token_root = r"{tmp}/tokens"
frame_size = (32, 48)
synthetic_cfg = dict(num_train=2, num_val=1, num_frames=10,
                     frame_size=frame_size)
codebook_cfg = dict(num_codes={num_codes}, iters={iters})
model = dict(data_preprocessor=dict(
    type='MaskINTDataPreprocessor',
    tokenizer=dict(type='PatchVQTokenizer',
                   codebook=r"{tmp}/videos/codebook.npz"),
    structure_detector=dict(type='CannyEdgeDetector')))
''')
    return str(cfg)


@pytest.fixture(scope='module')
def config(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('precompute')
    return write_config(tmp), tmp


def test_synthetic_codebook_and_cache(config):
    cfg, tmp = config
    _tool().main([cfg, '--synthetic', '--fit-patch-codebook'])
    with open(tmp / 'tokens' / 'train.json') as f:
        entries = json.load(f)['videos']
    assert [e['video_id'] for e in entries] == ['train_0000', 'train_0001']
    path = tmp / 'tokens' / entries[0]['token_path']
    with np.load(path, allow_pickle=False) as data:
        color, structure = data['color'], data['structure']
    assert color.dtype == np.uint16 and color.shape == (10, 4, 6)
    assert structure.shape == (10, 4, 6) and structure.max() < 32
    # the cache equals the online path on the same frames and edge maps
    tok = PatchVQTokenizer(str(tmp / 'videos' / 'codebook.npz'))
    pre = MaskINTDataPreprocessor(tokenizer=dict(
        type='PatchVQTokenizer', codebook=str(tmp / 'videos' /
                                              'codebook.npz')))
    video = _tool().load_video(
        json.load(open(tmp / 'videos' / 'train.json'))['videos'][0],
        str(tmp / 'videos'), (32, 48))
    frames = torch.from_numpy(video['frames']).permute(0, 3, 1, 2)
    assert np.array_equal(
        color, tok.encode(frames.float() / 127.5 - 1).numpy())
    maps = torch.from_numpy(video['structure_maps']).permute(0, 3, 1, 2)
    assert np.array_equal(
        structure,
        pre.structure_tokens(frames[None].float() / 127.5 - 1,
                             maps[None].float() / 255)[0].numpy())
    ds = VideoTokenClipDataset(
        data_root=str(tmp / 'tokens'), ann_file='val.json', clip_len=4,
        frame_intervals=(1, ), test_mode=True, pipeline=[
            dict(type='SampleClipIndices'), dict(type='LoadTokenClip'),
            dict(type='PackMaskINTInputs')])
    assert ds[0]['inputs']['color_tokens'].shape == (4, 4, 6)


def test_missing_annotation_file(config):
    cfg, tmp = config
    with pytest.raises(FileNotFoundError, match='nothing.json'):
        _tool().main([cfg, '--ann-files', 'nothing.json'])
