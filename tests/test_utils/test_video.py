"""The video module: PyAV reading / writing (frames round-trip, odd sizes,
atomic files, clear errors), one list of video and frame extensions, and
FrameSource over frame folders, video files and stacked pictures."""
import os

import numpy as np
import pytest

from mmhuman_ext.utils.video import VideoWriter, read_video_frames, video_info


def _frames(n=5, h=48, w=64):
    frames = []
    for t in range(n):
        f = np.zeros((h, w, 3), np.uint8)
        f[:, :, 2] = 200  # red in BGR
        f[10:30, 5 + 5 * t:25 + 5 * t] = (0, 255, 0)
        frames.append(f)
    return frames


def test_round_trip(tmp_path):
    path = str(tmp_path / 'clip.mp4')
    frames = _frames()
    with VideoWriter(path, fps=12.5) as w:
        for f in frames:
            w.write(f)
    info = video_info(path)
    assert (info['width'], info['height']) == (64, 48)
    assert info['fps'] == pytest.approx(12.5)
    back = list(read_video_frames(path))
    assert len(back) == 5
    for a, b in zip(frames, back):
        assert b.shape == a.shape and b.dtype == np.uint8
        assert np.abs(a.astype(int) - b.astype(int)).mean() < 8
    # the green square moves right: compressed frames keep it
    cols = [np.argmax(b[20, :, 1] > 128) for b in back]
    assert cols == sorted(cols) and cols[-1] > cols[0]
    rgb = next(read_video_frames(path, channel_order='rgb'))
    assert rgb[0, 0, 0] > 150 and rgb[0, 0, 2] < 60
    assert len(list(read_video_frames(path, max_frames=2))) == 2


def test_odd_size_is_padded_and_read_back(tmp_path):
    path = str(tmp_path / 'odd.mp4')
    with VideoWriter(path, fps=10) as w:
        for f in _frames(2, 47, 63):
            w.write(f)
    assert next(read_video_frames(path)).shape[:2] == (48, 64)


def test_failed_write_leaves_no_file(tmp_path):
    path = tmp_path / 'broken.mp4'
    with pytest.raises(RuntimeError):
        with VideoWriter(str(path), fps=10) as w:
            w.write(_frames(1)[0])
            raise RuntimeError('killed')
    assert os.listdir(tmp_path) == []


def test_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        list(read_video_frames(str(tmp_path / 'missing.mp4')))
    text = tmp_path / 'notes.mp4'
    text.write_text('not a video')
    with pytest.raises(ValueError, match='notes.mp4'):
        video_info(str(text))
    w = VideoWriter(str(tmp_path / 'v.mp4'), fps=10)
    w.write(_frames(1)[0])
    with pytest.raises(ValueError, match=r'frame 1 is \(32, 32\)'):
        w.write(np.zeros((32, 32, 3), np.uint8))
    w.abort()
    with pytest.raises(ValueError, match='uint8'):
        VideoWriter(str(tmp_path / 'f.mp4')).write(np.zeros((4, 4, 3)))


def test_frames_at_indices_and_counts(tmp_path):
    from mmhuman_ext.utils.video import (count_video_frames,
                                         read_video_frames_at)
    path = str(tmp_path / 'clip.mp4')
    with VideoWriter(path, fps=10) as w:
        for f in _frames(6):
            w.write(f)
    assert count_video_frames(path) == 6
    every = list(read_video_frames(path, channel_order='rgb'))
    picked = read_video_frames_at(path, [4, 1, 4])  # any order, repeats
    for got, t in zip(picked, [4, 1, 4]):
        np.testing.assert_array_equal(got, every[t])
    with pytest.raises(IndexError, match=r'clip.mp4: frame\(s\) \[6, 9\].*6 '
                       'frames'):
        read_video_frames_at(path, [0, 6, 9])
    with pytest.raises(FileNotFoundError, match='gone.mp4'):
        read_video_frames_at(str(tmp_path / 'gone.mp4'), [0])


def test_every_listed_extension_is_a_video_or_frame_for_frame_source(
        tmp_path):
    from mmhuman_ext.utils.video import (IMAGE_EXTENSIONS, VIDEO_EXTENSIONS,
                                         FrameSource)
    assert not set(IMAGE_EXTENSIONS) & set(VIDEO_EXTENSIONS)
    for ext in VIDEO_EXTENSIONS:
        assert FrameSource(f'clip{ext.upper()}').kind == 'video'
    for ext in IMAGE_EXTENSIONS:
        assert FrameSource(f'strip{ext}').kind == 'stacked'
    with pytest.raises(ValueError, match=r'notes\.txt.*\.m4v.*\.webp'):
        FrameSource(str(tmp_path / 'notes.txt'))


def test_frame_source_reads_a_folder_of_webp_frames(tmp_path):
    import cv2

    from mmhuman_ext.utils.video import FrameSource
    frames = _frames(4)
    for t, f in enumerate(frames):
        assert cv2.imwrite(str(tmp_path / f'{t:05d}.webp'), f,
                           [cv2.IMWRITE_WEBP_QUALITY, 101])  # lossless
    (tmp_path / 'notes.txt').write_text('not a frame')
    source = FrameSource(str(tmp_path))
    assert source.kind == 'folder' and len(source) == 4
    assert source.stems() == ['00000', '00001', '00002', '00003']
    for got, bgr in zip(source.read([3, 0]), [frames[3], frames[0]]):
        np.testing.assert_array_equal(got, bgr[..., ::-1])  # RGB


def test_an_m4v_file_is_a_video_for_frame_source_and_infer_edit(tmp_path):
    from mmhuman_ext.apis.video_editing import open_edit_input
    from mmhuman_ext.utils.video import FrameSource
    path = str(tmp_path / 'clip.m4v')
    frames = _frames(5)
    with VideoWriter(path, fps=10) as w:
        for f in frames:
            w.write(f)
    source = FrameSource(path)
    assert source.kind == 'video' and len(source) == 5
    rgb = source.read([2])[0]
    assert np.abs(rgb.astype(int) - frames[2][..., ::-1]).mean() < 8
    # the input check of ``tools/infer.py edit`` (``motion`` reads its
    # driving video through FrameSource too)
    clip = open_edit_input(path, start=1, interval=2)
    assert list(clip['indices']) == [1, 3] and clip['size'] == (48, 64)


def test_frame_source_iter_at_converts_only_the_wanted_frames(
        tmp_path, monkeypatch):
    """``FrameSource.iter_at`` on a video: the frames at the indices, in
    order, and only those frames are converted to arrays."""
    import contextlib
    from types import SimpleNamespace

    from mmhuman_ext.utils import video as video_module
    path = str(tmp_path / 'clip.mp4')
    with VideoWriter(path, fps=10) as w:
        for f in _frames(8):
            w.write(f)
    every = list(read_video_frames(path, channel_order='rgb'))
    converted = []
    real_open = video_module.open_video

    class CountingFrame:

        def __init__(self, frame):
            self.frame = frame

        def to_ndarray(self, **kwargs):
            converted.append(1)
            return self.frame.to_ndarray(**kwargs)

    @contextlib.contextmanager
    def counting_open(name):
        with real_open(name) as container:
            yield SimpleNamespace(decode=lambda **kw: (
                CountingFrame(f) for f in container.decode(**kw)))

    monkeypatch.setattr(video_module, 'open_video', counting_open)
    source = video_module.FrameSource(path)
    picked = list(source.iter_at([2, 5, 6]))
    assert len(converted) == 3
    for frame, i in zip(picked, [2, 5, 6]):
        np.testing.assert_array_equal(frame, every[i])
