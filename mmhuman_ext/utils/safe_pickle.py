"""Reading third-party pickles (FLAME, mesh hierarchies, landmark files)
without running code.

The official FLAME ``generic_model.pkl``, the CoMA-style ``transform.pkl``
mesh hierarchy, DECA's ``landmark_embedding.npy`` (an object array, i.e. a
pickle behind an ``.npy`` header) and VoxCeleb per-video landmark ``.pkl``
files are all Python pickles. A plain :func:`pickle.load` would run whatever
callable the file names. :class:`RestrictedUnpickler` resolves only an
explicit allow-list of globals:

* numpy: ``ndarray``, ``dtype``, ``multiarray._reconstruct``,
  ``multiarray.scalar`` and ``numeric._frombuffer`` (protocol 5; numpy 1 and
  numpy 2 module paths);
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
global before anything is constructed. Data files (:data:`NUMPY_ONLY`) allow
only the numpy entries (and ``_codecs.encode``); a truncated file raises
:class:`CorruptPickleError` naming it.

:class:`SafePickleHandler` is mmengine's ``.pkl`` / ``.pickle`` file handler
with this unpickler (:data:`DATA_PICKLE`: numpy, tensors, plain containers);
:func:`~mmhuman_ext.utils.compat.apply_compat` installs it, so every
``mmengine.fileio.load`` of a pickle (mmpose's detection ``bbox_file``,
annotation pickles, ``tools/test.py --dump`` results) refuses code.
"""
import collections
import copyreg
import io
import pickle
import sys
import zipfile
from typing import Any, Dict, Tuple

import numpy as np
import scipy.sparse
import torch
import torch._utils
from mmengine.fileio.handlers import PickleHandler


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle names a global outside the allow-list; nothing was run."""


class CorruptPickleError(ValueError):
    """The file is truncated or not a pickle / numpy file."""


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
    numeric = np._core.numeric if numpy_2 else np.core.numeric
    for mod in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        allowed[(mod, '_reconstruct')] = multiarray._reconstruct
        allowed[(mod, 'scalar')] = multiarray.scalar
    for mod in ('numpy.core.numeric', 'numpy._core.numeric'):
        # protocol 5 arrays: frombuffer(bytes, dtype).reshape(shape)
        allowed[(mod, '_frombuffer')] = numeric._frombuffer
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


#: Data files (VideoPose3D ``.npz`` dicts, H36M-Toolbox / Ski-Pose
#: annotation pickles, mmpose's ``cameras.pkl``) hold only numpy arrays and
#: scalars inside plain lists, dicts, tuples, strings and numbers.
NUMPY_ONLY = {('_codecs', 'encode'): _latin1_encode, **_numpy_globals()}

_MODEL_FILE_TYPES = ('numpy arrays, scipy.sparse matrices and chumpy arrays')

#: Pickles read through ``mmengine.fileio.load`` (detection and annotation
#: files, dumped predictions): numpy arrays and scalars, tensors (storage
#: read with ``torch.load(weights_only=True)``), ``torch.Size``,
#: ``OrderedDict``, sets, inside plain lists, dicts, tuples, strings, numbers.
DATA_PICKLE = {
    **NUMPY_ONLY,
    ('torch._utils', '_rebuild_tensor_v2'): torch._utils._rebuild_tensor_v2,
    ('torch.storage', '_load_from_bytes'): _storage_from_bytes,
    ('torch', 'Size'): torch.Size,
    ('collections', 'OrderedDict'): collections.OrderedDict,
    **{key: value for key, value in _ALLOWED.items()
       if key[1] in ('set', 'frozenset')},
}
_DATA_PICKLE_TYPES = 'numpy arrays, tensors and plain containers'


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only an allow-list of globals.

    Args:
        file: a binary file object.
        source (str): file name used in error messages.
        allowed (dict, optional): ``{(module, name): object}``; defaults to
            the model-file list of the module docstring (numpy, scipy.sparse,
            chumpy stand-ins, tensors). Data files pass :data:`NUMPY_ONLY`.
        what (str): the allowed types, for the error message.
    """

    def __init__(self, file, source: str = '<pickle>', allowed=None,
                 what: str = _MODEL_FILE_TYPES):
        super().__init__(file, encoding='latin1')
        self.source = source
        self.allowed = _ALLOWED if allowed is None else allowed
        self.chumpy = allowed is None
        self.what = what

    def find_class(self, module: str, name: str):
        if (module, name) in self.allowed:
            return self.allowed[(module, name)]
        if self.chumpy and (module == 'chumpy'
                            or module.startswith('chumpy.')):
            return ChumpyStandIn
        raise UnsafePickleError(
            f'{self.source}: refuses to load global {module}.{name}; only '
            f'{self.what} are allowed in this file (nothing from it was run)')


def _load(file, source: str, allowed, what: str) -> Any:
    try:
        return RestrictedUnpickler(file, source, allowed, what).load()
    except UnsafePickleError:
        raise
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError,
            AttributeError, IndexError) as exc:
        raise CorruptPickleError(
            f'{source}: cannot read this pickle, it is truncated or not a '
            f'pickle ({type(exc).__name__}: {exc})') from None


def safe_load_pickle(path: str, allowed=None,
                     what: str = _MODEL_FILE_TYPES) -> Any:
    """Unpickle ``path`` with :class:`RestrictedUnpickler`.

    Raises:
        UnsafePickleError: a global outside ``allowed`` (file and global
            named; nothing was run).
        CorruptPickleError: the file is truncated or not a pickle.
    """
    with open(path, 'rb') as f:
        return _load(f, path, allowed, what)


def _source_of(file) -> str:
    """The file name for messages: ``mmengine.fileio.load(path)`` hands the
    handler only a ``BytesIO`` of the bytes, so the path is taken from that
    caller's ``file`` argument."""
    if getattr(file, 'name', None):
        return str(file.name)
    caller = sys._getframe(2)
    if caller.f_globals.get('__name__') == 'mmengine.fileio.io' and \
            isinstance(caller.f_locals.get('file'), str):
        return caller.f_locals['file']
    return 'a pickle read by mmengine.fileio.load'


class SafePickleHandler(PickleHandler):
    """mmengine's pickle file handler reading with
    :class:`RestrictedUnpickler` (:data:`DATA_PICKLE`); writing unchanged.
    """

    def load_from_fileobj(self, file, **kwargs):
        return _load(file, _source_of(file), DATA_PICKLE, _DATA_PICKLE_TYPES)

    def load_from_path(self, filepath, **kwargs):
        with open(filepath, 'rb') as f:
            return _load(f, str(filepath), DATA_PICKLE, _DATA_PICKLE_TYPES)


def _read_npy(f, source: str, allowed=None, what: str = _MODEL_FILE_TYPES):
    """The array of an open ``.npy`` stream; object arrays through the
    restricted unpickler."""
    try:
        version = np.lib.format.read_magic(f)
        read_header = (np.lib.format.read_array_header_1_0
                       if version == (1, 0) else
                       np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read_header(f)
    except ValueError as exc:
        raise CorruptPickleError(f'{source}: not a .npy array ({exc})') \
            from None
    if not dtype.hasobject:
        count = int(np.prod(shape))
        data = f.read(count * dtype.itemsize)
        if len(data) != count * dtype.itemsize:
            raise CorruptPickleError(
                f'{source}: truncated array ({len(data)} of '
                f'{count * dtype.itemsize} bytes)')
        array = np.frombuffer(data, dtype=dtype)
        return array.reshape(shape, order='F' if fortran else 'C').copy()
    array = _load(io.BytesIO(f.read()), source, allowed, what)
    if not isinstance(array, np.ndarray):
        raise UnsafePickleError(f'{source}: the object payload is not an '
                                'array')
    return array.item() if array.shape == () else array


def safe_load_npy(path: str) -> Any:
    """Read an ``.npy`` file, including object arrays, without running code.

    Object arrays (``np.save`` of a dict) are a pickle after the header; it is
    read with :class:`RestrictedUnpickler`. A 0-d object array is returned as
    its single item (e.g. the dict).
    """
    with open(path, 'rb') as f:
        return _read_npy(f, path)


def safe_load_npz_field(path: str, key: str, allowed=NUMPY_ONLY,
                        what: str = 'numpy arrays') -> Any:
    """Field ``key`` of an ``.npz`` file, object arrays (pickled dicts, as
    VideoPose3D writes them) read through the restricted unpickler with
    ``allowed`` (numpy only by default). A 0-d object array is returned as
    its item.

    Raises:
        KeyError: ``key`` is not in the file (the fields found are named).
        UnsafePickleError, CorruptPickleError: as :func:`safe_load_pickle`.
    """
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise CorruptPickleError(f'{path}: not an .npz archive ({exc}); it '
                                 'may be truncated') from None
    with archive:
        names = [n[:-4] for n in archive.namelist() if n.endswith('.npy')]
        if key not in names:
            raise KeyError(f'{path}: missing field {key!r} (found {names})')
        try:
            with archive.open(key + '.npy') as f:
                return _read_npy(io.BytesIO(f.read()), f'{path}[{key!r}]',
                                 allowed, what)
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise CorruptPickleError(f'{path}: field {key!r} cannot be read '
                                     f'({exc}); the file may be truncated') \
                from None


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
