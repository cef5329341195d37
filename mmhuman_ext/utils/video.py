"""Video files and frame folders: the one place the package reads and
writes videos (PyAV / FFmpeg) and lists which files are videos or frames.

* :data:`VIDEO_EXTENSIONS` and :data:`IMAGE_EXTENSIONS` are the file types
  every reader accepts (:func:`is_video_file`, :func:`is_image_file`).
* :func:`read_video_frames`, :func:`read_video_frames_at`,
  :func:`iter_video_frames_at`, :func:`video_info` and
  :func:`count_video_frames` decode a video file.
* :class:`VideoWriter` encodes frames into a temporary file next to the
  target and renames it on :meth:`~VideoWriter.close`, so a run killed
  while writing never leaves a half-written video under the final name.
  It streams (one frame in memory at a time), also for ``.gif`` (each frame
  quantised to its own 256-colour palette), and can copy the audio of a
  source video.
* :class:`FrameSource` gives the frames of a frame folder, a video file or a
  stacked PNG (FOMM: frames side by side) through one interface.

Bad input raises one error naming the file and what was expected: a missing
file ``FileNotFoundError``, a file FFmpeg cannot read or without a video
stream ``ValueError``, a frame index past the end ``IndexError``.
"""
import os
import os.path as osp
import tempfile
from fractions import Fraction
from typing import Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
                    '.mpeg', '.gif')
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff',
                    '.webp')


def is_video_file(path) -> bool:
    """Whether ``path`` names a file with a video extension."""
    return isinstance(path, str) and path.lower().endswith(VIDEO_EXTENSIONS)


def is_image_file(path) -> bool:
    """Whether ``path`` names a file with a picture (frame) extension."""
    return isinstance(path, str) and path.lower().endswith(IMAGE_EXTENSIONS)


def list_image_files(folder: str) -> List[str]:
    """Names of the picture files in ``folder``, sorted."""
    return sorted(f for f in os.listdir(folder) if is_image_file(f))


_FORMATS = dict(bgr='bgr24', rgb='rgb24')


def _pixel_format(channel_order: str) -> str:
    if channel_order not in _FORMATS:
        raise ValueError(f"channel_order must be 'bgr' or 'rgb', got "
                         f'{channel_order!r}')
    return _FORMATS[channel_order]


def open_video(path: str):
    """An open PyAV container of ``path`` with at least one video stream
    (close it, or use it as a context manager)."""
    import av
    if not osp.isfile(path):
        raise FileNotFoundError(f'video not found: {path}')
    try:
        container = av.open(path)
    except av.error.FFmpegError as err:
        raise ValueError(f'{path}: not a video file FFmpeg can read '
                         f'({err})') from None
    if not container.streams.video:
        container.close()
        raise ValueError(f'{path}: the file holds no video stream')
    return container


def video_info(path: str) -> dict:
    """``fps`` (float), ``width``, ``height`` and ``num_frames`` (0 when
    the container does not say) of the first video stream."""
    with open_video(path) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or 25
        return dict(
            fps=float(rate),
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            num_frames=int(stream.frames or 0))


def count_video_frames(path: str) -> int:
    """Frames of the first video stream (decodes the file when the
    container does not store the count)."""
    with open_video(path) as container:
        stream = container.streams.video[0]
        if stream.frames:
            return int(stream.frames)
        return sum(1 for _ in container.decode(stream))


def read_video_frames(path: str,
                      max_frames: int = 0,
                      channel_order: str = 'bgr') -> Iterator[np.ndarray]:
    """Yield the ``(H, W, 3)`` uint8 frames in order (``max_frames`` > 0:
    at most that many); ``channel_order`` is ``'bgr'`` (OpenCV, mmpose) or
    ``'rgb'``."""
    fmt = _pixel_format(channel_order)
    with open_video(path) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if max_frames and i >= max_frames:
                break
            yield frame.to_ndarray(format=fmt)


def iter_video_frames_at(path: str, indices: Sequence[int],
                         channel_order: str = 'rgb'
                         ) -> Iterator[Tuple[int, np.ndarray]]:
    """``(index, (H, W, 3) uint8 frame)`` for the distinct ``indices`` in
    increasing order, decoding the file once up to the largest and
    converting only those frames."""
    fmt = _pixel_format(channel_order)
    wanted = sorted({int(i) for i in indices})
    if not wanted:
        return
    pos = decoded = 0
    with open_video(path) as container:
        for index, frame in enumerate(container.decode(video=0)):
            decoded = index + 1
            if index == wanted[pos]:
                yield index, frame.to_ndarray(format=fmt)
                pos += 1
                if pos == len(wanted):
                    return
    raise IndexError(f'{path}: frame(s) {wanted[pos:]} requested, the video '
                     f'decodes to {decoded} frames')


def read_video_frames_at(path: str, indices: Sequence[int],
                         channel_order: str = 'rgb') -> List[np.ndarray]:
    """The ``(H, W, 3)`` uint8 frames at ``indices`` (0-based, any order,
    repeats allowed), decoding the file once up to the largest index."""
    found = dict(iter_video_frames_at(path, indices, channel_order))
    return [found[int(i)] for i in indices]


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
        self._format = _pixel_format(channel_order)
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
        if self.gif:
            rgb = frame[..., ::-1] if self._format == 'bgr24' else frame
            video_frame = av.VideoFrame.from_ndarray(_palette_frame(rgb),
                                                     format='pal8')
        else:
            video_frame = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(frame), format=self._format)
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


def frame_stems(num_frames: int) -> List[str]:
    """File stems ``%06d`` of the per-frame annotation files."""
    return [f'{i:06d}' for i in range(num_frames)]


class FrameSource:
    """The frames of one video.

    Args:
        path (str): a folder of images (sorted by name), a video file read
            with PyAV, or a stacked PNG (FOMM: frames side by side).
        kind (str): ``'folder'``, ``'video'`` or ``'stacked'``; guessed from
            ``path`` when None.
        frame_width (int, optional): width of one frame of a stacked PNG;
            default its height (square frames).
    """

    def __init__(self, path: str, kind: Optional[str] = None,
                 frame_width: Optional[int] = None):
        if kind is None:
            if osp.isdir(path):
                kind = 'folder'
            elif is_video_file(path):
                kind = 'video'
            elif is_image_file(path):
                kind = 'stacked'
            else:
                raise ValueError(
                    f'{path}: not a frame folder, a video file '
                    f'({", ".join(VIDEO_EXTENSIONS)}) or a stacked picture '
                    f'({", ".join(IMAGE_EXTENSIONS)})')
        self.path, self.kind, self.frame_width = path, kind, frame_width
        self._files = None
        self._count = None

    @property
    def files(self) -> List[str]:
        if self._files is None:
            self._files = list_image_files(self.path)
        return self._files

    def __len__(self) -> int:
        if self._count is None:
            if self.kind == 'folder':
                self._count = len(self.files)
            elif self.kind == 'stacked':
                h, w = self._stacked_shape()
                self._count = w // (self.frame_width or h)
            else:
                self._count = count_video_frames(self.path)
        return self._count

    def stems(self) -> List[str]:
        """Stems of the per-frame annotation files: the frame file names of
        a folder, ``%06d`` otherwise."""
        if self.kind == 'folder':
            return [osp.splitext(f)[0] for f in self.files]
        return frame_stems(len(self))

    def __iter__(self) -> Iterator[np.ndarray]:
        """All frames in order (a video file is decoded once)."""
        if self.kind == 'folder':
            for i in range(len(self)):
                yield self.read([i])[0]
            return
        if self.kind == 'stacked':  # one read of the whole strip
            yield from self.read(range(len(self)))
            return
        yield from read_video_frames(self.path, channel_order='rgb')

    def iter_at(self, indices: Sequence[int]) -> Iterator[np.ndarray]:
        """RGB uint8 frames ``(H, W, 3)`` at increasing ``indices``, one at
        a time (a video file is decoded once, up to the last index)."""
        if self.kind != 'video':
            for i in indices:
                yield self.read([i])[0]
            return
        for _, frame in iter_video_frames_at(self.path, indices):
            yield frame

    def _stacked_shape(self):
        img = read_image_file(self.path, cv2.IMREAD_UNCHANGED,
                              'stacked frames')
        return img.shape[:2]

    def read(self, indices: Sequence[int]) -> List[np.ndarray]:
        """RGB uint8 frames ``(H, W, 3)`` at ``indices``."""
        n = len(self)
        for i in indices:
            if not 0 <= i < n:
                raise IndexError(f'{self.path}: frame {i} requested, the '
                                 f'video has {n} frames')
        if self.kind == 'folder':
            return [read_rgb_frame(osp.join(self.path, self.files[i]))
                    for i in indices]
        if self.kind == 'stacked':
            img = read_rgb_frame(self.path)
            w = self.frame_width or img.shape[0]
            return [np.ascontiguousarray(img[:, i * w:(i + 1) * w])
                    for i in indices]
        return read_video_frames_at(self.path, indices)


def read_image_file(path: str, flags: int = cv2.IMREAD_COLOR,
                    what: str = 'frame') -> np.ndarray:
    """``cv2.imread(path, flags)``; a missing or undecodable file raises
    an error naming the file and ``what`` it should hold."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} file {path} not found')
    img = cv2.imread(path, flags)
    if img is None:
        raise ValueError(f'{path}: cannot decode the {what} image')
    return img


def read_rgb_frame(path: str) -> np.ndarray:
    """An image file as an RGB uint8 ``(H, W, 3)`` frame."""
    img = read_image_file(path, cv2.IMREAD_COLOR, 'frame')
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


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
    container = open_video(path)
    if not container.streams.audio:
        container.close()
        return None
    return container
