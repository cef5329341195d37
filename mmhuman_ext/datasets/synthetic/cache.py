"""Write a generated dataset once into a cache folder, atomically.

Every built-in generator goes through :func:`ensure_generated`: the data are
written into a temporary folder beside the target and renamed onto it in one
step, so concurrent callers (the ranks of a distributed run) never see a
half-written dataset; the first rename wins and the others drop their copy. A
complete folder holds a marker file with the generator's parameters and is
re-used as is; a folder made with other parameters, an unreadable marker and a
target that is a file are refused before anything is generated.
"""
import hashlib
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Callable, Optional

from mmengine.logging import print_log

MARKER = '.generated.json'


def default_cache_root() -> str:
    """``$MMHUMAN_EXT_DATA``, else ``~/.cache/mmhuman_ext``."""
    return os.environ.get('MMHUMAN_EXT_DATA') or osp.join(
        osp.expanduser('~'), '.cache', 'mmhuman_ext')


def _is_complete(root: str, params: dict) -> bool:
    marker = osp.join(root, MARKER)
    if not osp.isfile(marker):
        return False
    try:
        with open(marker) as f:
            found = json.load(f)
    except (OSError, ValueError) as exc:
        raise ValueError(
            f'{marker}: cannot read the marker of a generated dataset '
            f'({type(exc).__name__}: {exc}); expected the JSON generator '
            f'parameters. Delete {root} to generate it again.') from None
    if found != params:
        raise ValueError(f'{root} holds data generated with {found}, not the '
                         f'requested {params}; choose another folder or '
                         'delete this one.')
    return True


def ensure_generated(name: str, params: dict, write: Callable[[str], None],
                     root: Optional[str] = None) -> str:
    """Return a folder holding the data of ``write``, generating it once.

    Args:
        name (str): Dataset name, e.g. ``'coco_figures-v2'`` (bump the
            version when the generator's output changes).
        params (dict): JSON-serialisable generator parameters; they key the
            default folder and are checked against an existing one.
        write (callable): ``write(folder)`` writes the whole dataset.
        root (str, optional): Target folder. Defaults to
            ``<cache>/synthetic/<name>-<hash of name, marker and params>``.
    """
    params = json.loads(json.dumps(params))  # tuples -> lists, as on disk
    if root is None:
        digest = hashlib.sha1(json.dumps(
            [name, MARKER, params], sort_keys=True).encode()).hexdigest()[:10]
        root = osp.join(default_cache_root(), 'synthetic',
                        f'{name}-{digest}')
    root = osp.abspath(osp.expanduser(root))
    if osp.exists(root) and not osp.isdir(root):
        raise NotADirectoryError(
            f'data_root {root} is a file; expected a folder to hold the '
            f'generated {name} data (or an empty / missing path)')
    if _is_complete(root, params):
        print_log(f'Using {name} data in {root}', logger='current')
        return root
    if osp.isdir(root) and os.listdir(root):
        raise FileExistsError(
            f'{root} exists, is not empty and has no {MARKER}: it is not a '
            f'complete {name} dataset; delete it or choose another folder.')
    parent = osp.dirname(root)
    os.makedirs(parent, exist_ok=True)
    print_log(f'Generating {name} data {params} into {root}',
              logger='current')
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(root)}.tmp-', dir=parent)
    try:
        os.chmod(tmp, 0o755)  # mkdtemp made it private
        write(tmp)
        with open(osp.join(tmp, MARKER), 'w') as f:
            json.dump(params, f)
        try:
            os.rename(tmp, root)
        except OSError:
            if not _is_complete(root, params):  # no other process won
                raise
            print_log(f'{root} was completed by another process; using it',
                      logger='current')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_log(f'{name} data ready in {root}', logger='current')
    return root
