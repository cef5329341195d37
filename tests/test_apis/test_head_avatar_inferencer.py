"""HeadAvatarInferencer: a CVTHead source frame animated by a driving
video's codes, a FLAME controls file and control sweeps; video + strip +
JSON written."""
import json
import os.path as osp
import sys

import numpy as np
import pytest
import torch

from mmhuman_ext.apis.inferencers import HeadAvatarInferencer
from mmhuman_ext.utils.video import read_video_frames

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', 'test_models',
                            'test_editors', 'test_cvthead'))
from test_cvthead import tiny_cfg  # noqa: E402


@pytest.fixture(scope='module')
def setup(cvthead_small_data):
    root = cvthead_small_data
    torch.manual_seed(0)
    inferencer = HeadAvatarInferencer(
        dict(model=tiny_cfg(root)),
        data_root=root,
        device='cpu',
        show_progress=False)
    with open(osp.join(root, 'test_imgs.json')) as f:
        videos = json.load(f)
    return inferencer, root, videos


def test_reenactment_sweep_and_controls(setup, tmp_path):
    inferencer, root, videos = setup
    source, driver = sorted(videos)[:2]
    controls = tmp_path / 'smile.npz'
    exp = np.zeros((3, 50), np.float32)
    exp[:, 0] = [0., 1., 2.]
    np.savez(controls, exp=exp)
    out = tmp_path / 'out'
    result = inferencer([driver, 'jaw', str(controls)],
                        source=dict(video=source, frame=0),
                        out_dir=str(out),
                        fps=5,
                        return_vis=True)
    reenact, jaw, smile = result['predictions']
    assert reenact['name'] == f'reenact_{driver}'
    assert len(reenact['frames']) == len(videos[driver])
    assert len(jaw['frames']) == 10
    assert len(smile['frames']) == 3
    size = reenact['frames'][0].shape
    assert size == (64, 64, 3)
    # the jaw opens: first and last sweep frames differ; the controls file
    # with exp[0] = 0 renders the source's other codes with a neutral
    # expression, different from exp[0] = 2
    assert not np.array_equal(jaw['frames'][0], jaw['frames'][-1])
    assert not np.array_equal(smile['frames'][0], smile['frames'][2])
    strip = result['visualization'][1]
    assert strip.shape == (64, 64 * 11, 3)  # source + 10 frames
    video = out / 'visualizations' / 'control_jaw.mp4'
    assert len(list(read_video_frames(str(video)))) == 10
    assert osp.isfile(out / 'visualizations' / 'control_jaw.png')
    with open(out / 'predictions' / 'smile.json') as f:
        codes = json.load(f)['driving_codes']
    assert [c['exp'][0] for c in codes] == [0., 1., 2.]


def test_bad_driving_inputs(setup, tmp_path):
    inferencer, root, videos = setup
    source = sorted(videos)[0]
    with pytest.raises(ValueError, match='source=dict'):
        inferencer('jaw')
    with pytest.raises(FileNotFoundError, match='no_such_video'):
        inferencer('no_such_video', source=dict(video=source))
    bad = tmp_path / 'bad.npz'
    np.savez(bad, exp=np.zeros((2, 10), np.float32))
    with pytest.raises(ValueError, match=r"'exp' must have shape \(T, 50\)"):
        inferencer(str(bad), source=dict(video=source))
