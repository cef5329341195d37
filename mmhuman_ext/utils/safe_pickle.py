"""Reading third-party pickles (FLAME, mesh hierarchies, landmark files)
without running code.

The official FLAME ``generic_model.pkl``, the CoMA-style ``transform.pkl``
mesh hierarchy, DECA's ``landmark_embedding.npy`` (an object array, i.e. a
pickle behind an ``.npy`` header) and VoxCeleb per-video landmark ``.pkl``
files are all Python pickles. A plain :func:`pickle.load` would run whatever
callable the file names. :class:`RestrictedUnpickler` resolves only an
explicit allow-list of globals:

* numpy: ``ndarray``, ``dtype``, ``multiarray._reconstruct`` and
  ``multiarray.scalar`` (numpy 1 and numpy 2 module paths);
* scipy.sparse matrix classes (``csc_matrix``, ``csr_matrix``,
  ``coo_matrix``), which pickle as plain attribute dictionaries;
* ``_codecs.encode`` restricted to latin-1 (protocol-2 pickles written by
  Python 3 store bytes that way);
* ``copyreg._reconstructor`` / ``builtins.object`` (and their Python 2 names
  ``copy_reg`` / ``__builtin__``), which Python-2 pickles of new-style classes
  use to create an *already allowed* class; ``set``/``frozenset`` (chumpy
  objects keep some sets);
* torch tensors as they appear inside numpy pickles (DECA's
  ``landmark_embedding.npy`` holds a few): ``torch._utils._rebuild_tensor_v2``,
  ``collections.OrderedDict`` and ``torch.storage._load_from_bytes``, the last
  replaced by a loader that reads the storage bytes with
  ``torch.load(weights_only=True)``;
* ``chumpy.*`` classes (FLAME 2020 stores ``shapedirs`` as a ``chumpy.Ch``):
  they resolve to :class:`ChumpyStandIn`, an inert attribute holder. chumpy is
  not imported; :func:`to_numpy` takes the stored array out of it.

Any other global raises :class:`UnsafePickleError` naming the file and the
global before anything is constructed.
"""
import collections
import copyreg
import io
import pickle
from typing import Any, Dict, Tuple

import numpy as np
import scipy.sparse
import torch
import torch._utils


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle names a global outside the allow-list; nothing was run."""


class ChumpyStandIn:
    """Inert replacement for any ``chumpy`` class found in a pickle.

    chumpy objects pickle their ``__dict__``; a plain ``Ch`` array keeps its
    value under ``'x'``. Only that value is ever read.
    """

    def __setstate__(self, state):
        self.__dict__.update(state if isinstance(state, dict) else
                             {'state': state})


def _numpy_globals() -> Dict[Tuple[str, str], Any]:
    numpy_2 = int(np.__version__.split('.')[0]) >= 2
    multiarray = np._core.multiarray if numpy_2 else np.core.multiarray
    allowed = {('numpy', 'ndarray'): np.ndarray, ('numpy', 'dtype'): np.dtype}
    for mod in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        allowed[(mod, '_reconstruct')] = multiarray._reconstruct
        allowed[(mod, 'scalar')] = multiarray.scalar
    return allowed


def _scipy_globals() -> Dict[Tuple[str, str], Any]:
    allowed = {}
    for cls in (scipy.sparse.csc_matrix, scipy.sparse.csr_matrix,
                scipy.sparse.coo_matrix):
        fmt = cls.__name__.split('_')[0]
        for mod in (f'scipy.sparse.{fmt}', f'scipy.sparse._{fmt}',
                    'scipy.sparse'):
            allowed[(mod, cls.__name__)] = cls
    return allowed


def _storage_from_bytes(data: bytes):
    """``torch.storage._load_from_bytes`` restricted to tensor data."""
    return torch.load(io.BytesIO(data), weights_only=True)


def _latin1_encode(text: str, encoding: str = 'latin1') -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it for bytes."""
    if encoding != 'latin1':
        raise UnsafePickleError(f'_codecs.encode with {encoding!r} refused')
    return text.encode('latin1')


_ALLOWED = {
    ('_codecs', 'encode'): _latin1_encode,
    ('torch._utils', '_rebuild_tensor_v2'): torch._utils._rebuild_tensor_v2,
    ('torch.storage', '_load_from_bytes'): _storage_from_bytes,
    ('collections', 'OrderedDict'): collections.OrderedDict,
    **_numpy_globals(),
    **_scipy_globals(),
    ('copyreg', '_reconstructor'): copyreg._reconstructor,
    ('copy_reg', '_reconstructor'): copyreg._reconstructor,
    ('builtins', 'object'): object,
    ('__builtin__', 'object'): object,
    ('builtins', 'set'): set,
    ('__builtin__', 'set'): set,
    ('builtins', 'frozenset'): frozenset,
    ('__builtin__', 'frozenset'): frozenset,
}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the allow-list of this module.

    Args:
        file: a binary file object.
        source (str): file name used in error messages.
    """

    def __init__(self, file, source: str = '<pickle>'):
        super().__init__(file, encoding='latin1')
        self.source = source

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == 'chumpy' or module.startswith('chumpy.'):
            return ChumpyStandIn
        raise UnsafePickleError(
            f'{self.source}: refuses to load global {module}.{name}; only '
            'numpy arrays, scipy.sparse matrices and chumpy arrays are '
            'allowed in this file (no code is run)')


def safe_load_pickle(path: str) -> Any:
    """Unpickle ``path`` with :class:`RestrictedUnpickler`."""
    with open(path, 'rb') as f:
        return RestrictedUnpickler(f, source=path).load()


def safe_load_npy(path: str) -> Any:
    """Read an ``.npy`` file, including object arrays, without running code.

    Object arrays (``np.save`` of a dict) are a pickle after the header; it is
    read with :class:`RestrictedUnpickler`. A 0-d object array is returned as
    its single item (e.g. the dict).
    """
    with open(path, 'rb') as f:
        version = np.lib.format.read_magic(f)
        read_header = (np.lib.format.read_array_header_1_0
                       if version == (1, 0) else
                       np.lib.format.read_array_header_2_0)
        _, _, dtype = read_header(f)
        if not dtype.hasobject:
            return np.load(path, allow_pickle=False)
        array = RestrictedUnpickler(io.BytesIO(f.read()), source=path).load()
    if not isinstance(array, np.ndarray):
        raise UnsafePickleError(f'{path}: the object payload is not an array')
    return array.item() if array.shape == () else array


def to_numpy(value: Any, source: str = '', field: str = '') -> np.ndarray:
    """A numpy array from an ndarray, a scipy.sparse matrix or a chumpy
    stand-in (its stored ``x``)."""
    if isinstance(value, ChumpyStandIn):
        if 'x' not in value.__dict__:
            raise ValueError(
                f'{source}: field {field!r} is a chumpy expression, not a '
                'stored array; re-save the file with plain numpy arrays')
        value = value.__dict__['x']
    if isinstance(value, torch.Tensor):
        return value.numpy()
    if scipy.sparse.issparse(value):
        return np.asarray(value.toarray())
    return np.asarray(value)
