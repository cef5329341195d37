"""Video files in and out through PyAV (FFmpeg), for the inferencers.

* :func:`read_video_frames` yields ``(H, W, 3)`` uint8 frames (BGR by
  default, as OpenCV and mmpose use) and :func:`video_info` gives the frame
  rate, size and frame count without decoding (both from
  :mod:`mmhuman_ext.utils.video`, re-exported here).
* :class:`VideoWriter` encodes frames into a temporary file next to the
  target and renames it on :meth:`close`, so a run killed while writing
  never leaves a half-written video under the final name. It streams (one
  frame in memory at a time), also for ``.gif`` (each frame quantised to
  its own 256-colour palette), and can copy the audio of a source video.

Bad input raises one error naming the file and what was expected.
"""
import os
import os.path as osp
import tempfile
from fractions import Fraction
from typing import Optional

import numpy as np

from mmhuman_ext.utils.video import read_video_frames, video_info  # noqa: F401

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
                    '.mpeg')


def is_video_file(path) -> bool:
    """Whether ``path`` names a file with a video extension."""
    return isinstance(path, str) and path.lower().endswith(VIDEO_EXTENSIONS)


class VideoWriter:
    """Write ``(H, W, 3)`` uint8 frames to a video file, atomically.

    The first frame fixes the size (even sizes are padded by one pixel of
    edge, as H.264 / MPEG-4 need them); later frames must match it.

    Args:
        path (str): Output file; its extension picks the container.
        fps (float): Frame rate.
        channel_order (str): Order of the frames passed to :meth:`write`.
        codec (str, optional): FFmpeg encoder; by default ``gif`` for a
            ``.gif`` path, else ``libx264`` when this FFmpeg build has it,
            else ``mpeg4``.
        audio_from (str, optional): a video file whose first audio stream
            (if it has one) is copied into the output, the packets from
            ``audio_start`` seconds on, shifted to start at 0, for as long
            as the written frames last.
        audio_start (float): see ``audio_from``.

    Use as a context manager; an exception inside the block discards the
    partial file.
    """

    def __init__(self,
                 path: str,
                 fps: float = 25.,
                 channel_order: str = 'bgr',
                 codec: Optional[str] = None,
                 audio_from: Optional[str] = None,
                 audio_start: float = 0.):
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"channel_order must be 'bgr' or 'rgb', got "
                             f'{channel_order!r}')
        if not fps or fps <= 0:
            raise ValueError(f'{path}: fps must be positive, got {fps}')
        self.path = path
        self.fps = fps
        self.channel_order = channel_order
        self.codec = codec
        self.gif = path.lower().endswith('.gif')
        self.audio_from = audio_from
        self.audio_start = audio_start
        self.num_frames = 0
        self._container = None
        self._stream = None
        self._tmp = None
        self._size = None

    def _start(self, height: int, width: int) -> None:
        import av
        folder = osp.dirname(osp.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        ext = osp.splitext(self.path)[1] or '.mp4'
        fd, self._tmp = tempfile.mkstemp(
            prefix=f'.{osp.basename(self.path)}.', suffix=ext, dir=folder)
        os.close(fd)
        self._container = av.open(self._tmp, mode='w')
        codec = self.codec
        if codec is None:
            codec = 'gif' if self.gif else 'libx264' \
                if 'libx264' in av.codecs_available else 'mpeg4'
        rate = Fraction(self.fps).limit_denominator(1001)
        self._stream = self._container.add_stream(codec, rate=rate)
        even = 0 if self.gif else 1  # H.264 / MPEG-4 need even sides
        self._stream.width = width + width % 2 * even
        self._stream.height = height + height % 2 * even
        self._stream.pix_fmt = 'pal8' if self.gif else 'yuv420p'
        self._size = (height, width)
        self._audio = None
        if self.audio_from:
            self._audio = _open_audio(self.audio_from)
            if self._audio is not None:
                self._audio_out = self._container.add_stream_from_template(
                    self._audio.streams.audio[0])

    def write(self, frame: np.ndarray) -> None:
        """Append one ``(H, W, 3)`` uint8 frame."""
        import av
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f'{self.path}: frames must be (H, W, 3) uint8, '
                             f'got {frame.shape} {frame.dtype}')
        if self._container is None:
            self._start(*frame.shape[:2])
        elif frame.shape[:2] != self._size:
            raise ValueError(f'{self.path}: frame {self.num_frames} is '
                             f'{frame.shape[:2]}, the video is {self._size}')
        pad_h = self._stream.height - frame.shape[0]
        pad_w = self._stream.width - frame.shape[1]
        if pad_h or pad_w:
            frame = np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)), 'edge')
        if self.channel_order == 'bgr':
            frame = frame[..., ::-1]
        if self.gif:
            video_frame = av.VideoFrame.from_ndarray(_palette_frame(frame),
                                                     format='pal8')
        else:
            video_frame = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(frame), format='rgb24')
        for packet in self._stream.encode(video_frame):
            self._container.mux(packet)
        self.num_frames += 1

    def close(self) -> None:
        """Flush the encoder and move the file to its final name."""
        if self._container is None:
            raise ValueError(f'{self.path}: no frames were written')
        for packet in self._stream.encode():
            self._container.mux(packet)
        if self._audio is not None:
            self._copy_audio()
        self._container.close()
        self._container = None
        umask = os.umask(0)  # the permissions open() would give, not 0600
        os.umask(umask)
        os.chmod(self._tmp, 0o666 & ~umask)
        os.replace(self._tmp, self.path)

    def _copy_audio(self) -> None:
        """Mux the source's audio packets of ``[audio_start, audio_start +
        duration)`` (the written frames' duration), shifted to start at 0.
        """
        src = self._audio.streams.audio[0]
        base = src.time_base
        start = int(self.audio_start / base)
        end = start + int(self.num_frames / self.fps / base)
        for packet in self._audio.demux(src):
            if packet.pts is None or packet.size == 0:
                continue
            if packet.pts < start:
                continue
            if packet.pts >= end:
                break
            packet.pts -= start
            packet.dts = None if packet.dts is None else packet.dts - start
            packet.stream = self._audio_out
            self._container.mux(packet)
        self._audio.close()
        self._audio = None

    def abort(self) -> None:
        """Drop the partial file."""
        if self._container is not None:
            self._container.close()
            self._container = None
        if getattr(self, '_audio', None) is not None:
            self._audio.close()
            self._audio = None
        if self._tmp and osp.exists(self._tmp):
            os.remove(self._tmp)

    def __enter__(self) -> 'VideoWriter':
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _palette_frame(rgb: np.ndarray):
    """``(H, W, 3)`` uint8 RGB -> PyAV's pal8 input: 8-bit indices and a
    256-entry palette (Pillow's median cut per frame)."""
    from PIL import Image
    image = Image.fromarray(np.ascontiguousarray(rgb)).quantize(256)
    palette = np.zeros((256, 4), np.uint8)
    colours = np.array(image.getpalette()[:768], np.uint8).reshape(-1, 3)
    # one entry: alpha, red, green, blue (FFmpeg's 0xAARRGGBB read as bytes)
    palette[:, 0] = 255
    palette[:len(colours), 1:] = colours
    return np.array(image, dtype=np.uint8), palette


def _open_audio(path: str):
    """An open container of ``path`` if it has an audio stream, else
    None."""
    from mmhuman_ext.utils.video import open_video
    container = open_video(path)
    if not container.streams.audio:
        container.close()
        return None
    return container

