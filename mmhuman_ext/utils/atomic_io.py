"""Atomic file writers: a file is written to a hidden temporary file in its
folder and renamed over the target, so a process killed while writing leaves
the previous version (or nothing) under the final name, never half a file.
"""
import errno
import io
import os
import os.path as osp
import re
import tempfile
from typing import List

import numpy as np


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file intact.

    The bytes go to a temporary file in the same folder, are flushed to disk,
    then renamed over ``path`` (``os.replace`` is atomic on POSIX). The file
    gets the permissions ``open()`` would give it (0666 less the umask), not
    the temporary file's private 0600.
    """
    path = os.fspath(path)
    folder = osp.dirname(osp.abspath(path))
    tmp = None
    try:
        if osp.exists(folder) and not osp.isdir(folder):
            raise NotADirectoryError(errno.ENOTDIR,
                                     f'{folder} is a file, not a folder')
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f'.{osp.basename(path)}.', suffix='.tmp', dir=folder)
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None and osp.exists(tmp):
            os.remove(tmp)
        if isinstance(exc, OSError):
            raise OSError(
                exc.errno, f'cannot write {path}: {exc.strerror or exc}; '
                'any previous version of the file is unchanged') from exc
        raise


def atomic_write_text(path, text: str, encoding: str = 'utf-8') -> None:
    """Text version of :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode(encoding))


def atomic_write_image(path, image: np.ndarray) -> None:
    """Encode a BGR ``(H, W, 3)`` (or grey ``(H, W)``) uint8 picture in the
    format of ``path``'s extension (PNG without one) and write it with
    :func:`atomic_write_bytes`."""
    import cv2
    path = os.fspath(path)
    ext = osp.splitext(path)[1] or '.png'
    try:
        ok, data = cv2.imencode(ext, np.ascontiguousarray(image))
    except cv2.error:  # no encoder for the extension
        ok = False
    if not ok:
        raise ValueError(f'OpenCV cannot write {ext!r} pictures ({path})')
    atomic_write_bytes(path, data.tobytes())


# ``tempfile.mkstemp`` names: the prefix, 8 random characters, the suffix
_PARTIAL_FILE = re.compile(r'^\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp$')


def remove_stale_partial_files(folder, targets=('.pth', 'last_checkpoint')
                               ) -> List[str]:
    """Delete the hidden partial files of :func:`atomic_write_bytes` left in
    ``folder`` by a process killed while writing.

    Only files named like the writer's temporary files
    (``.<target>.<8 random characters>.tmp``) whose target ends with one of
    ``targets`` are removed, so call it where one process owns those
    targets (the checkpoint folder, before a save).

    Returns:
        list[str]: the removed paths.
    """
    removed = []
    if not osp.isdir(folder):
        return removed
    for name in sorted(os.listdir(folder)):
        match = _PARTIAL_FILE.match(name)
        if match and match.group('target').endswith(tuple(targets)):
            path = osp.join(folder, name)
            try:
                os.remove(path)
            except FileNotFoundError:
                continue
            removed.append(path)
    return removed


def atomic_torch_save(obj, path) -> None:
    """``torch.save(obj, path)`` through :func:`atomic_write_bytes`."""
    import torch
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def atomic_savez(path, compressed: bool = False, **arrays) -> None:
    """``np.savez(path, **arrays)`` (or ``savez_compressed``) through
    :func:`atomic_write_bytes`; ``path`` is used as given (no ``.npz`` is
    appended)."""
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())
