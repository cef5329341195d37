import os.path as osp
import pickle

import numpy as np
import pytest
import scipy.sparse
import torch

from mmhuman_ext.models.editors.cvthead.mesh_hierarchy import (MeshHierarchy,
                                                      compute_spirals,
                                                      openmesh_spirals)

FIXTURE = osp.join(osp.dirname(__file__), '..', '..', '..', 'data',
                   'cvthead', 'openmesh_spirals_fixture.npz')


@pytest.fixture(scope='module')
def hier(cvthead_small_data):
    return MeshHierarchy(osp.join(cvthead_small_data, 'flame',
                                  'hierarchy.npz'))


def test_levels_and_transforms(hier):
    assert hier.num_vertices == [162, 42, 12]
    x = torch.randn(2, 42, 5)
    # up then down is the identity on nested icosphere levels
    assert torch.allclose(hier.down(hier.up(x, 0), 0), x, atol=1e-6)
    const = torch.ones(1, 12, 3)
    assert torch.allclose(hier.up(hier.up(const, 1), 0),
                          torch.ones(1, 162, 3))
    assert hier.spirals(0).shape == (162, 9) and hier.spirals(1).shape == (
        42, 9)
    assert torch.equal(hier.spirals(0)[:, 0], torch.arange(162))


def test_spiral_is_rings_in_order():
    # a flat fan: centre 0 with 8 neighbours around it, then nothing more
    ang = np.linspace(0, 2 * np.pi, 9)[:-1]
    verts = np.concatenate([[[0, 0, 0]], np.stack(
        [np.cos(ang), np.sin(ang), np.zeros(8)], 1)])
    faces = np.array([[0, 1 + i, 1 + (i + 1) % 8] for i in range(8)])
    sp = compute_spirals(verts.astype(np.float64), faces)
    assert sp[0, 0] == 0 and set(sp[0, 1:]) == set(range(1, 9))
    # ordered by angle around the normal: consecutive ring vertices
    ring = list(sp[0, 1:])
    steps = {(ring[(i + 1) % 8] - ring[i]) % 8 for i in range(8)}
    assert len(steps) == 1


def test_coma_pickle_is_read(tmp_path, cvthead_small_data):
    z = np.load(osp.join(cvthead_small_data, 'flame', 'hierarchy.npz'))

    def sparse(prefix, lvl, cols):
        idx, w = z[f'{prefix}_index_{lvl}'], z[f'{prefix}_weight_{lvl}']
        rows = np.repeat(np.arange(len(idx)), idx.shape[1])
        return scipy.sparse.csc_matrix((w.ravel(), (rows, idx.ravel())),
                                       shape=(len(idx), cols))

    nv = [len(z[f'vertices_{i}']) for i in range(3)]
    coma = dict(vertices=[z[f'vertices_{i}'] for i in range(3)],
                face=[z[f'faces_{i}'] for i in range(3)],
                down_transform=[sparse('down', i, nv[i]) for i in range(2)],
                up_transform=[sparse('up', i, nv[i + 1]) for i in range(2)])
    path = tmp_path / 'transform.pkl'
    path.write_bytes(pickle.dumps(coma))
    h = MeshHierarchy(str(path), spiral_order='angle')
    ref = MeshHierarchy(osp.join(cvthead_small_data, 'flame',
                                 'hierarchy.npz'))
    x = torch.randn(1, 12, 4)
    assert torch.allclose(h.up(h.up(x, 1), 0), ref.up(ref.up(x, 1), 0),
                          atol=1e-6)
    assert torch.equal(h.spirals(0), ref.spirals(0))
    # a CoMA pickle (the official transform.pkl) gets the official order
    official = MeshHierarchy(str(path))
    for lvl in range(2):
        expect = openmesh_spirals(coma['vertices'][lvl], coma['face'][lvl])
        assert torch.equal(official.spirals(lvl), torch.from_numpy(expect))
    assert not torch.equal(official.spirals(0), ref.spirals(0))
    # and an npz can be asked for it too
    again = MeshHierarchy(osp.join(cvthead_small_data, 'flame',
                                   'hierarchy.npz'), spiral_order='openmesh')
    assert torch.equal(again.spirals(1), official.spirals(1))


def test_openmesh_order_matches_openmesh():
    """Spirals of the official code (OpenMesh ``TriMesh`` circulation, ring
    walk, kNN fallback), recorded with openmesh 1.2.1 for a perturbed
    icosphere whose faces are shuffled and partly removed (boundaries, patch
    re-linking while the mesh is built)."""
    z = np.load(FIXTURE)
    sp = openmesh_spirals(z['vertices'], z['faces'])
    assert np.array_equal(sp, z['spirals'])
    # the face order matters (it decides where OpenMesh starts circulating)
    flipped = openmesh_spirals(z['vertices'], z['faces'][::-1])
    assert not np.array_equal(flipped, z['spirals'])
    assert np.array_equal(flipped[:, 0], sp[:, 0])


def test_missing_file_message(tmp_path):
    with pytest.raises(FileNotFoundError, match='transform.pkl'):
        MeshHierarchy(str(tmp_path / 'x.npz'))
