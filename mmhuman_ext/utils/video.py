"""Reading video files with PyAV (FFmpeg): the one place the datasets,
transforms and inferencers decode videos.

Bad input raises one error naming the file and what was expected: a missing
file ``FileNotFoundError``, a file FFmpeg cannot read or without a video
stream ``ValueError``, a frame index past the end ``IndexError``.
"""
import os.path as osp
from typing import Dict, Iterator, List, Sequence

import numpy as np

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


def read_video_frames_at(path: str, indices: Sequence[int],
                         channel_order: str = 'rgb') -> List[np.ndarray]:
    """The ``(H, W, 3)`` uint8 frames at ``indices`` (0-based, any order,
    repeats allowed), decoding the file once up to the largest index."""
    fmt = _pixel_format(channel_order)
    wanted = {int(i) for i in indices}
    found: Dict[int, np.ndarray] = {}
    decoded = 0
    if wanted:
        with open_video(path) as container:
            for index, frame in enumerate(container.decode(video=0)):
                decoded = index + 1
                if index in wanted:
                    found[index] = frame.to_ndarray(format=fmt)
                    if len(found) == len(wanted):
                        break
    missing = sorted(wanted - set(found))
    if missing:
        raise IndexError(f'{path}: frame(s) {missing} requested, the video '
                         f'decodes to {decoded} frames')
    return [found[int(i)] for i in indices]
