import pickle
import os.path as osp

import numpy as np
import torch

from mmhuman_ext.geometry.ortho_crop import (crop_to_image,
                                             estimate_crop_tform,
                                             fit_ortho_cam, ortho_project,
                                             project_to_image, warp_crop)
from mmhuman_ext.models.editors.cvthead.flame import FLAMELayer


def _scale_tform():
    """T = exact 256 -> 224 scale: the crop covers the whole image."""
    t = torch.eye(3)[None].clone()
    t[:, :2, :2] *= 224 / 256
    return t


def test_axis_and_depth_conventions():
    v = torch.tensor([[[0.5, 0.25, 0.3]]])
    cam = torch.tensor([[1., 0., 0.]])
    p = project_to_image(v, cam, _scale_tform(), (256, 256))[0, 0]
    px = (p[:2] + 1) / 2 * 256
    assert torch.allclose(px, torch.tensor([(0.5 + 1) / 2 * 256,
                                            (-0.25 + 1) / 2 * 256]))
    assert torch.isclose(p[2], torch.tensor(-0.3))
    # translating tx by delta moves u by s * delta
    cam2 = torch.tensor([[2., 0.1, 0.]])
    d = (project_to_image(v, cam2, _scale_tform(), (256, 256)) -
         project_to_image(v, torch.tensor([[2., 0., 0.]]), _scale_tform(),
                          (256, 256)))[0, 0]
    assert torch.allclose(d, torch.tensor([0.2, 0., 0.]), atol=1e-6)


def test_crop_tform_rule_and_roundtrip():
    lmk = torch.tensor([[[100., 80.], [160., 80.], [130., 170.]]])
    t = estimate_crop_tform(lmk)
    old = ((160 - 100) + (170 - 80)) / 2 * 1.1
    size = int(1.25 * old)
    centre = torch.tensor([130., 125.])
    corner = torch.cat([centre - size / 2, torch.ones(1)])
    far = torch.cat([centre + size / 2, torch.ones(1)])
    assert torch.allclose(t[0] @ corner, torch.tensor([0., 0., 1.]),
                          atol=1e-4)
    assert torch.allclose(t[0] @ far, torch.tensor([223., 223., 1.]),
                          atol=1e-4)
    assert torch.allclose(t[0] @ torch.linalg.inv(t[0]), torch.eye(3),
                          atol=1e-5)
    # with a real crop the shift of tx is s * delta * size / 256 in u
    v = torch.zeros(1, 1, 3)
    a = project_to_image(v, torch.tensor([[3., 0., 0.]]), t, (256, 256))
    b = project_to_image(v, torch.tensor([[3., 0.05, 0.]]), t, (256, 256))
    expect = 3 * 0.05 * (224 / (223 / size)) / 256
    assert torch.isclose(b[0, 0, 0] - a[0, 0, 0], torch.tensor(expect),
                         atol=1e-5)


def test_warp_crop_samples_inverse_mapping():
    img = torch.zeros(1, 1, 64, 64)
    img[0, 0, 20, 30] = 1
    t = torch.tensor([[[2., 0., -40.], [0., 2., -20.], [0., 0., 1.]]])
    crop = warp_crop(img, t, crop_size=64)
    assert crop[0, 0, 2 * 20 - 20, 2 * 30 - 40] == 1


def test_fit_cam_recovers_camera():
    v = torch.randn(1, 50, 3)
    cam = torch.tensor([[7.5, 0.02, -0.01]])
    fit, resid = fit_ortho_cam(v, ortho_project(v, cam)[..., :2])
    assert torch.allclose(fit, cam, atol=1e-4) and resid < 1e-5


def test_landmark_vertex_projects_onto_generator_landmark(cvthead_small_data):
    root = cvthead_small_data
    name = sorted(__import__('json').load(open(osp.join(
        root, 'train_imgs.json'))))[0]
    codes = np.load(osp.join(root, 'deca', f'{name}.npz'))
    with open(osp.join(root, 'landmarks', f'{name}.pkl'), 'rb') as f:
        ldmk = pickle.load(f)[0]['ldmk']
    flame = FLAMELayer(osp.join(root, 'flame', 'generic_model.pkl'),
                       landmark_path=osp.join(root, 'flame',
                                              'landmark_embedding.npy'))
    c = {k: torch.from_numpy(codes[k][:1]) for k in codes.files}
    # the generator adds the hair/shoulder mean offsets (f_H's mean) to the
    # FLAME vertices before taking the landmarks
    hair = torch.load(osp.join(root, 'flame', 'mean_deform.pt'),
                      weights_only=True)
    lmk3d = flame.landmarks(flame(c['shape'], c['exp'], c['pose']) + hair)
    p = project_to_image(lmk3d, c['cam'], c['tform'], (64, 64))
    px = (p[0, :, :2] + 1) / 2 * 64
    assert (px - torch.from_numpy(ldmk)).abs().max() < 1.0
    # crop_to_image is the inverse of the crop: landmarks land in the crop
    crop = ortho_project(lmk3d, c['cam'])
    back = crop_to_image(crop, c['tform'], (64, 64))
    assert torch.allclose(back, p)
