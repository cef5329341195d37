"""Shared test set-up: every module registered, default scope mmhuman_ext.

A Runner makes its config's scope the current default scope for the rest of
the process; each test therefore starts inside a fresh ``mmhuman_ext`` scope.
"""
import importlib.util
import os.path as osp

import pytest
from mmengine.registry import DefaultScope

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(autouse=True, scope='session')
def _register_modules():
    from mmhuman_ext.utils import register_all_modules
    register_all_modules(init_default_scope=True)


@pytest.fixture(autouse=True, scope='session')
def _one_thread():
    """Tests run small CPU tensors on a shared 2-core machine, where one
    thread is faster than two."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _default_scope():
    with DefaultScope.overwrite_default_scope('mmhuman_ext'):
        yield


def pytest_collection_modifyitems(config, items):
    """Tests marked ``gpu`` skip cleanly on machines without CUDA."""
    import torch
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason='needs a CUDA device')
    for item in items:
        if 'gpu' in item.keywords:
            item.add_marker(skip)


# CVTHead: one small synthetic head dataset (stand-in FLAME files + videos)
# per test session, shared by the CVTHead test files.
CVTHEAD_SMALL = dict(subdivisions=2, num_train_subjects=2,
                     num_test_subjects=2, videos_per_subject=1,
                     frames_per_video=4, frame_size=64, seed=0)


@pytest.fixture(scope='session')
def cvthead_small_data(tmp_path_factory):
    from mmhuman_ext.datasets.synthetic.heads import ensure_synthetic_heads
    return ensure_synthetic_heads(
        str(tmp_path_factory.getbasetemp() / 'cvthead_small'),
        **CVTHEAD_SMALL)


@pytest.fixture(scope='session')
def flame_sized_hierarchy(tmp_path_factory):
    """A CVTHead hierarchy file with FLAME's level sizes 5023 -> 1256 -> 314
    (random connectivity: only the sizes matter for parameter counts and
    checkpoint layouts)."""
    import numpy as np
    rng = np.random.default_rng(0)
    sizes = (5023, 1256, 314)
    arrays = dict(num_levels=np.int64(2))
    for lvl, n in enumerate(sizes):
        arrays[f'vertices_{lvl}'] = rng.standard_normal((n, 3)).astype(
            np.float32)
        arrays[f'faces_{lvl}'] = rng.integers(0, n, (2 * n, 3))
    for lvl in range(2):
        fine, coarse = sizes[lvl], sizes[lvl + 1]
        arrays[f'down_index_{lvl}'] = np.arange(coarse)[:, None]
        arrays[f'down_weight_{lvl}'] = np.ones((coarse, 1), np.float32)
        arrays[f'up_index_{lvl}'] = rng.integers(0, coarse, (fine, 3))
        arrays[f'up_weight_{lvl}'] = np.full((fine, 3), 1 / 3, np.float32)
        arrays[f'spiral_{lvl}'] = rng.integers(0, fine, (fine, 9))
    path = tmp_path_factory.mktemp('flame_sizes') / 'hierarchy.npz'
    np.savez(path, **arrays)
    return str(path)


# Motion transfer: one small puppet dataset (frames, IUV, masks, keypoints)
# per test session, shared by the data, metric, converter and API tests.
PUPPETS_SMALL = dict(num_train=3, num_test=2, num_frames=6, size=64, seed=0,
                     num_pairs=3)


@pytest.fixture(scope='session')
def puppet_small_data(tmp_path_factory):
    from mmhuman_ext.datasets.synthetic.puppets import ensure_puppets
    return ensure_puppets(
        str(tmp_path_factory.getbasetemp() / 'puppets_small'),
        **PUPPETS_SMALL)


@pytest.fixture(scope='session')
def infer_tool():
    """``tools/infer.py`` as a module (its ``main(argv)`` runs a mode)."""
    spec = importlib.util.spec_from_file_location(
        'infer', osp.join(ROOT, 'tools', 'infer.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
