"""Cameras, triangulation and epipolar geometry (spec F7, F8, F10)."""
import math

import numpy as np
import pytest
import torch

from mmhuman_ext.geometry import (CameraError, camera_from_toolbox,
                                  confidence_view_mask, epipolar_field,
                                  epipolar_lines, fundamental_matrix,
                                  pixel_rays, point_line_distance,
                                  project_points, stack_cameras,
                                  token_centers, triangulate_points,
                                  triangulate_ransac,
                                  triangulate_with_confidence,
                                  undistort_pixels)
from mmhuman_ext.geometry.camera import affine_to_3x3


def look_at(center, target):
    fwd = target - center
    fwd = fwd / np.linalg.norm(fwd)
    right = np.cross(fwd, [0., 0., 1.])
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    return np.stack([right, down, fwd])  # world -> camera rows


def make_rig(num_views=4, seed=0, distortion=True):
    """H36M-like rig in mm (toolbox layout) around the origin."""
    rng = np.random.default_rng(seed)
    cams = []
    for v in range(num_views):
        az = 2 * math.pi * v / num_views + rng.uniform(-0.3, 0.3)
        c = np.array([5000 * math.cos(az), 5000 * math.sin(az),
                      rng.uniform(1200, 1900)])
        cams.append(dict(
            R=look_at(c, np.array([0., 0., 900.]) + rng.uniform(-50, 50, 3)),
            T=c.reshape(3, 1), fx=rng.uniform(1100, 1200),
            fy=rng.uniform(1100, 1200), cx=500 + rng.uniform(-10, 10),
            cy=500 + rng.uniform(-10, 10),
            k=(rng.uniform(-0.2, -0.1, 3) * [1, -1, 0.05] if distortion
               else np.zeros(3)).reshape(3, 1),
            p=(rng.uniform(-1e-3, 1e-3, 2) if distortion
               else np.zeros(2)).reshape(2, 1)))
    return [camera_from_toolbox(c) for c in cams]


def body_points(num=17, seed=1):
    rng = np.random.default_rng(seed)
    return torch.tensor(rng.uniform([-400, -400, 0], [400, 400, 1800],
                                    (num, 3)))


def test_camera_from_toolbox_builds_intrinsics_and_checks_fields():
    cam = make_rig(1)[0]
    assert cam['K'][0, 1] == 0 and cam['K'][2].tolist() == [0, 0, 1]
    raw = dict(R=np.eye(3), T=np.zeros((3, 1)), fx=1, fy=1, cx=0, cy=0,
               k=np.zeros((3, 1)), p=np.zeros((2, 1)))
    bad = dict(raw)
    del bad['fy']
    with pytest.raises(CameraError, match=r"sample 3 view 1.*'fy'"):
        camera_from_toolbox(bad, 'sample 3 view 1')
    with pytest.raises(CameraError, match=r"'R' must hold 9"):
        camera_from_toolbox(dict(raw, R=np.eye(2)), 'x')


def test_projection_matches_toolbox_formula():
    cam = make_rig(1)[0]
    X = body_points(5).numpy()
    xc = (cam['R'] @ (X.T - cam['T'][:, None]))
    y = xc[:2] / xc[2]
    r2 = (y**2).sum(0)
    k, p = cam['k'], cam['p']
    radial = 1 + k[0] * r2 + k[1] * r2**2 + k[2] * r2**3
    tan = p[0] * y[1] + p[1] * y[0]
    y = y * (radial + tan) + np.outer([p[1], p[0]], r2)
    ref = (np.diag(cam['K'])[:2, None] * y + cam['K'][:2, 2:]).T
    ours = project_points(torch.tensor(X),
                          {k_: torch.as_tensor(v) for k_, v in cam.items()})
    np.testing.assert_allclose(ours.numpy(), ref, atol=1e-9)


@pytest.mark.parametrize('dist_model', ['h36m', 'opencv'])
def test_triangulate_inverts_projection(dist_model):
    cams = stack_cameras(make_rig(4))
    X = body_points()
    # batch of 2 samples, 4 views
    Xb = torch.stack([X, X + 100.])
    cb = {k: v.expand(2, *v.shape) for k, v in cams.items()}
    pix = project_points(Xb.unsqueeze(1).expand(-1, 4, -1, -1), cb,
                         dist_model=dist_model)
    rec = triangulate_points(pix, cb, distortion=True, dist_model=dist_model)
    assert rec.shape == (2, 17, 3)
    assert (rec - Xb).abs().max() < 1e-6 * 5000
    # ignoring a strong distortion costs accuracy: the undistortion acts
    rough = triangulate_points(pix, cb, distortion=False)
    assert (rough - Xb).abs().max() > 1.
    # undistorted pixels equal the ideal pinhole projection
    ideal = project_points(Xb.unsqueeze(1).expand(-1, 4, -1, -1), cb,
                           distortion=False)
    und = undistort_pixels(pix, cb, dist_model)
    assert (und - ideal).abs().max() < 1e-6


def test_triangulation_noise_and_weights():
    cams = stack_cameras(make_rig(4, distortion=False))
    X = body_points()
    pix = project_points(X.expand(4, -1, -1), cams)
    noisy = pix + torch.randn(pix.shape, generator=torch.Generator()
                              .manual_seed(0), dtype=pix.dtype)
    err = (triangulate_points(noisy, cams) - X).norm(dim=-1)
    assert err.mean() < 15.  # 1 px at 5 m with f ~ 1150 is ~4.5 mm per view
    # a view moved by 200 px corrupts the result unless its weight is 0
    bad = pix.clone()
    bad[2] += 200.
    w = torch.ones(4, 17)
    assert (triangulate_points(bad, cams) - X).norm(dim=-1).min() > 10.
    w[2] = 0.
    assert (triangulate_points(bad, cams, w) - X).abs().max() < 1e-6
    with pytest.raises(ValueError, match='at least 2 views'):
        triangulate_points(pix[:1], {k: v[:1] for k, v in cams.items()})


def test_confidence_view_selection():
    scores = torch.tensor([[0.9, 0.5, -2.0],
                           [0.2, 0.84, -3.0],
                           [0.95, 0.3, -2.5],
                           [0.1, 0.2, -4.0]])  # (V=4, J=3)
    mask = confidence_view_mask(scores)
    # joint 0: two views >= 0.85 -> views 0, 2
    assert mask[:, 0].tolist() == [True, False, True, False]
    # joint 1: 0.84 passes from 0.80 on, a second view (0.5) at 0.50
    assert mask[:, 1].tolist() == [True, True, False, False]
    # joint 2: all below -1 -> every view
    assert mask[:, 2].all()
    cams = stack_cameras(make_rig(4, distortion=False))
    X = body_points(3)
    pix = project_points(X.expand(4, -1, -1), cams)
    pix[3] += 300.  # the low-confidence view is wrong
    rec = triangulate_with_confidence(pix, scores, cams)
    assert (rec[:2] - X[:2]).abs().max() < 1e-6


def test_ransac_rejects_outlier_view():
    cams = stack_cameras(make_rig(5, distortion=False))
    X = body_points()
    pix = project_points(X.expand(5, -1, -1), cams)
    pix[1, :8] += 150.
    pix[4, 8:] -= 150.
    rec, inl = triangulate_ransac(pix, cams, inlier_px=5.)
    assert (rec - X).abs().max() < 1e-6
    assert not inl[1, :8].any() and not inl[4, 8:].any()
    assert inl[[0, 2, 3]].all()


def _crop_camera(cam, rng):
    """Camera of a rotated, scaled, shifted crop (K <- A K)."""
    ang = rng.uniform(-0.5, 0.5)
    s = rng.uniform(0.2, 0.5)
    c, n = s * math.cos(ang), s * math.sin(ang)
    A = np.array([[c, -n, rng.uniform(-50, 50)], [n, c, rng.uniform(-50, 50)]])
    out = dict(cam)
    out['K'] = affine_to_3x3(A) @ cam['K']
    return out


def test_rays_hit_their_pixels():
    rng = np.random.default_rng(3)
    cam = stack_cameras([_crop_camera(make_rig(1)[0], rng)])
    cam = {k: v[0] for k, v in cam.items()}
    pix = token_centers(32, 32, 8)
    assert pix[0].tolist() == [3.5, 3.5] and pix[33].tolist() == [11.5, 11.5]
    rays = pixel_rays(pix, cam)
    assert torch.allclose(rays.norm(dim=-1), torch.ones(1024,
                                                        dtype=rays.dtype))
    for depth in (1000., 7000.):
        pts = cam['T'] + depth * rays
        back = project_points(pts, cam, distortion=False)
        assert (back - pix).abs().max() < 1e-4
    # identity crop, principal point -> optical axis R^T (0, 0, 1)
    cam0 = {k: torch.as_tensor(v) for k, v in make_rig(1)[0].items()}
    axis = pixel_rays(cam0['K'][:2, 2][None], cam0)[0]
    assert torch.allclose(axis, cam0['R'][2], atol=1e-12)


def test_fundamental_matrix_and_epipolar_lines():
    rng = np.random.default_rng(5)
    cams = [_crop_camera(c, rng) for c in make_rig(2, distortion=False)]
    c1, c2 = ({k: torch.as_tensor(v) for k, v in c.items()} for c in cams)
    X = body_points(50)
    x1 = project_points(X, c1)
    x2 = project_points(X, c2)
    F = fundamental_matrix(c1, c2)
    h1 = torch.cat((x1, torch.ones(50, 1, dtype=x1.dtype)), 1)
    h2 = torch.cat((x2, torch.ones(50, 1, dtype=x1.dtype)), 1)
    alg = torch.einsum('ni,ij,nj->n', h2, F, h1)
    assert alg.abs().max() < 1e-9
    lines = epipolar_lines(x1, F)
    assert point_line_distance(x2, lines).abs().max() < 1e-6
    # a point off the line is at its distance: shift along the normal
    off = x2 + 7. * lines[:, :2]
    assert torch.allclose(point_line_distance(off, lines),
                          torch.full((50, ), 7., dtype=x1.dtype))
    # swapping the cameras transposes F
    assert torch.allclose(fundamental_matrix(c2, c1), F.T, atol=1e-12) or \
        torch.allclose(fundamental_matrix(c2, c1), -F.T, atol=1e-12)


def test_epipolar_field():
    rng = np.random.default_rng(7)
    cams = [_crop_camera(c, rng) for c in make_rig(2, distortion=False)]
    c1, c2 = ({k: torch.as_tensor(v) for k, v in c.items()} for c in cams)
    X = body_points(20)
    x1, x2 = project_points(X, c1), project_points(X, c2)
    r1, r2 = pixel_rays(x1, c1), pixel_rays(x2, c2)
    S = epipolar_field(r1, r2, c1['T'], c2['T'])
    # (a) matching pixels score 1
    assert (S.diagonal() - 1).abs().max() < 1e-6
    assert S.min() >= 0 and S.max() <= 1
    # (b) pixels on the epipolar line of x1[0] score 1; the argmax over a
    # dense grid lies within 1 px of the line
    line = epipolar_lines(x1[:1], fundamental_matrix(c1, c2))[0]
    grid = token_centers(128, 128, 1) - 63.5 + x2[0]  # around x2[0]
    Sg = epipolar_field(r1[:1], pixel_rays(grid, c2), c1['T'], c2['T'])[0]
    best = grid[Sg.argmax()]
    assert point_line_distance(best[None], line[None]).abs() < 1.
    d = point_line_distance(grid, line.expand(len(grid), 3)).abs()
    far = d > 20
    assert far.any() and (Sg[far]**1000).max() < 1e-3
    # every pixel of the line (images of the points along ray 1) scores 1
    along = c1['T'] + torch.linspace(2000, 9000, 15, dtype=X.dtype)[:, None] \
        * r1[0]
    on_line = project_points(along, c2)
    assert point_line_distance(on_line, line.expand(15, 3)).abs().max() < 1e-6
    S_line = epipolar_field(r1[:1], pixel_rays(on_line, c2), c1['T'],
                            c2['T'])
    assert (S_line - 1).abs().max() < 1e-9
    # (c) the field of 2 -> 1 is also 1 on matching points (it is not the
    # transpose of 1 -> 2 elsewhere: the loss target averages both)
    S21 = epipolar_field(r2, r1, c2['T'], c1['T'])
    assert (S21.diagonal() - 1).abs().max() < 1e-6
    assert not torch.allclose(S21, S.T, atol=1e-3)
    # (d) invariant to depth scaling / ray length and to swapping the sign
    S_scaled = epipolar_field(r1, -3 * r2 / 3, c1['T'], c2['T'])
    assert torch.allclose(S_scaled, S)
