"""tools/infer.py edit: MaskINT on a random tiny edit pipeline of the demo
config."""
import os
import os.path as osp
import sys

import numpy as np
import pytest
import torch

ROOT = osp.join(osp.dirname(__file__), '..', '..')
sys.path.insert(
    0, osp.join(ROOT, 'tests', 'test_models', 'test_editors', 'test_maskint'))
from maskint_tiny import CONFIG, write_clip_tokenizer  # noqa: E402


def write_video(path, num_frames=18, size=(72, 100)):
    from mmhuman_ext.utils.video import VideoWriter
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
    with VideoWriter(path, fps=12, channel_order='rgb') as writer:
        for i in range(num_frames):
            writer.write(np.roll(base, 2 * i, axis=1))


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """A random MaskINT of the demo config, saved as tools/train.py does."""
    from mmengine import Config

    from mmhuman_ext.registry import MODELS
    root = tmp_path_factory.mktemp('ckpt')
    torch.manual_seed(1)
    model = MODELS.build(Config.fromfile(CONFIG).model.interpolator)
    path = str(root / 'maskint.pth')
    torch.save(dict(meta=dict(epoch=1), state_dict=model.state_dict()), path)
    return path


def test_edit_tool_writes_frames_mp4_gif(infer_tool, tmp_path, checkpoint,
                                         capsys):
    from mmhuman_ext.utils.video import read_video_frames
    video = str(tmp_path / 'in.mp4')
    write_video(video)
    tok = write_clip_tokenizer(str(tmp_path / 'tokenizer'))
    out = str(tmp_path / 'out')
    infer_tool.main([
        'edit', CONFIG, checkpoint, video, '--prompt', 'a wolf', '--device',
        'cpu', '--out-dir', out, '--cfg-options', 'model.num_steps=3',
        f'model.keyframe_editor.tokenizer.from_pretrained={tok}',
        'model.keyframe_editor.num_inference_steps=2'
    ])
    frames = sorted(os.listdir(osp.join(out, 'edited')))
    assert frames == [f'{i:05d}.png' for i in range(18)]
    assert sorted(os.listdir(osp.join(out, 'keyframes'))) == [
        '00000.png', '00015.png', '00017.png']
    decoded = list(read_video_frames(osp.join(out, 'edited.mp4'),
                                     channel_order='rgb'))
    assert len(decoded) == 18 and decoded[0].shape == (64, 96, 3)
    from PIL import Image
    gif = Image.open(osp.join(out, 'edited.gif'))
    assert gif.n_frames == 18
    printed = capsys.readouterr().out
    assert 'edit: 18 result(s)' in printed
    assert '12 U-Net+ControlNet evaluations' in printed
    assert '6 transformer passes' in printed  # chunks of 16 and 3 frames


def test_edit_tool_bad_input(infer_tool, tmp_path, checkpoint):
    with pytest.raises(FileNotFoundError, match='input video .* does not '
                       'exist'):
        infer_tool.main([
            'edit', CONFIG, checkpoint,
            str(tmp_path / 'none.mp4'), '--prompt', 'a', '--device', 'cpu',
            '--out-dir',
            str(tmp_path / 'o')
        ])
