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
    assert len(decoded) == 18 and decoded[0].shape == (72, 100, 3)
    from PIL import Image
    gif = Image.open(osp.join(out, 'edited.gif'))
    assert gif.n_frames == 18
    printed = capsys.readouterr().out
    assert 'edit: 18 result(s)' in printed
    assert '12 U-Net+ControlNet evaluations' in printed
    assert '6 transformer passes' in printed  # chunks of 16 and 3 frames


@pytest.fixture
def run_edit(infer_tool, tmp_path):
    """``run_edit(checkpoint, *flags, video=, out=)``: tools/infer.py edit
    on a 6-frame video (written once per test)."""

    def run(checkpoint, *extra, video=None, out=None):
        if video is None:
            video = str(tmp_path / 'in.mp4')
            if not osp.exists(video):
                write_video(video, num_frames=6)
        infer_tool.main([
            'edit', CONFIG, checkpoint, video, '--prompt', 'a', '--out-dir',
            out or str(tmp_path / 'o'), '--device', 'cpu', *extra
        ])

    return run


@pytest.fixture
def no_build(monkeypatch):
    from mmhuman_ext.models.editors.maskint import edit_pipeline

    def never(*args, **kwargs):
        raise AssertionError('a network was built before the checks')

    monkeypatch.setattr(edit_pipeline.MaskINTEditPipeline, '__init__', never)


@pytest.mark.parametrize('extra, message', [
    (['--interval', '0'], '--interval must be >= 1, got 0'),
    (['--max-frames', '1'], '--max-frames must be 0 (all frames) or >= 2'),
    (['--start', '5'], '--start 5 --interval 1 leave 1'),
    (['--fps', '0'], '--fps must be > 0'),
    (['--ddim-steps', '0'], '--ddim-steps must be >= 1'),
    (['--keyframe-stride', '0'], '--keyframe-stride must be >= 1'),
])
def test_edit_tool_refuses_bad_numbers_before_loading(
        run_edit, checkpoint, no_build, extra, message):
    with pytest.raises(SystemExit) as err:
        run_edit(checkpoint, *extra)
    assert message in str(err.value)


def test_edit_tool_refuses_bad_checkpoints_and_outputs(
        run_edit, tmp_path, checkpoint, no_build):
    cases = []
    with pytest.raises(SystemExit) as err:
        run_edit('')  # an unset shell variable
    cases.append((err, 'checkpoint argument is empty'))
    with pytest.raises(SystemExit) as err:
        run_edit('none')
    cases.append((err, 'only with --random-interpolator'))
    notes = tmp_path / 'notes.txt'
    notes.write_text('not a checkpoint')
    with pytest.raises(SystemExit) as err:
        run_edit(str(notes))
    cases.append((err, 'notes.txt is not a PyTorch checkpoint'))
    with pytest.raises(SystemExit) as err:
        run_edit(str(tmp_path / 'gone.pth'))
    cases.append((err, 'checkpoint: file'))
    with pytest.raises(SystemExit) as err:
        run_edit(checkpoint, out=str(notes / 'sub'))
    cases.append((err, 'not writable'))
    with pytest.raises(SystemExit) as err:
        run_edit(checkpoint, '--half')
    cases.append((err, 'half precision needs a CUDA device'))
    fake = tmp_path / 'fake.mp4'
    fake.write_text('no video')
    with pytest.raises(SystemExit) as err:
        run_edit(checkpoint, video=str(fake))
    cases.append((err, 'not a video file FFmpeg can read'))
    for err, message in cases:
        assert message in str(err.value), (message, str(err.value))


def test_edit_tool_random_interpolator_needs_the_flag(
        run_edit, tmp_path, capsys):
    tok = write_clip_tokenizer(str(tmp_path / 'tokenizer'))
    run_edit('none', '--random-interpolator', '--decode-steps', '2',
             '--ddim-steps', '2', '--no-gif', '--cfg-options',
             f'model.keyframe_editor.tokenizer.from_pretrained={tok}')
    printed = capsys.readouterr().out
    assert '6 frames of 100x72 at 12 fps' in printed
    assert '8 U-Net+ControlNet evaluations, 2 transformer passes' in printed


def test_edit_tool_bad_input(infer_tool, tmp_path, checkpoint):
    with pytest.raises(SystemExit, match='input video .* does not exist'):
        infer_tool.main([
            'edit', CONFIG, checkpoint,
            str(tmp_path / 'none.mp4'), '--prompt', 'a', '--device', 'cpu',
            '--out-dir',
            str(tmp_path / 'o')
        ])
