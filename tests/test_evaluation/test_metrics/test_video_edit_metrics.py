import pytest
import torch

from mmhuman_ext.evaluation.metrics.video_edit_metrics import (
    CLIPVideoConsistency, EditRuntime, FlowWarpingError, RAFTFlow,
    clip_prompt_consistency, clip_temporal_consistency, flow_warp,
    occlusion_mask, warping_error)
from mmhuman_ext.utils.pretrained import MissingPretrainedError

TINY_CLIP = dict(
    text_config=dict(vocab_size=100, hidden_size=32, intermediate_size=37,
                     num_hidden_layers=1, num_attention_heads=4),
    vision_config=dict(image_size=32, patch_size=8, hidden_size=32,
                       intermediate_size=37, num_hidden_layers=1,
                       num_attention_heads=4),
    projection_dim=16)


def shifted_video(num_frames=4, size=(32, 40), step=(3, 2), seed=0):
    """Frames of a texture translating by ``step`` = (dx, dy) px per frame,
    and the exact flow between any two frames."""
    h, w = size
    pad = max(step) * num_frames
    g = torch.Generator().manual_seed(seed)
    big = torch.rand(1, 3, h + 2 * pad, w + 2 * pad, generator=g)
    dx, dy = step
    frames = torch.cat([
        big[..., pad - dy * i:pad - dy * i + h, pad - dx * i:pad - dx * i + w]
        for i in range(num_frames)
    ])

    def flow_fn(src, dst):
        def index(x):
            return [int((frames - f).abs().flatten(1).sum(1).argmin())
                    for f in x]
        out = torch.zeros(len(src), 2, h, w)
        for k, (a, b) in enumerate(zip(index(src), index(dst))):
            out[k, 0], out[k, 1] = dx * (b - a), dy * (b - a)
        return out

    return frames, flow_fn


def test_clip_consistency_formulas():
    e = torch.randn(1, 8).expand(5, -1)
    assert float(clip_temporal_consistency(e)) == pytest.approx(1.)
    assert float(clip_prompt_consistency(e, e[0])) == pytest.approx(1.)
    assert float(clip_prompt_consistency(e, -e[0])) == pytest.approx(-1.)
    alt = torch.stack([torch.tensor([1., 0]), torch.tensor([0., 1])] * 2)
    assert float(clip_temporal_consistency(alt)) == pytest.approx(0.)


def test_clip_metric_static_video_and_averaging():
    torch.manual_seed(0)
    metric = CLIPVideoConsistency(clip=TINY_CLIP)
    static = torch.rand(1, 3, 48, 64).expand(6, -1, -1, -1)
    moving = torch.rand(6, 3, 48, 64)
    text = torch.randn(16)
    samples = [dict(video_id='a', pred_frames=static, text_embeds=text),
               dict(video_id='a', pred_frames=moving, text_embeds=text),
               dict(video_id='b', pred_frames=static, text_embeds=text)]
    metric.process(None, samples)
    tc = [r['clip_tc'] for r in metric.results]
    assert tc[0] == pytest.approx(1., abs=1e-5)
    assert tc[1] < 1 - 1e-4
    assert all(-1 <= r['clip_pc'] <= 1 for r in metric.results)
    res = metric.compute_metrics(metric.results)
    # per video first (a: mean of two prompts), then over videos
    assert res['clip_tc'] == pytest.approx(((tc[0] + tc[1]) / 2 + tc[2]) / 2)
    # CLIP preprocessing: short side to the model size, centre crop
    assert metric.preprocess(torch.rand(2, 3, 48, 64)).shape == (2, 3, 32,
                                                                  32)


def test_clip_metric_missing_folder(tmp_path):
    with pytest.raises(MissingPretrainedError,
                       match='clip-vit-large-patch14'):
        CLIPVideoConsistency(clip=str(tmp_path / 'clip'))


def test_warp_with_exact_flow():
    frames, flow_fn = shifted_video()
    flow = flow_fn(frames[:1], frames[1:2])
    warped = flow_warp(frames[1:2], flow)
    # inside the frame the warped next frame is the current one
    assert torch.allclose(warped[..., :-2, :-3], frames[:1, :, :-2, :-3],
                          atol=1e-5)


def test_occlusion_mask_marks_pixels_leaving_the_frame():
    frames, flow_fn = shifted_video()
    fw, bw = flow_fn(frames[:1], frames[1:2]), flow_fn(frames[1:2],
                                                       frames[:1])
    occ = occlusion_mask(fw, bw)[0, 0]
    # moving right by 3 / down by 2: the last 3 columns and 2 rows leave
    assert occ[:, -3:].all() and occ[-2:, :].all()
    assert occ[:-2, :-3].sum() == 0
    # a motion boundary: flow jumps between two halves
    jump = torch.zeros(1, 2, 16, 16)
    jump[:, 0, :, 8:] = 4
    assert occlusion_mask(jump, -jump)[0, 0, :, 7].all()


def test_warping_error_zero_for_consistent_edit():
    frames, flow_fn = shifted_video(num_frames=5)
    metric = FlowWarpingError(flow_fn=flow_fn)
    # an edit applied identically to every frame moves with the source
    edited = (1 - frames) ** 2
    short, long = metric.pair_errors(frames, edited)
    assert short == pytest.approx(0, abs=1e-10)
    assert long == pytest.approx(0, abs=1e-10)
    flicker = (edited + 0.1 * torch.randn_like(edited)).clamp(0, 1)
    short_f, long_f = metric.pair_errors(frames, flicker)
    assert short_f > 1e-3 and long_f > 1e-3
    # the error is the masked mean square over pixels and channels
    fw = flow_fn(frames[:1], frames[1:2])
    bw = flow_fn(frames[1:2], frames[:1])
    vis = 1 - occlusion_mask(fw, bw)
    diff = flow_warp(flicker[1:2], fw) - flicker[:1]
    expected = (vis * diff**2).sum() / (3 * vis.sum())
    assert float(warping_error(flicker[:1], flicker[1:2], fw, bw)[0]) == \
        pytest.approx(float(expected), rel=1e-6)


def test_warping_metric_results_and_shape_check():
    frames, flow_fn = shifted_video(num_frames=3)
    metric = FlowWarpingError(flow_fn=flow_fn)
    metric.process(None, [dict(video_id='a', source_frames=frames,
                               pred_frames=frames)])
    res = metric.compute_metrics(metric.results)
    assert set(res) == {'warp_err', 'longterm_warp_err'}
    assert res['warp_err'] == pytest.approx(0, abs=1e-10)
    with pytest.raises(ValueError, match='of one shape'):
        metric.process(None, [dict(video_id='a', source_frames=frames,
                                   pred_frames=frames[:2])])


def test_raft_flow(tmp_path):
    torch.manual_seed(0)
    raft = RAFTFlow(None, 'raft_small', num_flow_updates=2)
    flow = raft(torch.rand(1, 3, 128, 136), torch.rand(1, 3, 128, 136))
    assert flow.shape == (1, 2, 128, 136)
    with pytest.raises(ValueError, match='at least 128'):
        raft(torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64))
    torch.save(raft.net.state_dict(), tmp_path / 'raft.pth')
    loaded = RAFTFlow(str(tmp_path / 'raft.pth'), 'raft_small')
    assert all(torch.equal(a, b) for a, b in zip(
        loaded.state_dict().values(), raft.state_dict().values()))
    with pytest.raises(MissingPretrainedError, match='raft_large_C_T_SKHT'):
        RAFTFlow(str(tmp_path / 'none.pth'))


def test_edit_runtime():
    metric = EditRuntime()
    metric.process(None, [
        dict(video_id='a', runtime_s=2., runtime_keyframes_s=1.5,
             num_evaluations=232, pred_frames=None),
        dict(video_id='b', runtime_s=4., runtime_keyframes_s=2.5,
             num_evaluations=232)
    ])
    res = metric.compute_metrics(metric.results)
    assert res == dict(num_evaluations=232., runtime_keyframes_s=2.,
                       runtime_s=3.)
