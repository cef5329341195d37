"""Built-in multi-view figures: written in the H36M-Toolbox layout, read by
the real loader, labels consistent with the cameras."""
import os.path as osp

import numpy as np
import pytest
import torch

from mmhuman_ext.datasets import (MultiViewH36MDataset,
                                  SyntheticMultiViewH36MDataset)
from mmhuman_ext.datasets.layout import check_dataset_files
from mmhuman_ext.datasets.synthetic.multiview_figures import (
    ensure_multiview_figures, render_view, toolbox_cameras)
from mmhuman_ext.geometry import project_points

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GEN = dict(train_subjects=('S1', ), test_subjects=('S9', ),
           actions=('Walking', ), frames_per_sequence=2)


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    return ensure_multiview_figures(
        str(tmp_path_factory.mktemp('mv') / 'data'), **GEN)


def test_written_layout_is_read_by_the_real_loader(root):
    ds = MultiViewH36MDataset(ann_file='annot/h36m_train.pkl',
                              data_root=root)
    assert len(ds) == 2
    info = ds.get_data_info(0)
    assert info['subject'] == 1 and info['action_name'] == 'Walking'
    X = torch.tensor(info['keypoints_3d'], dtype=torch.float64)
    assert 1400 < X[:, 2].max() - X[:, 2].min() < 2000  # a person, mm
    for view in info['views']:
        cam = {k: torch.as_tensor(v) for k, v in view['camera'].items()}
        assert np.abs(project_points(X, cam).numpy() -
                      view['keypoints'][0]).max() < 1e-2
        assert view['keypoints_occluded'].shape == (17, )
    # re-used, not rewritten; other arguments refused
    assert ensure_multiview_figures(root, **GEN) == root
    with pytest.raises(ValueError, match='not'):
        ensure_multiview_figures(root, **dict(GEN, frames_per_sequence=3))
    wrapped = SyntheticMultiViewH36MDataset(
        generator_cfg=GEN, data_root=root, ann_file='annot/h36m_'
        'validation.pkl')
    assert wrapped.get_data_info(0)['subject'] == 9


def test_render_marks_pillar_occlusion():
    cam = toolbox_cameras(0.25, 0)[0]
    w, h = cam['size']
    X = np.zeros((17, 3))
    X[:, 2] = np.linspace(100, 1700, 17)
    centre = cam['T'].reshape(3)
    # a box halfway between camera and body around the lower joints
    mid = 0.5 * centre + 0.5 * np.array([0, 0, 0.])
    box = np.array([[x, y, z] for x in (-300, 300) for y in (-300, 300)
                    for z in (0, 800)]) + [mid[0], mid[1], 0]
    colours = np.full((17, 3), 200.)
    img, j2d, occ = render_view(X, [box], cam, colours,
                                np.zeros((h, w, 3), np.uint8))
    assert img.shape == (h, w, 3)
    assert occ[0] and not occ[16]  # low joints hidden, head free
    _, _, free = render_view(X, [], cam, colours,
                             np.zeros((h, w, 3), np.uint8))
    assert not free[[0, 16]].any()


def test_missing_real_data_is_explained():
    from mmengine.config import Config
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/transfusion/transfusion_4xb4-20e_h36m-'
                 '256x256.py'))
    cfg.train_dataloader.dataset.data_root = '/nonexistent/h36m/'
    with pytest.raises(FileNotFoundError, match='H36M-Toolbox'):
        check_dataset_files(cfg, splits=('train', ))
