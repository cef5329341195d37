"""Built-in multi-view figures: written in the H36M-Toolbox layout, read by
the real loader, labels consistent with the cameras."""
import os.path as osp

import numpy as np
import pytest
import torch

from mmhuman_ext.datasets import (MultiViewH36MDataset,
                                  SyntheticMultiViewH36MDataset)
from mmhuman_ext.datasets.layout import check_dataset_files
from mmhuman_ext.datasets.synthetic.motion3d import (sample_body,
                                                     synthesize_motion)
from mmhuman_ext.datasets.synthetic.multiview_figures import (
    _pair_pillars, ensure_multiview_figures, render_view, toolbox_cameras)
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


def _azimuth(cam):
    c = cam['T'].reshape(3)
    return np.degrees(np.arctan2(c[1], c[0]))


def _angle(a, b):
    return abs((_azimuth(a) - _azimuth(b) + 180) % 360 - 180)


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_rig_pairs_neighbouring_views_like_h36m(seed):
    """As in Human3.6M, the fixed TransFusion pairs (0, 2) and (1, 3) are
    neighbouring cameras (~40 degrees apart) and (0, 3), (1, 2) face each
    other. v1 had (0, 2) and (1, 3) facing each other, so the fused pairs
    saw mirror views and two-view triangulations were ill-conditioned."""
    cams = toolbox_cameras(0.25, seed, layout='h36m')
    for a, b in ((0, 2), (1, 3)):
        assert 20 < _angle(cams[a], cams[b]) < 65
    for a, b in ((0, 3), (1, 2)):
        assert _angle(cams[a], cams[b]) > 150
    # every camera looks at the capture area centre
    for cam in cams:
        to_centre = -cam['T'].reshape(3)
        to_centre[2] += 900.
        to_centre /= np.linalg.norm(to_centre)
        assert cam['R'][2] @ to_centre > 0.99
    # the other layout keeps the corners in id order
    corners = toolbox_cameras(0.25, seed, layout='corners')
    assert _angle(corners[0], corners[2]) > 150
    with pytest.raises(ValueError, match='layout'):
        toolbox_cameras(0.25, seed, layout='ring')


def test_pillar_hides_one_view_of_each_pair():
    """Each pillar hides joints in one view of its camera pair and none in
    the other view, so the pair's other view holds the information."""
    cams = toolbox_cameras(0.25, 0, layout='h36m')
    colours = np.full((17, 3), 200.)
    hidden_views = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        body = sample_body(rng)
        world = synthesize_motion('Walking', 8, rng, body)[4] * 1000.
        boxes = _pair_pillars(rng, world[0], cams, ((0, 2), (1, 3)))
        assert len(boxes) == 2
        by_box = []
        for cam in cams:
            w, h = cam['size']
            bg = np.zeros((h, w, 3), np.uint8)
            with_box = render_view(world, boxes, cam, colours, bg)[2]
            without = render_view(world, [], cam, colours, bg)[2]
            by_box.append(with_box & ~without)
        for a, b in ((0, 2), (1, 3)):
            assert not (by_box[a].any() and by_box[b].any())
            hidden_views += by_box[a].any() or by_box[b].any()
    assert hidden_views >= 6  # of 12 pairs


def test_missing_real_data_is_explained():
    from mmengine.config import Config
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/transfusion/transfusion_4xb4-20e_h36m-'
                 '256x256.py'))
    cfg.train_dataloader.dataset.data_root = '/nonexistent/h36m/'
    with pytest.raises(FileNotFoundError, match='H36M-Toolbox'):
        check_dataset_files(cfg, splits=('train', ))
