"""A data file that would run code when unpickled is refused by every
loader, naming the file and the global, and nothing from it runs.

Each crafted file holds an object whose unpickling would create a marker
file; the plain unpickler is shown to create it, the loaders must not.
"""
import os
import pickle

import numpy as np
import pytest

from mmhuman_ext.datasets.synthetic.motion3d import write_videopose3d_h36m
from mmhuman_ext.geometry.h36m_cameras import load_h36m_cameras
from mmhuman_ext.registry import DATASETS
from mmhuman_ext.utils.safe_pickle import (CorruptPickleError,
                                           UnsafePickleError)


class _CreatesMarker:
    """Unpickling this runs ``touch <marker>``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def _assert_payload_is_live(payload, marker):
    """The crafted object really runs code under a plain unpickler."""
    pickle.loads(pickle.dumps(payload))
    assert marker.exists()
    marker.unlink()


def _refused(build, marker, file_name):
    with pytest.raises(UnsafePickleError) as info:
        build()
    assert file_name in str(info.value)
    assert 'system' in str(info.value)  # the global is named
    assert not marker.exists()


def test_videopose3d_npz(tmp_path):
    write_videopose3d_h36m(str(tmp_path), subjects=['S1'],
                           actions=['Walking'], num_frames=20, seed=0)
    marker = tmp_path / 'marker'
    payload = {'S1': {'Walking': _CreatesMarker(marker)}}
    _assert_payload_is_live(payload, marker)
    np.savez(tmp_path / 'data_3d_h36m.npz',
             positions_3d=np.array(payload, dtype=object))
    _refused(
        lambda: DATASETS.build(
            dict(type='H36MVideoPose3DDataset', data_root=str(tmp_path),
                 subjects=['S1'], seq_len=9)), marker, 'data_3d_h36m.npz')


def test_videopose3d_2d_npz(tmp_path):
    write_videopose3d_h36m(str(tmp_path), subjects=['S1'],
                           actions=['Walking'], num_frames=20, seed=0)
    marker = tmp_path / 'marker'
    np.savez(tmp_path / 'data_2d_h36m_cpn_ft_h36m_dbb.npz',
             positions_2d=np.array({'S1': _CreatesMarker(marker)},
                                   dtype=object))
    _refused(
        lambda: DATASETS.build(
            dict(type='H36MVideoPose3DDataset', data_root=str(tmp_path),
                 subjects=['S1'], seq_len=9)), marker,
        'data_2d_h36m_cpn_ft_h36m_dbb.npz')


def test_mpi_inf_3dhp_npz(tmp_path):
    marker = tmp_path / 'marker'
    data = {'TS1': dict(data_2d=np.zeros((5, 17, 2)),
                        data_3d=_CreatesMarker(marker),
                        valid=np.ones(5))}
    np.savez(tmp_path / 'data_test_3dhp.npz',
             data=np.array(data, dtype=object))
    _refused(
        lambda: DATASETS.build(
            dict(type='MPIInf3DHPSeqDataset', data_root=str(tmp_path),
                 ann_file='data_test_3dhp.npz', seq_len=3)), marker,
        'data_test_3dhp.npz')


def test_multiview_annotation_pickle(tmp_path):
    marker = tmp_path / 'marker'
    records = [dict(image='a.jpg', joints_2d=np.zeros((17, 2)),
                    joints_3d_camera=np.zeros((17, 3)), box=np.zeros(4),
                    camera=_CreatesMarker(marker), camera_id=0, subject=1,
                    action=2, subaction=1, image_id=0)]
    with open(tmp_path / 'h36m_train.pkl', 'wb') as f:
        pickle.dump(records, f)
    _refused(
        lambda: DATASETS.build(
            dict(type='MultiViewH36MDataset', data_root=str(tmp_path),
                 ann_file='h36m_train.pkl')), marker, 'h36m_train.pkl')


def test_mmpose_cameras_pickle(tmp_path):
    marker = tmp_path / 'marker'
    with open(tmp_path / 'cameras.pkl', 'wb') as f:
        pickle.dump({('S1', '54138969'): _CreatesMarker(marker)}, f)
    _refused(lambda: load_h36m_cameras(str(tmp_path / 'cameras.pkl')),
             marker, 'cameras.pkl')


def test_mmpose_cameras_pickle_still_loads(tmp_path):
    """The allow-list keeps what mmpose's cameras.pkl holds: numpy arrays
    (protocol 2 and the current default) and plain numbers."""
    entry = dict(R=np.eye(3), T=np.ones((3, 1)), f=np.ones((2, 1)) * 1145,
                 c=np.ones((2, 1)) * 500, k=np.zeros((3, 1)),
                 p=np.zeros((2, 1)), w=1000, h=np.int64(1002))
    for protocol in (2, pickle.DEFAULT_PROTOCOL):
        with open(tmp_path / 'cameras.pkl', 'wb') as f:
            pickle.dump({('S1', '54138969'): entry}, f, protocol=protocol)
        cameras, order = load_h36m_cameras(str(tmp_path / 'cameras.pkl'))
        assert order == ['54138969']
        assert cameras[('S1', '54138969')]['h'] == 1002


def test_voxceleb_landmarks_pickle(tmp_path):
    from mmhuman_ext.utils.safe_pickle import safe_load_pickle
    marker = tmp_path / 'marker'
    with open(tmp_path / 'video.pkl', 'wb') as f:
        pickle.dump({0: {'ldmk': _CreatesMarker(marker)}}, f)
    _refused(lambda: safe_load_pickle(str(tmp_path / 'video.pkl')), marker,
             'video.pkl')


def test_truncated_pickle_and_npz_name_the_file(tmp_path):
    with open(tmp_path / 'h36m_train.pkl', 'wb') as f:
        f.write(pickle.dumps([dict(image='a.jpg', x=np.zeros(50))])[:60])
    with pytest.raises(CorruptPickleError, match='h36m_train.pkl'):
        DATASETS.build(
            dict(type='MultiViewH36MDataset', data_root=str(tmp_path),
                 ann_file='h36m_train.pkl'))
    write_videopose3d_h36m(str(tmp_path), subjects=['S1'],
                           actions=['Walking'], num_frames=20, seed=0)
    path = tmp_path / 'data_3d_h36m.npz'
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CorruptPickleError, match='data_3d_h36m.npz'):
        DATASETS.build(
            dict(type='H36MVideoPose3DDataset', data_root=str(tmp_path),
                 subjects=['S1'], seq_len=9))
