import colorsys

import numpy as np
import pytest
import torch

from mmhuman_ext.models.editors.maskint.hue_shift_editor import (
    HueShiftKeyframeEditor, hue_shift)


def test_hue_shift_matches_colorsys():
    red = torch.tensor([1., 0., 0.]).view(3, 1, 1)
    assert torch.allclose(hue_shift(red, 120), torch.tensor(
        [0., 1., 0.]).view(3, 1, 1), atol=1e-6)
    assert torch.allclose(hue_shift(red, 240), torch.tensor(
        [0., 0., 1.]).view(3, 1, 1), atol=1e-6)
    grey = torch.full((2, 3, 4, 4), 0.4)
    assert torch.allclose(hue_shift(grey, 77), grey)
    rng = np.random.default_rng(0)
    pixels = rng.random((50, 3))
    ours = hue_shift(torch.from_numpy(pixels).float().T[:, :, None],
                     100).squeeze(-1).T.numpy()
    for rgb, out in zip(pixels, ours):
        h, s, v = colorsys.rgb_to_hsv(*rgb)
        expected = colorsys.hsv_to_rgb((h + 100 / 360) % 1, s, v)
        assert np.allclose(out, expected, atol=1e-5)
    frames = torch.rand(2, 3, 8, 8)
    assert torch.allclose(hue_shift(frames, 360), frames, atol=1e-5)


def test_editor_shifts_the_source_keyframes():
    editor = HueShiftKeyframeEditor(degrees=60)
    source = torch.rand(3, 3, 16, 24)
    calls = []
    out = editor.edit(torch.rand(3, 1, 16, 24), source=source,
                      prompt='ignored', callback=lambda: calls.append(1))
    assert torch.equal(out, hue_shift(source, 60))
    assert calls == [1] and editor.num_evaluations == 0
    with pytest.raises(ValueError, match='pass source'):
        editor.edit(torch.rand(3, 1, 16, 24))


def test_pipeline_with_the_stand_in(tmp_path):
    """Stage 1 of the demo edit is exactly the hue shift of the source
    keyframes at the working size."""
    import sys
    import os.path as osp
    sys.path.insert(0, osp.dirname(__file__))
    from maskint_tiny import tiny_pipeline_cfg

    from mmhuman_ext.registry import MODELS
    cfg = tiny_pipeline_cfg()
    cfg['keyframe_editor'] = dict(type='HueShiftKeyframeEditor')
    torch.manual_seed(0)
    pipeline = MODELS.build(cfg).eval()
    assert pipeline.size_multiple == 16  # the VQ and the transformer only
    frames = torch.rand(9, 3, 64, 96)
    res = pipeline.edit(frames, prompt='hue')
    assert res['nfe_diffusion'] == 0
    assert torch.allclose(res['keyframe_pixels'],
                          hue_shift(frames[[0, 8]], 120), atol=1e-6)
