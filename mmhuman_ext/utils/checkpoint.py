"""Safe loading of checkpoints on torch >= 2.6.

torch >= 2.6 loads with ``weights_only=True``: only tensors, containers and an
allow-list of globals may be unpickled, so a checkpoint cannot run code.
mmengine 0.10.7 calls ``torch.load`` without ``weights_only`` and its Runner
checkpoints hold a few non-tensor objects, so resume and ``load_from`` fail.

Instead of switching the protection off, :func:`load_checkpoint_file` allows
exactly the globals that mmengine's own checkpoints contain:

* ``mmengine.logging.HistoryBuffer`` (the message hub's scalar history),
* numpy arrays and scalars (``ndarray``, ``dtype``, ``_reconstruct``,
  ``scalar`` and numpy>=1.25's concrete dtype classes), under both the
  numpy 1 (``numpy.core``) and numpy 2 (``numpy._core``) module paths,
* ``builtins.bytes``: pickle protocol 2 (torch's default) writes an empty
  ``bytes`` as a call to it, e.g. inside an empty numpy array such as the
  ``sigmas`` of mmpose's 3D dataset metainfo; it builds bytes, nothing else,
* ``builtins.getattr``, but only as ``getattr(HistoryBuffer, name)`` for the
  buffer's own statistic methods (``min``/``max``/``mean``/``current``); the
  stand-in refuses any other object or attribute.

Anything else (e.g. ``os.system`` smuggled in through ``__reduce__``) is
refused by torch's unpickler before it runs, and reported as
:class:`UnsafeCheckpointError` naming the file and the offending global.
"""
import importlib
import os
import os.path as osp
import pickle
from typing import Any, List, Tuple

import numpy as np
import torch
from mmengine.logging import HistoryBuffer


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds objects outside the allow-list; nothing was run."""


class CorruptCheckpointError(ValueError):
    """A checkpoint file is truncated or not a torch checkpoint."""


# HistoryBuffer's built-in statistics, pickled as getattr(HistoryBuffer, name)
_HISTORY_BUFFER_STATISTICS = ('current', 'max', 'mean', 'min')


def _history_buffer_getattr(obj, name):
    """Stand-in for ``builtins.getattr`` while unpickling.

    mmengine pickles ``HistoryBuffer._statistics_methods`` as
    ``getattr(HistoryBuffer, 'mean')`` etc.; only that form is allowed.
    """
    if obj is not HistoryBuffer or name not in _HISTORY_BUFFER_STATISTICS:
        raise UnsafeCheckpointError(
            f'checkpoint asks for getattr({obj!r}, {name!r}); only '
            'getattr(HistoryBuffer, one of '
            f'{list(_HISTORY_BUFFER_STATISTICS)}) is allowed')
    return getattr(obj, name)


def _numpy_globals() -> List[Tuple[Any, str]]:
    """numpy objects that pickled arrays and scalars refer to."""
    numpy_2 = int(np.__version__.split('.')[0]) >= 2
    multiarray = importlib.import_module(
        'numpy._core.multiarray' if numpy_2 else 'numpy.core.multiarray')
    out = [(np.ndarray, 'numpy.ndarray'), (np.dtype, 'numpy.dtype')]
    for prefix in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        out.append((multiarray._reconstruct, f'{prefix}._reconstruct'))
        out.append((multiarray.scalar, f'{prefix}.scalar'))
    dtypes = getattr(np, 'dtypes', None)  # numpy >= 1.25
    if dtypes is not None:
        for name in dir(dtypes):
            cls = getattr(dtypes, name)
            if isinstance(cls, type) and issubclass(cls, np.dtype):
                out.append((cls, f'numpy.dtypes.{name}'))
    return out


def mmengine_checkpoint_globals() -> List[Tuple[Any, str]]:
    """The exact allow-list of globals an mmengine checkpoint may contain."""
    return [
        (HistoryBuffer, 'mmengine.logging.history_buffer.HistoryBuffer'),
        (_history_buffer_getattr, 'builtins.getattr'),
        (bytes, 'builtins.bytes'),
    ] + _numpy_globals()


def load_checkpoint_file(filename, map_location=None):
    """``torch.load`` with ``weights_only=True`` and mmengine's allow-list.

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        UnsafeCheckpointError: the file needs a global outside the list.
    """
    filename = os.fspath(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file not found: {filename}')
    try:
        with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch's message: a preamble, the reason, a pointer to its docs
        paragraphs = [p.strip() for p in str(exc).split('\n\n') if p.strip()]
        reason = paragraphs[1] if len(paragraphs) > 1 else paragraphs[0]
        reason = reason.removeprefix('WeightsUnpickler error:').strip()
        raise UnsafeCheckpointError(
            f'refusing to load checkpoint {filename}: it holds objects that '
            'are neither tensors nor the types mmengine writes, and '
            'unpickling them could run code; nothing from it was executed. '
            f'Reason: {reason}') from None
    except (RuntimeError, EOFError) as exc:
        if isinstance(exc, RuntimeError) and 'PytorchStreamReader' not in str(
                exc) and 'magic number' not in str(exc):
            raise RuntimeError(f'{filename}: {exc}') from exc
        # a file cut short by a full disk or an interrupted copy
        raise CorruptCheckpointError(
            f'cannot read checkpoint {filename} ({osp.getsize(filename)} '
            'bytes): it is truncated or not a torch checkpoint '
            f'({type(exc).__name__}: {str(exc).splitlines()[0]})') from None
