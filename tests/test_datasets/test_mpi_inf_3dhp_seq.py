"""MPI-INF-3DHP loader (P-STMO npz layout)."""
import numpy as np
import pytest

from mmhuman_ext.datasets.annotation_errors import AnnotationError
from mmhuman_ext.registry import DATASETS


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp('3dhp')

    def seq(T):
        return {
            'data_2d': rng.uniform(0, 2048, (T, 17, 2)),
            'data_3d': rng.normal(0, 500, (T, 17, 3))
        }

    train = {
        'S1 Seq1': [{
            '0': seq(20),
            '2': seq(20)
        }, 25.],
        'S2 Seq2': [{
            '0': seq(15)
        }, 25.]
    }
    test = {
        f'TS{i}': dict(seq(12), valid=(np.arange(12) % 3 > 0))
        for i in (1, 5)
    }
    np.savez(path / 'data_train_3dhp.npz', data=train)
    np.savez(path / 'data_test_3dhp.npz', data=test)
    return path


def build(root, ann, **kw):
    return DATASETS.build(
        dict(
            type='MPIInf3DHPSeqDataset',
            data_root=str(root),
            ann_file=ann,
            seq_len=5,
            **kw))


def test_train_layout_cameras_and_flip_doubling(root):
    ds = build(root, 'data_train_3dhp.npz', flip_mode='double')
    assert len(ds) == 2 * (20 + 20 + 15)
    info = ds.get_data_info(20 + 3)
    assert (info['subject'], info['action'],
            info['camera_id']) == ('S1', 'Seq1', '2')
    assert info['camera_param'] == dict(w=2048, h=2048)
    assert ds.metainfo['flip_indices'][2] == 5  # right <-> left shoulder
    assert len(build(root, 'data_train_3dhp.npz', subjects=['S2'])) == 15


def test_test_layout_keeps_valid_frames_and_resolutions(root):
    ds = build(root, 'data_test_3dhp.npz', test_mode=True)
    assert len(ds) == 2 * 8
    frames = [ds.get_data_info(i)['frame'] for i in range(8)]
    assert frames == [1, 2, 4, 5, 7, 8, 10, 11]
    info = ds.get_data_info(8)
    assert info['subject'] == 'TS5'
    assert info['camera_param'] == dict(w=1920, h=1080)
    # the window around a valid frame uses invalid neighbours
    with np.load(root / 'data_test_3dhp.npz', allow_pickle=True) as f:
        raw = f['data'].item()['TS5']['data_2d']
    np.testing.assert_allclose(
        info['keypoints'], raw[[0, 0, 1, 2, 3]], rtol=1e-6)


def test_malformed_entry_names_file_and_field(root, tmp_path):
    np.savez(
        tmp_path / 'bad.npz', data={'TS1': {
            'data_2d': np.zeros((4, 17, 2))
        }})
    with pytest.raises(
            AnnotationError, match="'TS1'.*missing field "
            "'data_3d'"):
        build(tmp_path, 'bad.npz')
