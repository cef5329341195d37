import io
import math
import os.path as osp
import pickle
import sys
import types

import numpy as np
import pytest
import torch

from mmhuman_ext.models.editors.cvthead.flame import (FLAMELayer,
                                                      batch_rodrigues,
                                                      load_flame_model)
from mmhuman_ext.utils.safe_pickle import (UnsafePickleError,
                                           safe_load_pickle)


@pytest.fixture(scope='module')
def flame_dir(cvthead_small_data):
    return osp.join(cvthead_small_data, 'flame')


@pytest.fixture(scope='module')
def flame(flame_dir):
    return FLAMELayer(osp.join(flame_dir, 'generic_model.pkl'),
                      landmark_path=osp.join(flame_dir,
                                             'landmark_embedding.npy'))


def test_file_layout_is_flame(flame_dir):
    raw = safe_load_pickle(osp.join(flame_dir, 'generic_model.pkl'))
    assert raw['shapedirs'].shape[1:] == (3, 400)
    assert raw['posedirs'].shape[1:] == (3, 36)
    assert type(raw['J_regressor']).__name__ == 'csc_matrix'
    assert raw['kintree_table'][0, 0] == 2**32 - 1


def test_zero_codes_give_template_and_shape_is_linear(flame):
    b = 2
    zeros = dict(shape=torch.zeros(b, 100), expression=torch.zeros(b, 50),
                 pose=torch.zeros(b, 6))
    v = flame(**zeros)
    assert torch.allclose(v, flame.v_template.expand(b, -1, -1), atol=1e-6)
    beta = torch.randn(b, 100)
    v = flame(beta, zeros['expression'], zeros['pose'])
    expect = flame.v_template + torch.einsum('bl,nkl->bnk', beta,
                                             flame.blend_dirs[..., :100])
    assert torch.allclose(v, expect, atol=1e-5)


def test_global_yaw_rotates_about_root(flame):
    pose = torch.zeros(1, 6)
    pose[0, 1] = math.pi / 2
    v = flame(torch.zeros(1, 100), torch.zeros(1, 50), pose)[0]
    root = flame.J_regressor[0] @ flame.v_template
    rot = torch.tensor([[0., 0., 1.], [0., 1., 0.], [-1., 0., 0.]])
    expect = (flame.v_template - root) @ rot.T + root
    assert torch.allclose(v, expect, atol=1e-5)


def test_jaw_moves_only_lower_face(flame):
    pose = torch.zeros(1, 6)
    pose[0, 3] = 0.3
    rest = flame(torch.zeros(1, 100), torch.zeros(1, 50), torch.zeros(1, 6))
    open_ = flame(torch.zeros(1, 100), torch.zeros(1, 50), pose)
    moved = (open_ - rest).norm(dim=-1)[0]
    y = flame.v_template[:, 1]
    assert moved[y < -0.03].max() > 5 * moved[y > 0.05].max()


def test_rodrigues_matches_closed_form():
    r = batch_rodrigues(torch.tensor([[0., 0., math.pi / 2]]))[0]
    assert torch.allclose(r, torch.tensor([[0., -1., 0.], [1., 0., 0.],
                                           [0., 0., 1.]]), atol=1e-6)


def test_landmarks_are_barycentric_points(flame):
    v = flame.v_template[None]
    lmk = flame.landmarks(v)
    assert lmk.shape == (1, 68, 3)
    tri = flame.faces[flame.lmk_faces_idx]
    assert torch.allclose(lmk[0], v[0][tri].mean(1), atol=1e-6)


def test_code_size_mismatch_is_clear(flame):
    with pytest.raises(ValueError, match=r'expression code must be \(B, 50\)'):
        flame(torch.zeros(1, 100), torch.zeros(1, 10), torch.zeros(1, 6))
    with pytest.raises(ValueError, match='batch sizes'):
        flame(torch.zeros(2, 100), torch.zeros(1, 50), torch.zeros(1, 6))


def test_wrong_layout_names_file_and_field(tmp_path, flame_dir):
    raw = safe_load_pickle(osp.join(flame_dir, 'generic_model.pkl'))
    bad = dict(raw)
    bad['posedirs'] = raw['posedirs'][:, :, :10]
    path = tmp_path / 'bad.pkl'
    path.write_bytes(pickle.dumps(bad, protocol=2))
    with pytest.raises(ValueError, match=r"bad.pkl.*'posedirs'.*36"):
        load_flame_model(str(path))
    del bad['weights']
    path.write_bytes(pickle.dumps(bad, protocol=2))
    with pytest.raises(ValueError, match=r"missing field\(s\) \['weights'\]"):
        load_flame_model(str(path))
    with pytest.raises(FileNotFoundError, match='flame.is.tue.mpg.de'):
        load_flame_model(str(tmp_path / 'none.pkl'))


class _Evil:

    def __reduce__(self):
        return (eval, ('1 + 1', ))


def test_pickle_with_code_is_refused(tmp_path):
    path = tmp_path / 'evil.pkl'
    path.write_bytes(pickle.dumps(dict(v_template=_Evil())))
    with pytest.raises(UnsafePickleError, match='builtins.eval'):
        load_flame_model(str(path))


def test_chumpy_arrays_are_read_without_chumpy(tmp_path, flame_dir,
                                               monkeypatch):
    """FLAME 2020 stores shapedirs as a chumpy Ch; a pickle naming
    chumpy.ch.Ch loads through the stand-in and yields its stored array."""
    raw = safe_load_pickle(osp.join(flame_dir, 'generic_model.pkl'))
    module = types.ModuleType('chumpy.ch')

    class Ch:

        def __init__(self, x):
            self.x = x
            self._dirty_vars = set()

    Ch.__module__, Ch.__qualname__ = 'chumpy.ch', 'Ch'
    module.Ch = Ch
    monkeypatch.setitem(sys.modules, 'chumpy', types.ModuleType('chumpy'))
    monkeypatch.setitem(sys.modules, 'chumpy.ch', module)
    data = dict(raw, shapedirs=Ch(raw['shapedirs']))
    buf = io.BytesIO()
    pickle.dump(data, buf, protocol=2)
    monkeypatch.delitem(sys.modules, 'chumpy.ch')
    monkeypatch.delitem(sys.modules, 'chumpy')
    path = tmp_path / 'chumpy_model.pkl'
    path.write_bytes(buf.getvalue())
    model = load_flame_model(str(path))
    assert 'chumpy' not in sys.modules
    np.testing.assert_allclose(model['shapedirs'], raw['shapedirs'],
                               rtol=1e-6)
