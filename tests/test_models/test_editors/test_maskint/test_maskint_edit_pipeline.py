import os.path as osp
import sys

import pytest
import torch

from mmhuman_ext.models.editors.maskint.edit_pipeline import (
    chunk_bounds, keyframe_groups, keyframe_indices, padded_size,
    working_size)
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
    """20 frames at 72 x 100 -> edited at 67 x 92 (the aspect kept at about
    64 x 96 pixels) padded to 80 x 96, written back at 72 x 100; keyframes
    0, 15, 19 edited jointly; chunks of 16 and 5 frames decoded in two
    batched calls of K = 4 passes."""
    frames = torch.rand(20, 3, 72, 100)
    res = pipeline.edit(frames, **_prompt())
    assert res['working_size'] == (67, 92)
    assert res['pred_frames'].shape == (20, 3, 72, 100)
    assert res['source_frames'].shape == (20, 3, 72, 100)
    assert res['keyframe_pixels'].shape == (3, 3, 72, 100)
    assert 0 <= res['pred_frames'].min() and res['pred_frames'].max() <= 1
    assert res['keyframes'] == [0, 15, 19]
    assert res['nfe_diffusion'] == 3 * 2 * 2
    assert res['nfe_transformer'] == 2 * 4
    assert res['num_evaluations'] == 12 + 8
    assert res['runtime_s'] == pytest.approx(
        sum(res[f'runtime_{s}_s'] for s in ('structure', 'keyframes',
                                             'tokenize', 'interpolate',
                                             'decode')))
    fixed = pipeline.edit(frames, fixed_size=True, **_prompt())
    assert fixed['pred_frames'].shape == (20, 3, 64, 96)
    assert fixed['source_frames'].shape == (20, 3, 64, 96)
    # keyframes come out as the VQ reconstruction of the stage-1 pixels
    # (at a size that needs no padding)
    exact = pipeline.edit(frames[:5, :, :64, :96], **_prompt())
    tok = pipeline.tokenizer
    recon = (tok.decode(tok.encode(exact['keyframe_pixels'] * 2 - 1)) +
             1) / 2
    assert torch.allclose(exact['pred_frames'][[0, 4]], recon.clamp(0, 1),
                          atol=1e-5)
    again = pipeline.edit(frames, **_prompt())
    assert torch.equal(again['pred_frames'], res['pred_frames'])


def test_chunks_are_batched_and_independent(pipeline):
    """Two chunks of 16 frames go through the transformer as one batch of 2
    (K passes, not 2K)."""
    res = pipeline.edit(torch.rand(31, 3, 64, 96), **_prompt())
    assert res['pred_frames'].shape == (31, 3, 64, 96)
    assert res['keyframes'] == [0, 15, 30]
    assert res['nfe_transformer'] == 4
    assert res['nfe_diffusion'] == 3 * 2 * 2


def test_predict_mode_returns_metric_inputs(pipeline):
    clips = [torch.rand(4, 3, 72, 100)]  # evaluated at exactly 64 x 96
    samples = [dict(video_id='v', **_prompt())]
    (out, ) = pipeline(clips, samples, mode='predict')
    assert out['video_id'] == 'v'
    assert out['pred_frames'].shape == (4, 3, 64, 96)
    assert out['num_evaluations'] == 2 * 2 * 2 + 4
    with pytest.raises(ValueError, match='inference only'):
        pipeline(clips, samples, mode='loss')


def test_sizes_keep_the_aspect_and_pad_to_the_networks_multiple(pipeline):
    assert pipeline.size_multiple == 16  # VAE 8 x U-Net 2; VQ 8 x conv 2
    assert working_size(72, 100, (64, 96)) == (67, 92)
    assert working_size(100, 72, (64, 96)) == (92, 67)  # portrait stays
    assert working_size(1080, 1920, (384, 672)) == (381, 677)
    assert working_size(72, 100, (64, 96), keep_aspect=False) == (64, 96)
    assert working_size(60, 90, None) == (60, 90)
    assert padded_size(67, 92, 16) == (80, 96)
    assert padded_size(64, 96, 64) == (64, 128)
    # a portrait video comes back portrait at its own size
    res = pipeline.edit(torch.rand(3, 3, 100, 72), **_prompt())
    assert res['pred_frames'].shape == (3, 3, 100, 72)
    assert res['working_size'] == (92, 67)
    cfg = tiny_pipeline_cfg()
    cfg['resolution'] = None
    torch.manual_seed(0)
    keep = MODELS.build(cfg)
    res = keep.edit(torch.rand(3, 3, 60, 90), **_prompt())
    assert res['pred_frames'].shape == (3, 3, 60, 90)
    assert res['working_size'] == (60, 90)


def test_keyframe_micro_batches_with_anchors():
    keys = list(range(0, 61, 7))  # 9 keyframes
    assert keyframe_groups(keys, 4) == [([0, 7, 14, 21], []),
                                        ([28, 35, 42, 49], [0, 21]),
                                        ([56], [0, 49])]
    assert keyframe_groups([0, 7], 1) == [([0], []), ([7], [0])]
    with pytest.raises(ValueError, match='keyframe_batch_size'):
        keyframe_groups(keys, 0)


def test_stage1_joint_batches_are_bounded(pipeline):
    """61 frames, keyframes 0, 15, 30, 45, 60 in micro-batches of 2: the
    editor sees 2, then 2 + anchors {0, 15}, then 1 + anchors {0, 45}
    keyframes: (2 + 4 + 3) x 2 steps x 2 samples evaluations."""
    seen = []
    editor = pipeline.keyframe_editor
    original = editor.edit

    def spy(structure, **kwargs):
        seen.append(len(structure))
        return original(structure, **kwargs)

    pipeline.keyframe_batch_size = 2
    editor.edit = spy
    try:
        res = pipeline.edit(torch.rand(61, 3, 32, 48), **_prompt())
    finally:
        pipeline.keyframe_batch_size = 4
        del editor.edit
    assert res['keyframes'] == [0, 15, 30, 45, 60]
    assert seen == [2, 4, 3]
    assert res['nfe_diffusion'] == 9 * 2 * 2
    assert res['pred_frames'].shape == (61, 3, 32, 48)


def test_stream_holds_a_bounded_window(pipeline):
    """Frames are pulled from the source only a bounded distance ahead of
    the frames handed out, whatever the video's length, and handed out in
    order."""
    pulled, lags, order = [0], [], []

    def source(n):
        for _ in range(n):
            pulled[0] += 1
            yield torch.rand(3, 32, 48)

    def sink(index, frame, keyframe):
        order.append(index)
        lags.append(pulled[0] - index)
        assert frame.shape == (3, 32, 48)

    pipeline.keyframe_batch_size = 1
    try:
        res = pipeline.edit_stream(source(100), 100, (32, 48), sink,
                                   **_prompt())
    finally:
        pipeline.keyframe_batch_size = 4
    assert order == list(range(100))
    # one chunk of 16 frames plus one structure batch of 16 at most
    assert max(lags) <= 16 + 16
    assert res['keyframes'][-1] == 99
    with pytest.raises(ValueError, match='ended after 5 frames'):
        pipeline.edit_stream(source(5), 6, (32, 48), sink, **_prompt())


def test_progress_reports_every_step(pipeline):
    calls = []
    pipeline.edit(torch.rand(20, 3, 64, 96), **_prompt(),
                  progress=lambda *a: calls.append(a))
    steps = [c for c in calls if c[0] == 'keyframes']
    passes = [c for c in calls if c[0] == 'interpolate']
    assert steps == [('keyframes', i, 2) for i in (1, 2)]
    assert passes == [('interpolate', i, 8) for i in range(1, 9)]
    assert calls[-1][0] == 'interpolate'
    assert ('structure', 20, 20) in calls


def test_bad_input(pipeline, tmp_path):
    with pytest.raises(ValueError, match='at least 2 frames'):
        pipeline.edit(torch.rand(1, 3, 64, 96), **_prompt())
    with pytest.raises(MissingPretrainedError, match='MaskINT checkpoint'):
        pipeline.load_interpolator(str(tmp_path / 'none.pth'))
    torch.save({'state_dict': {'x': torch.zeros(1)}}, tmp_path / 'bad.pth')
    with pytest.raises(ValueError, match="loaded 0 of the model's"):
        pipeline.load_interpolator(str(tmp_path / 'bad.pth'))
    state = pipeline.interpolator.state_dict()
    state.pop(next(k for k in state if k.startswith('transformer.')))
    torch.save({'state_dict': state}, tmp_path / 'short.pth')
    with pytest.raises(KeyError, match='lacks 1 transformer weights'):
        pipeline.load_interpolator(str(tmp_path / 'short.pth'))
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
