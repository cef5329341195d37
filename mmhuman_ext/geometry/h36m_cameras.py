"""Human3.6M-style calibrated cameras: loading, world->camera, projection.

No camera table is embedded: the parameters come from a file the user
supplies (Human3.6M's licence does not let us ship them). Two layouts are
read, both giving the same :class:`dict` per ``(subject, camera_id)``:

1. **JSON, VideoPose3D field layout** (``h36m_cameras.json``; also written by
   the synthetic generator)::

       {
         "camera_order": ["54138969", "55011271", "58860488", "60457274"],
         "intrinsics": {
           "54138969": {"res_w": 1000, "res_h": 1002,
                        "focal_length": [fx, fy], "center": [cx, cy],
                        "radial_distortion": [k1, k2, k3],
                        "tangential_distortion": [p1, p2]}, ...},
         "extrinsics": {
           "S1": {"54138969": {"orientation": [qw, qx, qy, qz],
                               "translation": [tx, ty, tz]}, ...}, ...}
       }

   ``orientation`` is the unit quaternion rotating camera axes into world
   axes and ``translation`` the camera centre in world coordinates, in
   **millimetres**; so ``X_cam = R(q)^T (X_world - t / 1000)`` (metres).
   ``camera_order`` (optional; default: sorted ids) is the order of the
   per-camera lists in the VideoPose3D 2D files.

2. **mmpose's** ``annotation_body3d/cameras.pkl`` (from mmpose's
   ``tools/dataset_converters/preprocess_h36m.py``): a dict keyed
   ``(subject, camera_id)`` with ``R`` (3, 3), ``T`` (3, 1) metres, ``f``,
   ``c`` (2, 1), ``k`` (3, 1), ``p`` (2, 1), ``w``, ``h``. mmpose's
   ``SimpleCamera`` maps ``X_cam = (X_world - T^T) R`` (row vectors), i.e.
   the same convention with ``R = R(q)``.

Every loaded camera is a dict with ``R`` (3, 3) camera-to-world rotation,
``T`` (3,) camera centre in metres, ``f`` (2,), ``c`` (2,), ``k`` (3,),
``p`` (2,) (pixels / unitless) and ``w``, ``h`` (int pixels).
"""
import json
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np

from mmhuman_ext.utils.safe_pickle import NUMPY_ONLY, safe_load_pickle

CameraDict = Dict[str, object]

_INTRINSIC_FIELDS = {
    'res_w': (),
    'res_h': (),
    'focal_length': (2, ),
    'center': (2, ),
    'radial_distortion': (3, ),
    'tangential_distortion': (2, )
}
_EXTRINSIC_FIELDS = {'orientation': (4, ), 'translation': (3, )}
_PKL_FIELDS = {
    'R': (3, 3),
    'T': (3, ),
    'f': (2, ),
    'c': (2, ),
    'k': (3, ),
    'p': (2, ),
    'w': (),
    'h': ()
}


class CameraFileError(ValueError):
    """A camera file lacks a field or holds one of the wrong shape."""


def quaternion_to_matrix(q: np.ndarray) -> np.ndarray:
    """Rotation matrix of unit quaternions ``(..., 4)`` (w, x, y, z) ->
    ``(..., 3, 3)``; ``R @ v`` rotates ``v`` like ``q v q*``."""
    q = np.asarray(q, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = np.moveaxis(q, -1, 0)
    return np.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y), 2 *
        (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x), 2 *
        (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)
    ],
                    axis=-1).reshape(q.shape[:-1] + (3, 3))


def matrix_to_quaternion(R: np.ndarray) -> np.ndarray:
    """Inverse of :func:`quaternion_to_matrix` for one ``(3, 3)`` rotation
    (Shepperd's method, stable near 180 degrees); returns (w, x, y, z) with
    ``w >= 0``."""
    R = np.asarray(R, dtype=np.float64)
    trace = np.trace(R)
    if trace > 0:
        s = 2 * np.sqrt(trace + 1)
        q = [
            s / 4, (R[2, 1] - R[1, 2]) / s, (R[0, 2] - R[2, 0]) / s,
            (R[1, 0] - R[0, 1]) / s
        ]
    elif R[0, 0] > R[1, 1] and R[0, 0] > R[2, 2]:
        s = 2 * np.sqrt(1 + R[0, 0] - R[1, 1] - R[2, 2])
        q = [(R[2, 1] - R[1, 2]) / s, s / 4, (R[0, 1] + R[1, 0]) / s,
             (R[0, 2] + R[2, 0]) / s]
    elif R[1, 1] > R[2, 2]:
        s = 2 * np.sqrt(1 + R[1, 1] - R[0, 0] - R[2, 2])
        q = [(R[0, 2] - R[2, 0]) / s, (R[0, 1] + R[1, 0]) / s, s / 4,
             (R[1, 2] + R[2, 1]) / s]
    else:
        s = 2 * np.sqrt(1 + R[2, 2] - R[0, 0] - R[1, 1])
        q = [(R[1, 0] - R[0, 1]) / s, (R[0, 2] + R[2, 0]) / s,
             (R[1, 2] + R[2, 1]) / s, s / 4]
    q = np.array(q)
    return -q if q[0] < 0 else q


def world_to_camera(points: np.ndarray, R: np.ndarray,
                    T: np.ndarray) -> np.ndarray:
    """``X_cam = R^T (X_world - T)``; points ``(..., 3)`` in metres."""
    return (np.asarray(points) - np.asarray(T).reshape(3)) @ np.asarray(R)


def camera_to_world(points: np.ndarray, R: np.ndarray,
                    T: np.ndarray) -> np.ndarray:
    """``X_world = R X_cam + T``; points ``(..., 3)`` in metres."""
    return np.asarray(points) @ np.asarray(R).T + np.asarray(T).reshape(3)


def project_to_pixels(points_cam: np.ndarray,
                      camera: CameraDict,
                      distort: bool = True) -> np.ndarray:
    """Pinhole projection with Brown-Conrady distortion.

    ``x = X/Z, y = Y/Z, r2 = x^2 + y^2``;
    ``x_d = x (1 + k1 r2 + k2 r2^2 + k3 r2^3) + 2 p1 x y + p2 (r2 + 2 x^2)``,
    ``y_d = y (...) + p1 (r2 + 2 y^2) + 2 p2 x y``; ``u = f * x_d + c``.

    Args:
        points_cam (np.ndarray): ``(..., 3)`` camera-frame points, Z > 0.
        camera (dict): ``f``, ``c``, ``k``, ``p`` as returned by
            :func:`load_h36m_cameras`.
        distort (bool): Apply the lens distortion.

    Returns:
        np.ndarray: ``(..., 2)`` pixel coordinates.
    """
    xy = points_cam[..., :2] / points_cam[..., 2:3]
    if distort:
        k, p = np.asarray(camera['k']), np.asarray(camera['p'])
        x, y = xy[..., 0], xy[..., 1]
        r2 = x * x + y * y
        radial = 1 + r2 * (k[0] + r2 * (k[1] + r2 * k[2]))
        xy = np.stack([
            x * radial + 2 * p[0] * x * y + p[1] * (r2 + 2 * x * x),
            y * radial + p[0] * (r2 + 2 * y * y) + 2 * p[1] * x * y
        ],
                      axis=-1)
    return xy * np.asarray(camera['f']) + np.asarray(camera['c'])


def load_h36m_cameras(
        path: str) -> Tuple[Dict[Tuple[str, str], CameraDict], List[str]]:
    """Load a camera file in either layout of the module docstring.

    Args:
        path (str): ``*.json`` (VideoPose3D field layout) or ``*.pkl``
            (mmpose ``cameras.pkl``).

    Returns:
        tuple: ``cameras`` keyed ``(subject, camera_id)`` (see module
        docstring) and ``camera_order``, the camera ids in the order of the
        VideoPose3D 2D lists.

    Raises:
        FileNotFoundError: The file does not exist.
        CameraFileError: A field is missing or has the wrong shape; the
            message names the file, the entry and the field.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'camera file {path!r} not found; supply the Human3.6M camera '
            'parameters as JSON (VideoPose3D field layout, see '
            'mmhuman_ext.geometry.h36m_cameras) or mmpose cameras.pkl')
    if path.endswith('.pkl'):
        return _load_pkl(path)
    with open(path) as f:
        raw = json.load(f)
    return _load_json(raw, path)


def _field(entry: dict, name: str, shape: tuple, where: str) -> np.ndarray:
    if not isinstance(entry, dict) or name not in entry:
        raise CameraFileError(f'{where}: missing field {name!r}')
    value = np.asarray(entry[name], dtype=np.float64)
    if value.size != int(np.prod(shape)) or not np.isfinite(value).all():
        raise CameraFileError(
            f'{where}: field {name!r} must hold {int(np.prod(shape))} finite '
            f'number(s) (shape {shape}), got {np.shape(entry[name])}')
    return value.reshape(shape)


def _load_json(raw: dict, path: str):
    for key in ('intrinsics', 'extrinsics'):
        if not isinstance(raw.get(key), dict):
            raise CameraFileError(
                f'{path}: missing top-level field {key!r} (a dict); expected '
                '{"intrinsics": {cam_id: {...}}, "extrinsics": {subject: '
                '{cam_id: {...}}}}')
    intr = {}
    for cam_id, entry in raw['intrinsics'].items():
        where = f'{path}: intrinsics[{cam_id!r}]'
        v = {
            n: _field(entry, n, s, where)
            for n, s in _INTRINSIC_FIELDS.items()
        }
        intr[str(cam_id)] = dict(
            f=v['focal_length'],
            c=v['center'],
            k=v['radial_distortion'],
            p=v['tangential_distortion'],
            w=int(v['res_w']),
            h=int(v['res_h']),
            id=str(cam_id))
    order = [str(c) for c in raw.get('camera_order', sorted(intr))]
    cameras = {}
    for subject, per_cam in raw['extrinsics'].items():
        for cam_id, entry in per_cam.items():
            where = f'{path}: extrinsics[{subject!r}][{cam_id!r}]'
            if str(cam_id) not in intr:
                raise CameraFileError(f'{where}: no intrinsics for camera '
                                      f'{cam_id!r}')
            v = {
                n: _field(entry, n, s, where)
                for n, s in _EXTRINSIC_FIELDS.items()
            }
            cameras[(subject, str(cam_id))] = dict(
                intr[str(cam_id)],
                R=quaternion_to_matrix(v['orientation']),
                T=v['translation'] / 1000.)
    return cameras, order


def _load_pkl(path: str):
    raw = safe_load_pickle(
        path, NUMPY_ONLY, what='numpy arrays inside a dict (mmpose '
        'cameras.pkl layout)')
    if not isinstance(raw, dict):
        raise CameraFileError(f'{path}: expected a dict keyed (subject, '
                              f'camera_id), got {type(raw).__name__}')
    cameras = {}
    for key, entry in raw.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise CameraFileError(
                f'{path}: keys must be (subject, camera_id), got {key!r}')
        where = f'{path}: entry {key!r}'
        v = {n: _field(entry, n, s, where) for n, s in _PKL_FIELDS.items()}
        cameras[(str(key[0]), str(key[1]))] = dict(
            R=v['R'],
            T=v['T'],
            f=v['f'],
            c=v['c'],
            k=v['k'],
            p=v['p'],
            w=int(v['w']),
            h=int(v['h']),
            id=str(key[1]))
    order = sorted({cam for _, cam in cameras})
    return cameras, order


def cameras_to_json(cameras: Dict[Tuple[str, str], CameraDict],
                    camera_order: List[str]) -> dict:
    """The JSON layout of the module docstring for ``cameras`` (inverse of
    the JSON loader up to float rounding)."""
    intrinsics, extrinsics = {}, {}
    for (subject, cam_id), cam in cameras.items():
        intrinsics[cam_id] = {
            'res_w': int(cam['w']),
            'res_h': int(cam['h']),
            'focal_length': np.asarray(cam['f']).tolist(),
            'center': np.asarray(cam['c']).tolist(),
            'radial_distortion': np.asarray(cam['k']).tolist(),
            'tangential_distortion': np.asarray(cam['p']).tolist()
        }
        extrinsics.setdefault(subject, {})[cam_id] = {
            'orientation': matrix_to_quaternion(cam['R']).tolist(),
            'translation': (np.asarray(cam['T']) * 1000.).tolist()
        }
    return {
        'camera_order': list(camera_order),
        'intrinsics': intrinsics,
        'extrinsics': extrinsics
    }
