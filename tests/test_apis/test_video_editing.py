"""The MaskINT edit API: checks before any network is built, streamed
output at the source size / frame rate with the source's audio, a clean
output folder."""
import os
import os.path as osp
import sys
from fractions import Fraction

import numpy as np
import pytest
import torch

ROOT = osp.join(osp.dirname(__file__), '..', '..')
sys.path.insert(
    0, osp.join(ROOT, 'tests', 'test_models', 'test_editors', 'test_maskint'))
from maskint_tiny import CONFIG, write_clip_tokenizer  # noqa: E402

from mmhuman_ext.apis.video_editing import (  # noqa: E402
    VideoEditor, check_edit_args, check_interpolator_checkpoint,
    missing_weights, open_edit_input, prepare_out_dir)

DAVIS_CONFIG = osp.join(ROOT, 'configs', 'maskint',
                        'maskint-edit-hed_davis2017-384x672.py')


def write_video(path, num_frames=18, size=(72, 100), fps=12, audio=False):
    """A panned random picture (H.264), with a 440 Hz AAC tone if
    ``audio``."""
    import av
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
    with av.open(path, 'w') as out:
        video = out.add_stream('libx264' if 'libx264' in av.codecs_available
                               else 'mpeg4', rate=Fraction(fps))
        video.width, video.height, video.pix_fmt = size[1], size[0], \
            'yuv420p'
        tone = None
        if audio:
            tone = out.add_stream('aac', rate=16000)
            tone.layout = 'mono'
        for i in range(num_frames):
            frame = av.VideoFrame.from_ndarray(np.roll(base, 2 * i, axis=1),
                                               format='rgb24')
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if tone is not None:
            t = np.arange(int(16000 * num_frames / fps)) / 16000
            samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for i in range(0, len(samples), 1024):
                frame = av.AudioFrame.from_ndarray(
                    samples[None, i:i + 1024], format='fltp', layout='mono')
                frame.sample_rate = 16000
                for packet in tone.encode(frame):
                    out.mux(packet)
            for packet in tone.encode():
                out.mux(packet)


@pytest.fixture(scope='module')
def tokenizer_dir(tmp_path_factory):
    return write_clip_tokenizer(str(tmp_path_factory.mktemp('tok')))


def _options(tokenizer_dir):
    return {
        'model.keyframe_editor.tokenizer.from_pretrained': tokenizer_dir,
        'model.keyframe_editor.num_inference_steps': 2,
        'model.num_steps': 2
    }


def test_argument_ranges_name_the_flag():
    names = {'interval': '--interval', 'max_frames': '--max-frames'}
    with pytest.raises(ValueError, match='--interval must be >= 1, got 0'):
        check_edit_args(names, interval=0)
    with pytest.raises(ValueError, match='--max-frames must be 0 .* or >= 2'
                       '.*got 1'):
        check_edit_args(names, max_frames=1)
    with pytest.raises(ValueError, match='fps must be > 0, got 0'):
        check_edit_args(fps=0)
    with pytest.raises(ValueError, match='ddim_steps must be >= 1.*'
                       'guidance_scale must be >= 0'):
        check_edit_args(ddim_steps=0, guidance_scale=-1)
    check_edit_args(names, interval=2, max_frames=0, fps=None, seed=3,
                    keyframe_stride=1, negative_prompt='blurry')


def test_input_checks(tmp_path):
    with pytest.raises(FileNotFoundError, match='input video .* does not '
                       'exist'):
        open_edit_input(str(tmp_path / 'none.mp4'))
    fake = tmp_path / 'fake.mp4'
    fake.write_text('not a video')
    with pytest.raises(ValueError, match='fake.mp4: not a video file'):
        open_edit_input(str(fake))
    video = str(tmp_path / 'in.mp4')
    write_video(video, num_frames=6)
    with pytest.raises(ValueError, match='6 frames; --start 5 --interval '
                       '1 leave 1, editing needs at least 2'):
        open_edit_input(video, start=5, names={'start': '--start',
                                               'interval': '--interval'})
    info = open_edit_input(video, start=1, interval=2)
    assert list(info['indices']) == [1, 3, 5]
    assert tuple(info['size']) == (72, 100) and info['fps'] == 12
    assert info['audio_start'] == pytest.approx(1 / 12)


def test_out_dir_is_checked_and_cleaned(tmp_path):
    out = tmp_path / 'out'
    (out / 'edited').mkdir(parents=True)
    (out / 'keyframes').mkdir()
    for i in range(280):
        (out / 'edited' / f'{i:05d}.png').write_bytes(b'')
    (out / 'keyframes' / '00099.png').write_bytes(b'')
    (out / 'edited.mp4').write_bytes(b'')
    (out / 'notes.txt').write_text('mine')
    (out / 'edited' / 'mine.png').write_bytes(b'')
    prepare_out_dir(str(out))
    assert os.listdir(out / 'edited') == ['mine.png']
    assert os.listdir(out / 'keyframes') == []
    assert sorted(os.listdir(out)) == ['edited', 'keyframes', 'notes.txt']
    with pytest.raises(NotADirectoryError, match='is a file'):
        prepare_out_dir(str(out / 'notes.txt'))
    with pytest.raises(PermissionError, match='not writable'):
        prepare_out_dir(str(out / 'notes.txt' / 'sub'))


def test_every_missing_weight_in_one_message(tmp_path, monkeypatch):
    """The real edit config with no weights on disk: one error listing
    every missing folder and file (and the checkpoint), before anything is
    built."""
    from mmhuman_ext.models.editors.maskint import edit_pipeline

    def never(*args, **kwargs):
        raise AssertionError('a network was built before the checks')

    monkeypatch.setattr(edit_pipeline.MaskINTEditPipeline, '__init__', never)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as err:
        VideoEditor.from_config(DAVIS_CONFIG, 'stage2.pth')
    message = str(err.value)
    assert '9 weight file(s) or folder(s) missing' in message
    for part in ('keyframe_editor.unet.from_pretrained: folder '
                 'checkpoints/stable-diffusion-v1-5/unet',
                 'keyframe_editor.controlnet', 'keyframe_editor.vae',
                 'keyframe_editor.text_encoder',
                 'keyframe_editor.tokenizer', 'keyframe_editor.scheduler',
                 'structure.checkpoint: file checkpoints/ControlNetHED.pth',
                 'tokenizer.vq.from_pretrained',
                 'checkpoint: file stage2.pth'):
        assert part in message
    assert missing_weights(dict(a=dict(from_pretrained=None))) == []


def test_checkpoint_checks(tmp_path, monkeypatch):
    from mmengine import Config

    from mmhuman_ext.registry import MODELS
    from mmhuman_ext.utils.setup_env import register_all_modules
    register_all_modules()
    interp = Config.fromfile(CONFIG).model.interpolator.to_dict()
    with pytest.raises(ValueError, match='empty .*unset shell variable'):
        check_interpolator_checkpoint(interp, '')
    with pytest.raises(ValueError, match='only with --random-interpolator'):
        check_interpolator_checkpoint(interp, None)
    check_interpolator_checkpoint(interp, None, random_interpolator=True)
    text = tmp_path / 'notes.pth'
    text.write_text('hello')
    with pytest.raises(ValueError, match='notes.pth is not a PyTorch '
                       'checkpoint'):
        check_interpolator_checkpoint(interp, str(text))
    torch.save({'meta': {'epoch': 1}}, tmp_path / 'meta.pth')
    with pytest.raises(ValueError, match='holds no state dict'):
        check_interpolator_checkpoint(interp, str(tmp_path / 'meta.pth'))
    # another width: the shapes differ, less than half of the model fits
    wide = dict(interp, transformer=dict(interp['transformer'],
                                         embed_dims=64))
    torch.save({'state_dict': MODELS.build(wide).state_dict()},
               tmp_path / 'wide.pth')
    with pytest.raises(ValueError, match="wide.pth: loaded 1 of the "
                       "model's 35 tensors .34 of another shape.*"
                       'not for this model'):
        check_interpolator_checkpoint(interp, str(tmp_path / 'wide.pth'))
    torch.save({'state_dict': MODELS.build(interp).state_dict()},
               tmp_path / 'ok.pth')
    check_interpolator_checkpoint(interp, str(tmp_path / 'ok.pth'))
    with pytest.raises(ValueError, match='contradict'):
        check_interpolator_checkpoint(interp, str(tmp_path / 'ok.pth'),
                                      random_interpolator=True)


def test_half_and_offload_need_cuda(tokenizer_dir):
    with pytest.raises(ValueError, match='half precision needs a CUDA'):
        VideoEditor.from_config(CONFIG, None, 'cpu', _options(tokenizer_dir),
                                random_interpolator=True, half=True)
    with pytest.raises(ValueError, match='offload needs a CUDA'):
        VideoEditor.from_config(CONFIG, None, 'cpu', _options(tokenizer_dir),
                                random_interpolator=True, cpu_offload=True)


def test_knobs_reach_the_networks(tokenizer_dir):
    torch.manual_seed(0)
    editor = VideoEditor.from_config(
        CONFIG, None, 'cpu', _options(tokenizer_dir),
        random_interpolator=True, ddim_steps=3, guidance_scale=4.0,
        negative_prompt='blurry', controlnet_scale=0.5, keyframe_stride=7,
        decode_steps=5, seed=11)
    pipe = editor.pipeline
    ed = pipe.keyframe_editor
    assert (ed.num_inference_steps, ed.guidance_scale, ed.negative_prompt,
            ed.controlnet_conditioning_scale) == (3, 4.0, 'blurry', 0.5)
    assert (pipe.chunk_len, pipe.num_steps, pipe.seed) == (8, 5, 11)
    res = editor.edit(torch.rand(9, 3, 64, 96), 'a wolf')
    assert res['keyframes'] == [0, 7, 8]
    assert res['nfe_diffusion'] == 3 * 3 * 2
    assert res['nfe_transformer'] == 5


def test_edit_video_streams_at_source_size_fps_and_audio(tmp_path,
                                                         tokenizer_dir):
    import av
    from PIL import Image

    from mmhuman_ext.utils.video import read_video_frames
    video = str(tmp_path / 'in.mp4')
    write_video(video, num_frames=18, size=(100, 72), fps=12, audio=True)
    out = tmp_path / 'out'
    (out / 'edited').mkdir(parents=True)
    (out / 'edited' / '00279.png').write_bytes(b'')  # an earlier, longer edit
    torch.manual_seed(0)
    editor = VideoEditor.from_config(CONFIG, None, 'cpu',
                                     _options(tokenizer_dir),
                                     random_interpolator=True)
    stats = editor.edit_video(video, 'a wolf', str(out))
    assert stats['num_frames'] == 18 and stats['fps'] == 12
    assert stats['size'] == (100, 72) and stats['working_size'] == (92, 67)
    assert sorted(os.listdir(out / 'edited')) == [
        f'{i:05d}.png' for i in range(18)]
    assert sorted(os.listdir(out / 'keyframes')) == [
        '00000.png', '00015.png', '00017.png']
    frames = list(read_video_frames(str(out / 'edited.mp4'),
                                    channel_order='rgb'))
    assert len(frames) == 18 and frames[0].shape == (100, 72, 3)
    with av.open(str(out / 'edited.mp4')) as container:
        assert float(container.streams.video[0].average_rate) == 12
        audio = container.streams.audio[0]
        assert audio.codec_context.name == 'aac'
        seconds = sum(f.samples for f in container.decode(audio)) / 16000
    assert abs(seconds - 1.5) < 0.15  # 18 frames at 12 fps
    gif = Image.open(out / 'edited.gif')
    assert gif.n_frames == 18 and gif.size == (72, 100)
    assert abs(gif.info['duration'] - 1000 / 12) <= 5
    # a frame step: the frame rate follows, the audio is left out
    stats = editor.edit_video(video, 'a wolf', str(out), interval=2,
                              gif=False)
    assert stats['num_frames'] == 9 and stats['fps'] == 6
    assert len(os.listdir(out / 'edited')) == 9
    assert not osp.exists(out / 'edited.gif')
    with av.open(str(out / 'edited.mp4')) as container:
        assert not container.streams.audio
