"""Pose data loaders refuse NaN / inf naming file, entry and frames, infer
the length unit from the thigh, and take mmengine's ``indices``."""
import pickle

import numpy as np
import pytest
from mmengine.logging import MMLogger
from test_bad_input import LogCapture
from test_multiview_h36m import GROUPS, write_fake

from mmhuman_ext.datasets import MultiViewH36MDataset
from mmhuman_ext.datasets.annotation_errors import AnnotationError
from mmhuman_ext.datasets.multiview_h36m import MultiViewAnnotationError
from mmhuman_ext.datasets.synthetic.motion3d import write_videopose3d_h36m
from mmhuman_ext.geometry.units import LengthUnitError
from mmhuman_ext.registry import DATASETS


@pytest.fixture
def vp3d(tmp_path):
    write_videopose3d_h36m(str(tmp_path), subjects=['S1'],
                           actions=['Walking'], num_frames=20, seed=0)
    return tmp_path


def _rewrite_3d(root, change):
    with np.load(root / 'data_3d_h36m.npz', allow_pickle=True) as f:
        pos = f['positions_3d'].item()
    change(pos['S1']['Walking'])
    np.savez(root / 'data_3d_h36m.npz', positions_3d=pos)
    return pos


def _build_vp3d(root, **kw):
    return DATASETS.build(
        dict(type='H36MVideoPose3DDataset', data_root=str(root),
             subjects=['S1'], seq_len=9, **kw))


def test_videopose3d_nan_3d_names_file_entry_and_frames(vp3d):

    def change(world):
        world[4, 3] = np.nan
        world[7, 0, 1] = np.inf

    _rewrite_3d(vp3d, change)
    with pytest.raises(AnnotationError) as info:
        _build_vp3d(vp3d)
    message = str(info.value)
    assert "data_3d_h36m.npz: positions_3d['S1']['Walking']" in message
    assert '2 of 20 frames (first: [4, 7])' in message


def test_videopose3d_inf_2d_follows_the_nan_policy(vp3d):
    path = vp3d / 'data_2d_h36m_cpn_ft_h36m_dbb.npz'
    with np.load(path, allow_pickle=True) as f:
        pos = f['positions_2d'].item()
    pos['S1']['Walking'][0][5, 2, 0] = np.inf
    np.savez(path, positions_2d=pos)
    with pytest.raises(AnnotationError, match=r'1 frames have NaN/inf.*\[5\]'):
        _build_vp3d(vp3d)
    ds = _build_vp3d(vp3d, nan_policy='interpolate')
    assert np.isfinite(ds.videos[0]['keypoints']).all()


def test_videopose3d_millimetres_are_recognised(vp3d):
    metres = _build_vp3d(vp3d).videos[0]['keypoints_3d']

    def to_mm(world):
        world *= 1000

    _rewrite_3d(vp3d, to_mm)
    with LogCapture(MMLogger.get_current_instance()) as log:
        ds = _build_vp3d(vp3d)
    np.testing.assert_allclose(ds.videos[0]['keypoints_3d'], metres,
                               rtol=1e-5, atol=1e-6)
    assert any("in ['mm']" in m and 'converted to metres' in m for m in log)

    def nonsense(world):
        world *= 1e-4  # a 0.05 mm thigh

    _rewrite_3d(vp3d, nonsense)
    with pytest.raises(LengthUnitError, match='fits no length unit'):
        _build_vp3d(vp3d)


def _write_3dhp(root, data_3d, data_2d=None, valid=None):
    rng = np.random.default_rng(0)
    entry = dict(data_2d=rng.uniform(0, 2048, (6, 17, 2))
                 if data_2d is None else data_2d, data_3d=data_3d,
                 valid=np.ones(6) if valid is None else valid)
    np.savez(root / 'data_test_3dhp.npz',
             data=np.array({'TS1': entry}, dtype=object))
    return DATASETS.build(
        dict(type='MPIInf3DHPSeqDataset', data_root=str(root),
             ann_file='data_test_3dhp.npz', seq_len=3))


def test_mpi_inf_3dhp_non_finite_and_units(tmp_path):
    rng = np.random.default_rng(1)
    mm = rng.normal(0, 300, (6, 17, 3))
    mm[:, 9] = mm[:, 8] + [0, 450, 0]  # right thigh 450 mm
    ds = _write_3dhp(tmp_path, mm)
    np.testing.assert_allclose(ds.videos[0]['keypoints_3d'], mm, rtol=1e-5)
    ds = _write_3dhp(tmp_path, mm / 1000)  # metres -> converted to mm
    np.testing.assert_allclose(ds.videos[0]['keypoints_3d'], mm, rtol=1e-4)
    bad = mm.copy()
    bad[2, 4, 0] = np.nan
    with pytest.raises(AnnotationError, match=r"data\['TS1'\].*data_3d"):
        _write_3dhp(tmp_path, bad)
    # an invalid (unscored) frame may hold anything
    ds = _write_3dhp(tmp_path, bad, valid=np.array([1, 1, 0, 1, 1, 1]))
    assert len(ds) == 5
    kpts = rng.uniform(0, 2048, (6, 17, 2))
    kpts[3, 0, 0] = np.inf
    with pytest.raises(AnnotationError, match=r'data_2d holds NaN/inf.*\[3\]'):
        _write_3dhp(tmp_path, mm, data_2d=kpts)


def test_multiview_non_finite_record_is_named(tmp_path):
    ann, recs = write_fake(tmp_path, GROUPS[:1], img_hw=(8, 8))
    for field in ('joints_2d', 'joints_3d_camera', 'box'):
        bad = [dict(r) for r in recs]
        bad[1] = dict(bad[1], **{field: np.array(recs[1][field], float)})
        bad[1][field].flat[0] = np.nan
        with open(ann, 'wb') as f:
            pickle.dump(bad, f)
        with pytest.raises(MultiViewAnnotationError,
                           match=f'record 1: {field} holds NaN/inf'):
            MultiViewH36MDataset(ann_file=ann)


def test_multiview_metres_become_millimetres(tmp_path):
    ann, _ = write_fake(tmp_path, GROUPS[:2], img_hw=(8, 8))
    mm = MultiViewH36MDataset(ann_file=ann).get_data_info(0)
    ann, _ = write_fake(tmp_path, GROUPS[:2], img_hw=(8, 8), unit=1e-3)
    metres = MultiViewH36MDataset(ann_file=ann).get_data_info(0)
    np.testing.assert_allclose(metres['keypoints_3d'], mm['keypoints_3d'],
                               atol=1e-2)


def test_multiview_takes_indices_and_logs_dropped_instants(tmp_path):
    ann, _ = write_fake(tmp_path, GROUPS, img_hw=(8, 8))
    with LogCapture(MMLogger.get_current_instance()) as log:
        full = MultiViewH36MDataset(ann_file=ann)
    assert len(full) == 2
    text = '\n'.join(log)
    assert '4 dropped by the sequence filter' in text
    assert '1 instants dropped for lacking one of the 4 cameras' in text
    one = MultiViewH36MDataset(ann_file=ann, indices=[1])
    assert len(one) == 1
    assert one.get_data_info(0)['sample_key'] == \
        full.get_data_info(1)['sample_key']


def test_multiview_empty_image_is_caught_when_built(tmp_path):
    ann, recs = write_fake(tmp_path, GROUPS[:1], img_hw=(8, 8))
    (tmp_path / 'images' / recs[2]['image']).write_bytes(b'')
    with pytest.raises(AnnotationError, match='0 bytes.*' + recs[2]['image']):
        MultiViewH36MDataset(ann_file=ann, data_root=str(tmp_path))
