"""Motion-transfer API and ``tools/infer.py motion`` end to end with a
random-weight ORFNT checkpoint on puppet data."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from mmhuman_ext.apis.motion_transfer import (MotionTransferer,
                                              driving_iuv_source)
from mmhuman_ext.utils.video import video_info

ROOT = osp.join(osp.dirname(__file__), '..', '..')
# the demo model (last stage: 64 -> 128 with BlenderNet's SR block)
CONFIG = osp.join(ROOT, 'configs', 'demo',
                  'orfnt-tiny-s4-blender-sr_1xb4-600i_puppets-64to128.py')


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    from mmengine import Config

    from mmhuman_ext.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(CONFIG).model)
    path = tmp_path_factory.mktemp('orfnt') / 'random.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    return str(path)


def test_tool_writes_frames_video_and_comparison(infer_tool,
                                                 puppet_small_data,
                                                 checkpoint, tmp_path):
    source = osp.join(puppet_small_data, 'test', 'puppet000', 'frames',
                      '000000.png')
    driving = osp.join(puppet_small_data, 'test', 'puppet001')
    out = tmp_path / 'out'
    infer_tool.main(['motion', CONFIG, checkpoint, '--source', source,
                  '--driving', driving, '--out-dir', str(out), '--comparison',
                  '--fps', '10', '--batch-size', '4', '--device', 'cpu'])
    frames = sorted(os.listdir(out / 'frames'))
    assert frames == [f'{t:06d}.png' for t in range(6)]
    img = cv2.imread(str(out / 'frames' / '000003.png'))
    assert img.shape == (128, 128, 3)
    info = video_info(str(out / 'animation.mp4'))
    assert (info['width'], info['height']) == (128, 128)
    assert info['fps'] == pytest.approx(10)
    cmp = video_info(str(out / 'comparison.mp4'))
    assert (cmp['width'], cmp['height']) == (384, 128)


def test_api_matches_model_animate(puppet_small_data, checkpoint):
    anim = MotionTransferer.from_config(CONFIG, checkpoint)
    assert anim.size == anim.model.out_size == 128
    vdir = osp.join(puppet_small_data, 'test', 'puppet001')
    src = cv2.imread(osp.join(vdir, 'frames', '000000.png'))[..., ::-1]
    from mmhuman_ext.datasets.motion_transfer_inputs import read_iuv
    src_iuv = read_iuv(osp.join(vdir, 'iuv', '000000.png'))
    count, iuvs = driving_iuv_source(vdir)
    iuvs = list(iuvs)
    assert count == 6 == len(iuvs)
    # batching does not change the frames
    one = [o['frame'] for o in anim.animate(src, src_iuv, iuvs, 1)]
    four = [o['frame'] for o in anim.animate(src, src_iuv, iuvs, 4)]
    for a, b in zip(one, four):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1
    # and equal the model's own animate() on the same tensors
    x = torch.from_numpy(src.copy()).permute(2, 0, 1)[None].float()
    ref = anim.model.animate(x / 127.5 - 1, torch.from_numpy(
        src_iuv.transpose(2, 0, 1))[None], torch.from_numpy(
            iuvs[2].transpose(2, 0, 1))[None])['fake'][0]
    ref = ((ref.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0)
    assert np.abs(ref.numpy().astype(int) - one[2].astype(int)).max() <= 1
    # different poses give different frames
    assert np.abs(one[0].astype(int) - one[5].astype(int)).mean() > 0


def test_clear_errors(infer_tool, puppet_small_data, checkpoint, tmp_path):
    def motion(source, driving):
        infer_tool.main(['motion', CONFIG, checkpoint, '--source', source,
                   '--driving', driving, '--device', 'cpu', '--out-dir',
                   str(tmp_path / 'o')])

    frames = osp.join(puppet_small_data, 'test', 'puppet001', 'frames')
    source = osp.join(frames, '000000.png')
    with pytest.raises(ValueError, match='TorchScript DensePose model'):
        motion(source, frames)
    lonely = tmp_path / 'lonely.png'
    cv2.imwrite(str(lonely), np.zeros((64, 64, 3), np.uint8))
    with pytest.raises(ValueError, match='no DensePose map for the source'):
        motion(str(lonely), osp.dirname(frames))
    with pytest.raises(FileNotFoundError, match='source image'):
        motion(str(tmp_path / 'no.png'), frames)
