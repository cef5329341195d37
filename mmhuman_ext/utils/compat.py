"""What mmhuman_ext changes in mmengine and mmpose, all in one place.

:func:`apply_compat` is idempotent;
:func:`~mmhuman_ext.utils.register_all_modules` and the tools call it
(``import mmhuman_ext`` alone changes nothing).

* Checkpoints: mmengine's loader for local files is replaced by
  :func:`~mmhuman_ext.utils.checkpoint.load_checkpoint_file`
  (``weights_only=True`` with mmengine's exact allow-list), which makes
  ``--resume``, ``load_from`` and ``init_cfg=dict(type='Pretrained')`` work on
  torch >= 2.6 without switching the unpickling protection off.
* Atomic files: mmengine's ``LocalBackend.put`` / ``put_text`` (used for
  checkpoints, dumped predictions and result files) write to a temporary file
  and rename it, so a run killed mid-write leaves the previous file intact.
* Pickles: mmengine's ``.pkl`` / ``.pickle`` file handler is replaced by
  :class:`~mmhuman_ext.utils.safe_pickle.SafePickleHandler`, so
  ``mmengine.fileio.load`` of a pickle (mmpose's detection ``bbox_file``,
  annotation pickles, dumped predictions) never runs code from the file.
* numpy 2 removed ``numpy.bool8``, which mmagic 1.2.0 uses at import time.

:func:`~mmhuman_ext.utils.register_all_modules` also wraps mmpose's
``BaseCocoStyleDataset`` parsing
(:mod:`mmhuman_ext.datasets.annotation_errors`) so that a bad annotation
names the file and the entry; for mmpose's own dataset classes it adds
context to their errors and logs doubtful input, never a new failure.
"""
import numpy as np
from mmengine.fileio import register_handler
from mmengine.fileio.backends import LocalBackend
from mmengine.runner.checkpoint import CheckpointLoader

from .atomic_io import atomic_write_bytes, atomic_write_text
from .checkpoint import load_checkpoint_file
from .safe_pickle import SafePickleHandler

_APPLIED = False


def _load_local(filename, map_location=None):
    return load_checkpoint_file(filename, map_location=map_location)


def _atomic_put(self, obj: bytes, filepath) -> None:
    atomic_write_bytes(filepath, obj)


def _atomic_put_text(self, obj: str, filepath, encoding: str = 'utf-8'):
    atomic_write_text(filepath, obj, encoding=encoding)


def apply_compat() -> None:
    """Install the fixes above (once per process)."""
    global _APPLIED
    if _APPLIED:
        return
    CheckpointLoader.register_scheme('', _load_local, force=True)
    LocalBackend.put = _atomic_put
    LocalBackend.put_text = _atomic_put_text
    register_handler(['pkl', 'pickle'])(SafePickleHandler)
    if not hasattr(np, 'bool8'):
        np.bool8 = np.bool_
    _APPLIED = True
