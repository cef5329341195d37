"""Camera helpers of the Human3.6M loaders."""
import numpy as np
from scipy.spatial.transform import Rotation

from mmhuman_ext.geometry.h36m_cameras import (camera_to_world,
                                               matrix_to_quaternion,
                                               project_to_pixels,
                                               quaternion_to_matrix,
                                               world_to_camera)


def test_quaternion_round_trip_including_half_turns():
    mats = list(Rotation.random(50, random_state=0).as_matrix())
    mats += [
        Rotation.from_rotvec(np.pi * np.array(a)).as_matrix()
        for a in ([1, 0, 0], [0, 1, 0], [0, 0, 1], [0.6, 0.8, 0])
    ]
    for R in mats:
        q = matrix_to_quaternion(R)
        assert q[0] >= 0 and np.isclose(np.linalg.norm(q), 1)
        np.testing.assert_allclose(quaternion_to_matrix(q), R, atol=1e-9)
    # (w, x, y, z) convention: 90 degrees about z maps x to y
    q = np.array([np.cos(np.pi / 4), 0, 0, np.sin(np.pi / 4)])
    np.testing.assert_allclose(
        quaternion_to_matrix(q) @ [1, 0, 0], [0, 1, 0], atol=1e-12)


def test_world_camera_inverse_and_pinhole_projection():
    rng = np.random.default_rng(0)
    R = Rotation.random(random_state=1).as_matrix()
    T = rng.normal(size=3)
    pts = rng.normal(size=(5, 17, 3))
    cam_pts = world_to_camera(pts, R, T)
    np.testing.assert_allclose(cam_pts, (pts - T) @ R)
    np.testing.assert_allclose(camera_to_world(cam_pts, R, T), pts)
    cam = dict(
        f=np.array([1000., 1100.]),
        c=np.array([500., 400.]),
        k=np.array([-0.2, 0.1, 0.01]),
        p=np.array([1e-3, -2e-3]))
    X = np.array([[0.3, -0.2, 4.]])
    uv = project_to_pixels(X, cam, distort=False)
    np.testing.assert_allclose(uv, [[500 + 75., 400 - 55.]])
    # distortion moves off-centre points, not the principal point
    assert not np.allclose(project_to_pixels(X, cam), uv)
    np.testing.assert_allclose(
        project_to_pixels(np.array([[0., 0., 3.]]), cam), [[500., 400.]])
