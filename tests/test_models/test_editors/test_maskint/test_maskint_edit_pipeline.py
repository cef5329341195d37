import os.path as osp
import sys

import pytest
import torch

from mmhuman_ext.models.editors.maskint.edit_pipeline import (
    chunk_bounds, keyframe_indices)
from mmhuman_ext.registry import MODELS
from mmhuman_ext.utils.pretrained import MissingPretrainedError

sys.path.insert(0, osp.dirname(__file__))
from maskint_tiny import tiny_pipeline_cfg  # noqa: E402


def test_long_video_keyframes_and_chunks():
    keys = keyframe_indices(60)
    assert keys == [0, 15, 30, 45, 59]
    chunks = chunk_bounds(keys)
    assert [b - a + 1 for a, b in chunks] == [16, 16, 16, 15]
    assert all(a == prev[1] for a, prev in zip(
        [c[0] for c in chunks[1:]], chunks))  # shared boundaries
    for n in (2, 9, 16):
        assert keyframe_indices(n) == [0, n - 1]
    assert keyframe_indices(17) == [0, 15, 16]
    assert keyframe_indices(31) == [0, 15, 30]
    with pytest.raises(ValueError, match='at least 2 frames'):
        keyframe_indices(1)
    assert keyframe_indices(9, chunk_len=5) == [0, 4, 8]


def test_chunk_len_and_num_steps_are_checked_when_built():
    cfg = tiny_pipeline_cfg()
    assert MODELS.build(dict(cfg, chunk_len=5)).chunk_len == 5
    with pytest.raises(ValueError, match='chunk_len must be >= 2, got 1'):
        MODELS.build(dict(cfg, chunk_len=1))
    cfg['interpolator']['transformer']['temporal_pos_embed'] = True
    cfg['interpolator']['transformer']['max_frames'] = 8
    with pytest.raises(ValueError, match=r'chunk_len=16 exceeds the '
                       r"interpolator's temporal table \(8 frames"):
        MODELS.build(dict(cfg, chunk_len=16))
    for steps in (0, -3):
        with pytest.raises(ValueError, match=r'num_steps \(MaskGIT decoding '
                           r'passes\) must be an integer >= 1'):
            MODELS.build(dict(tiny_pipeline_cfg(), num_steps=steps))


@pytest.fixture(scope='module')
def pipeline():
    torch.manual_seed(0)
    return MODELS.build(tiny_pipeline_cfg()).eval()


def _prompt():
    g = torch.Generator().manual_seed(0)
    return dict(prompt_embeds=torch.randn(1, 77, 32, generator=g),
                negative_prompt_embeds=torch.randn(1, 77, 32, generator=g))


def test_edit_end_to_end(pipeline):
    """20 frames at 72 x 100 -> resized to 64 x 96; keyframes 0, 15, 19
    edited jointly; chunks of 16 and 5 frames decoded in two batched
    calls of K = 4 passes."""
    frames = torch.rand(20, 3, 72, 100)
    res = pipeline.edit(frames, **_prompt())
    assert res['pred_frames'].shape == (20, 3, 64, 96)
    assert res['source_frames'].shape == (20, 3, 64, 96)
    assert 0 <= res['pred_frames'].min() and res['pred_frames'].max() <= 1
    assert res['keyframes'] == [0, 15, 19]
    assert res['nfe_diffusion'] == 3 * 2 * 2
    assert res['nfe_transformer'] == 2 * 4
    assert res['num_evaluations'] == 12 + 8
    assert res['runtime_s'] == pytest.approx(
        sum(res[f'runtime_{s}_s'] for s in ('structure', 'keyframes',
                                             'tokenize', 'interpolate',
                                             'decode')))
    # keyframes come out as the VQ reconstruction of the stage-1 pixels
    tok = pipeline.tokenizer
    recon = (tok.decode(tok.encode(res['keyframe_pixels'] * 2 - 1)) + 1) / 2
    assert torch.allclose(res['pred_frames'][[0, 15, 19]], recon.clamp(0, 1),
                          atol=1e-5)
    again = pipeline.edit(frames, **_prompt())
    assert torch.equal(again['pred_frames'], res['pred_frames'])


def test_chunks_are_batched_and_independent(pipeline):
    """Two chunks of 16 frames go through the transformer as one batch of 2
    (K passes, not 2K)."""
    res = pipeline.edit(torch.rand(31, 3, 64, 96), **_prompt())
    assert res['keyframes'] == [0, 15, 30]
    assert res['nfe_transformer'] == 4
    assert res['nfe_diffusion'] == 3 * 2 * 2


def test_predict_mode_returns_metric_inputs(pipeline):
    clips = [torch.rand(4, 3, 64, 96)]
    samples = [dict(video_id='v', **_prompt())]
    (out, ) = pipeline(clips, samples, mode='predict')
    assert out['video_id'] == 'v'
    assert out['pred_frames'].shape == (4, 3, 64, 96)
    assert out['num_evaluations'] == 2 * 2 * 2 + 4
    with pytest.raises(ValueError, match='inference only'):
        pipeline(clips, samples, mode='loss')


def test_bad_input(pipeline, tmp_path):
    cfg = tiny_pipeline_cfg()
    cfg['resolution'] = None
    torch.manual_seed(0)
    keep = MODELS.build(cfg)
    with pytest.raises(ValueError, match='not divisible by 8'):
        keep.edit(torch.rand(4, 3, 60, 96), **_prompt())
    with pytest.raises(ValueError, match='at least 2 frames'):
        pipeline.edit(torch.rand(1, 3, 64, 96), **_prompt())
    with pytest.raises(MissingPretrainedError, match='MaskINT checkpoint'):
        pipeline.load_interpolator(str(tmp_path / 'none.pth'))
    torch.save({'state_dict': {'x': torch.zeros(1)}}, tmp_path / 'bad.pth')
    with pytest.raises(KeyError, match='lacks .* transformer weights'):
        pipeline.load_interpolator(str(tmp_path / 'bad.pth'))
    cfg = tiny_pipeline_cfg()
    cfg['interpolator']['transformer']['codebook_size'] = 32
    with pytest.raises(ValueError, match='32 colour codes.*64'):
        MODELS.build(cfg)


def test_test_step_feeds_the_edit_metrics(tmp_path):
    """tools/test.py's path: benchmark dataset -> pseudo_collate ->
    test_step -> CLIP / warping / runtime metrics."""
    import json

    import cv2
    import numpy as np
    from mmengine.dataset import pseudo_collate

    from maskint_tiny import write_clip_tokenizer
    from mmhuman_ext.evaluation.metrics.video_edit_metrics import (
        CLIPVideoConsistency, EditRuntime, FlowWarpingError)
    from mmhuman_ext.registry import DATASETS
    folder = tmp_path / 'videos' / 'bear'
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(6):
        cv2.imwrite(str(folder / f'{i:05d}.jpg'),
                    rng.integers(0, 256, (48, 72, 3), dtype=np.uint8))
    (tmp_path / 'prompts.json').write_text(json.dumps({'bear': ['a panda']}))
    dataset = DATASETS.build(dict(
        type='VideoEditBenchmarkDataset',
        ann_file=str(tmp_path / 'prompts.json'),
        data_root=str(tmp_path / 'videos'), clip_len=6))
    torch.manual_seed(0)
    pipe = MODELS.build(tiny_pipeline_cfg(
        tokenizer_dir=write_clip_tokenizer(str(tmp_path / 'tok'))))
    outputs = pipe.test_step(pseudo_collate([dataset[0]]))
    assert outputs[0]['prompt'] == 'a panda'
    assert outputs[0]['pred_frames'].shape == (6, 3, 64, 96)

    def zero_flow(src, dst):
        return torch.zeros(len(src), 2, *src.shape[-2:])

    torch.manual_seed(0)
    metrics = [
        CLIPVideoConsistency(clip=dict(
            text_config=dict(vocab_size=520, hidden_size=32,
                             intermediate_size=37, num_hidden_layers=1,
                             num_attention_heads=4),
            vision_config=dict(image_size=32, patch_size=8, hidden_size=32,
                               intermediate_size=37, num_hidden_layers=1,
                               num_attention_heads=4),
            projection_dim=16)),
        FlowWarpingError(flow_fn=zero_flow), EditRuntime()
    ]
    metrics[0].tokenizer = pipe.keyframe_editor.tokenizer
    results = {}
    for metric in metrics:
        metric.process(None, outputs)
        results.update(metric.compute_metrics(metric.results))
    assert -1 <= results['clip_pc'] <= 1 and results['clip_tc'] <= 1 + 1e-6
    assert results['warp_err'] >= 0 and results['longterm_warp_err'] >= 0
    assert results['num_evaluations'] == 2 * 2 * 2 + 4
    assert results['runtime_s'] > 0
