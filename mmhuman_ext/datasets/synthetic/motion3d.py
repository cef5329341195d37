"""Human-like 3D motion on the 17-joint Human3.6M skeleton, and its 2D views.

The built-in data of the 2D-to-3D lifting demo (P-STMO), written in the
VideoPose3D file format so the demo goes through the real loader
(:class:`~mmhuman_ext.datasets.H36MVideoPose3DDataset`). The pieces are
separate so other work can reuse them (e.g. rendering the same motion into
four Human3.6M-like cameras for multi-view methods):

* :func:`sample_body` — bone offsets of one subject (metres; human
  proportions, height 1.55-1.85 m);
* :func:`synthesize_motion` — ``(T, 17, 3)`` world positions (z up, metres)
  of one action: forward kinematics of smooth joint-angle trajectories
  (hips, knees, spine, neck, shoulders, elbows) and a root trajectory, feet
  kept on the floor. Actions: ``Directions`` (pointing while turning),
  ``Discussion`` (two-arm gestures), ``Greeting`` (waving with steps),
  ``Phoning`` (hand at the ear, weight shifts), ``SittingDown`` (squat and
  rise cycles) and ``Walking`` (gait around a circle);
* :func:`make_camera_rig` — four calibrated cameras around the capture
  area (Human3.6M ids and resolutions, our own parameters);
* :func:`render_2d` — pinhole projection with lens distortion to pixels;
  :func:`detector_noise` — detector-like 2D errors (correlated jitter and
  occasional outliers) standing in for CPN detections;
* :func:`write_videopose3d_h36m` / :func:`ensure_synthetic_h36m` — the
  VideoPose3D files ``data_3d_h36m.npz`` (32-joint layout),
  ``data_2d_h36m_gt.npz``, ``data_2d_h36m_cpn_ft_h36m_dbb.npz`` and the
  camera file ``h36m_cameras.json``, written once into a cache folder.

Everything is deterministic: each (subject, action, camera) draws from its
own ``numpy.random.default_rng([seed, ...])`` stream.
"""
import json
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from mmhuman_ext.geometry.h36m_cameras import (cameras_to_json,
                                               project_to_pixels,
                                               world_to_camera)

from .cache import ensure_generated

VERSION = 'v1'

#: Parent of each of the 17 Human3.6M joints (VideoPose3D order).
H36M_PARENTS = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
#: Camera ids and resolutions (w, h) of Human3.6M.
H36M_CAMERAS = (('54138969', (1000, 1002)), ('55011271', (1000, 1000)),
                ('58860488', (1000, 1000)), ('60457274', (1000, 1002)))
H36M_SUBJECTS = ('S1', 'S5', 'S6', 'S7', 'S8', 'S9', 'S11')
#: Video names (VideoPose3D spelling, some with a sub-action suffix).
ACTIONS = ('Directions 1', 'Discussion', 'Greeting 1', 'Phoning',
           'SittingDown 2', 'Walking')
#: Indices of the 17 joints among the 32 of the original files.
KEPT_OF_32 = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)

# Rest-pose bone offsets (metres, body frame: x forward, y left, z up) of a
# 1.75 m person, from each joint's parent to the joint.
_REST_OFFSETS = np.array([
    [0, 0, 0],  # 0 pelvis
    [0, -0.13, 0],
    [0, 0, -0.445],
    [0, 0, -0.445],  # right hip, knee, foot
    [0, 0.13, 0],
    [0, 0, -0.445],
    [0, 0, -0.445],  # left hip, knee, foot
    [0.01, 0, 0.235],
    [0, 0, 0.25],  # spine, thorax
    [0.04, 0, 0.11],
    [-0.03, 0, 0.12],  # nose, head top
    [-0.01, 0.15, -0.01],
    [0, 0, -0.28],
    [0, 0, -0.25],  # left arm
    [-0.01, -0.15, -0.01],
    [0, 0, -0.28],
    [0, 0, -0.25],  # right arm
])
_LEFT, _RIGHT = (4, 5, 6, 11, 12, 13), (1, 2, 3, 14, 15, 16)
_FEET = (3, 6)


def sample_body(rng: np.random.Generator) -> np.ndarray:
    """Bone offsets ``(17, 3)`` of one subject: the rest skeleton scaled to
    a height of 1.55-1.85 m, each limb segment (both sides alike) and the
    trunk and shoulder widths varied by up to +-5 %."""
    offsets = _REST_OFFSETS * rng.uniform(1.55, 1.85) / 1.75
    per_bone = rng.uniform(0.95, 1.05, size=17)
    per_bone[list(_LEFT)] = per_bone[list(_RIGHT)]  # symmetric body
    return offsets * per_bone[:, None]


def _rx(a):
    c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
    return np.stack([o, z, z, z, c, -s, z, s, c], -1).reshape(a.shape + (3, 3))


def _ry(a):
    c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
    return np.stack([c, z, s, z, o, z, -s, z, c], -1).reshape(a.shape + (3, 3))


def _rz(a):
    c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
    return np.stack([c, -s, z, s, c, z, z, z, o], -1).reshape(a.shape + (3, 3))


def forward_kinematics(offsets: np.ndarray, rotations: np.ndarray,
                       root: np.ndarray) -> np.ndarray:
    """World joint positions of a skeleton.

    Args:
        offsets (np.ndarray): ``(17, 3)`` bone offsets from the parent.
        rotations (np.ndarray): ``(T, 17, 3, 3)`` local rotation of each
            joint (rotates the bones below it; joint 0 holds the global
            body orientation).
        root (np.ndarray): ``(T, 3)`` pelvis positions.

    Returns:
        np.ndarray: ``(T, 17, 3)``.
    """
    T = len(root)
    glob = np.empty((T, 17, 3, 3))
    pos = np.empty((T, 17, 3))
    glob[:, 0], pos[:, 0] = rotations[:, 0], root
    for j in range(1, 17):  # the kinematic tree; vectorised over frames
        p = H36M_PARENTS[j]
        glob[:, j] = glob[:, p] @ rotations[:, j]
        pos[:, j] = pos[:, p] + glob[:, p] @ offsets[j]
    return pos


class _Curves:
    """Smooth random curves of time for one sequence."""

    def __init__(self, rng: np.random.Generator, t: np.ndarray):
        self.rng, self.t = rng, t

    def wobble(self, amp: float, fmin=0.15, fmax=0.7, n=3) -> np.ndarray:
        """Sum of ``n`` sines of random frequency/phase, peak ~``amp``."""
        f = self.rng.uniform(fmin, fmax, n)
        ph = self.rng.uniform(0, 2 * np.pi, n)
        w = self.rng.uniform(0.5, 1, n)
        return amp * (w[:, None] * np.sin(2 * np.pi * f[:, None] * self.t +
                                          ph[:, None])).sum(0) / w.sum()

    def bumps(self, period: float, duty: float = 0.5) -> np.ndarray:
        """Smooth on/off cycles in [0, 1] (raised cosine, random phase)."""
        ph = self.rng.uniform(0, 1)
        x = (self.t / period + ph) % 1.
        up = np.clip(x / duty, 0, 1)
        return np.sin(np.pi * up)**2


def _angles(action: str, c: _Curves, tempo: float, amp: float) -> tuple:
    """Joint angles (dict of (T,) arrays) and root (x, y, heading) of one
    action."""
    t, rng = c.t, c.rng
    z = np.zeros_like(t)
    a = {
        k: z.copy()
        for k in ('hip_l', 'hip_r', 'abd_l', 'abd_r', 'knee_l', 'knee_r',
                  'lean', 'twist', 'roll', 'nod', 'turn', 'sh_l', 'sh_r',
                  'sab_l', 'sab_r', 'el_l', 'el_r')
    }
    cx, cy = rng.uniform(-0.6, 0.6, 2)
    x, y = cx + c.wobble(0.25, 0.03, 0.1), cy + c.wobble(0.25, 0.03, 0.1)
    heading = rng.uniform(0, 2 * np.pi) + c.wobble(1.0, 0.03, 0.12)
    a['sab_l'] += 0.12
    a['sab_r'] += 0.12
    a['el_l'] += 0.25
    a['el_r'] += 0.25
    base = action.split(' ')[0]
    if base == 'Walking':
        f = 0.9 * tempo
        phase = 2 * np.pi * f * t
        radius = rng.uniform(0.9, 1.3)
        direction = rng.choice([-1, 1])
        ang = direction * 1.25 * tempo * t / radius + rng.uniform(0, 6.3)
        x, y = radius * np.cos(ang), radius * np.sin(ang)
        heading = ang + direction * np.pi / 2
        for side, off in (('l', 0.), ('r', np.pi)):
            a[f'hip_{side}'] = amp * 0.45 * np.sin(phase + off) + 0.05
            a[f'knee_{side}'] = 0.1 + amp * 0.55 * (
                0.5 + 0.5 * np.sin(phase + off + 1.3))**2
            a[f'sh_{side}'] = amp * 0.35 * np.sin(phase + off + np.pi)
            a[f'el_{side}'] = 0.35 + 0.15 * np.sin(phase + off + np.pi)
        a['twist'] = 0.1 * amp * np.sin(phase)
        a['roll'] = 0.05 * np.sin(phase)
        a['lean'] += 0.06
    elif base == 'Directions':
        point = c.bumps(rng.uniform(4, 7), 0.6)
        side = rng.choice(['l', 'r'])
        a[f'sh_{side}'] = amp * 1.4 * point + c.wobble(0.1)
        a[f'sab_{side}'] = 0.12 + 0.4 * point
        a[f'el_{side}'] = 0.25 - 0.2 * point
        a['turn'] = c.wobble(0.5, 0.1, 0.3)
        a['twist'] = c.wobble(0.25, 0.1, 0.3)
        heading = heading + c.wobble(1.0, 0.05, 0.15)
    elif base == 'Discussion':
        for side in 'lr':
            g = c.bumps(rng.uniform(1.5, 3), 0.7)
            a[f'sh_{side}'] = amp * (0.3 + 0.6 * g + c.wobble(0.15, 0.5, 1.2))
            a[f'el_{side}'] = 0.7 + amp * (0.7 * g + c.wobble(0.25, 0.5, 1.5))
            a[f'sab_{side}'] = 0.2 + c.wobble(0.12, 0.3, 1.0)
        a['twist'] = c.wobble(0.3, 0.2, 0.6)
        a['nod'] = c.wobble(0.2, 0.5, 1.5)
        a['turn'] = c.wobble(0.4, 0.1, 0.4)
    elif base == 'Greeting':
        wave = c.bumps(rng.uniform(3, 5), 0.7)
        a['sh_r'] = amp * 1.2 * wave
        a['sab_r'] = 0.12 + 1.1 * wave
        a['el_r'] = 0.3 + wave * (1.0 + 0.5 * np.sin(2 * np.pi * 2.0 * t))
        step = c.bumps(rng.uniform(4, 6), 0.5)
        x = x + 0.3 * step * np.cos(heading)
        y = y + 0.3 * step * np.sin(heading)
        a['hip_l'] = 0.3 * step * np.sin(np.pi * step)
        a['knee_l'] = 0.4 * step * np.sin(np.pi * step)
        a['lean'] = 0.15 * wave
        a['nod'] = 0.2 * wave
    elif base == 'Phoning':
        side = rng.choice(['l', 'r'])
        a[f'sh_{side}'] = 0.5 + c.wobble(0.1)
        a[f'sab_{side}'] = 0.45 + c.wobble(0.05)
        a[f'el_{side}'] = 2.3 + c.wobble(0.1)
        a['roll'] = c.wobble(0.08, 0.1, 0.3)
        a['abd_l'] = a['abd_r'] = 0.05 + c.wobble(0.04)
        a['turn'] = c.wobble(0.3, 0.1, 0.3) - (0.2 if side == 'l' else -0.2)
        a['nod'] = 0.15 + c.wobble(0.1)
    elif base == 'SittingDown':
        s = c.bumps(rng.uniform(5, 7) / tempo, 0.8)
        a['hip_l'] = a['hip_r'] = 1.6 * amp * s
        a['knee_l'] = a['knee_r'] = 1.8 * amp * s
        a['lean'] = 0.6 * s
        a['sh_l'] = a['sh_r'] = 0.6 * s + c.wobble(0.1)
        a['abd_l'] = a['abd_r'] = 0.12 * s
    else:
        raise ValueError(f'unknown action {action!r}; choose from '
                         f'{sorted({n.split(" ")[0] for n in ACTIONS})}')
    for key in a:  # individual, low-frequency variation everywhere
        a[key] = a[key] + c.wobble(0.04)
    a['knee_l'], a['knee_r'] = np.abs(a['knee_l']), np.abs(a['knee_r'])
    a['el_l'], a['el_r'] = np.abs(a['el_l']), np.abs(a['el_r'])
    return a, x, y, heading


def synthesize_motion(action: str,
                      num_frames: int,
                      rng: np.random.Generator,
                      body: Optional[np.ndarray] = None,
                      fps: float = 50.) -> np.ndarray:
    """World positions of one action sequence.

    Args:
        action (str): One of :data:`ACTIONS` (a sub-action suffix such as
            ``' 1'`` is ignored).
        num_frames (int): T.
        rng (np.random.Generator): Random stream of this sequence.
        body (np.ndarray, optional): ``(17, 3)`` offsets from
            :func:`sample_body`; drawn from ``rng`` when None.
        fps (float): Frame rate. Defaults to 50 (Human3.6M).

    Returns:
        np.ndarray: ``(T, 17, 3)`` metres, world z up, lowest foot on z=0.
    """
    body = sample_body(rng) if body is None else body
    t = np.arange(num_frames) / fps
    tempo, amp = rng.uniform(0.85, 1.15), rng.uniform(0.85, 1.15)
    a, x, y, heading = _angles(action, _Curves(rng, t), tempo, amp)
    rot = np.tile(np.eye(3), (num_frames, 17, 1, 1))
    rot[:, 0] = _rz(heading) @ _rx(a['roll']) @ _ry(0.5 * a['lean'])
    for j, side, sign in ((1, 'r', -1), (4, 'l', 1)):
        rot[:, j] = _rx(sign * a[f'abd_{side}']) @ _ry(-a[f'hip_{side}'])
        rot[:, j + 1] = _ry(a[f'knee_{side}'])
    rot[:, 7] = _rz(a['twist']) @ _ry(0.5 * a['lean'])
    rot[:, 9] = _rz(a['turn']) @ _ry(a['nod'])
    for j, side, sign in ((11, 'l', 1), (14, 'r', -1)):
        rot[:, j] = _rx(sign * a[f'sab_{side}']) @ _ry(-a[f'sh_{side}'])
        rot[:, j + 1] = _ry(-a[f'el_{side}'])
    root = np.stack([x, y, np.zeros_like(x)], -1)
    pos = forward_kinematics(body, rot, root)
    pos[..., 2] -= pos[:, list(_FEET), 2].min(axis=1, keepdims=True)
    return pos


def _look_at(center: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Camera-to-world rotation of a camera at ``center`` looking at
    ``target`` (camera x right, y down, z forward; world z up)."""
    fwd = target - center
    fwd /= np.linalg.norm(fwd)
    right = np.cross(fwd, [0., 0., 1.])
    right /= np.linalg.norm(right)
    return np.stack([right, np.cross(fwd, right), fwd], axis=1)


def make_camera_rig(
    rng: np.random.Generator,
    subjects: Sequence[str] = H36M_SUBJECTS,
    azimuths: Sequence[float] = (45., 135., 225., 315.)
) -> Tuple[Dict[Tuple[str, str], dict], list]:
    """Four calibrated cameras around the capture area.

    Camera i stands at azimuth ``azimuths[i]`` (+-8 degrees; default: the
    corners ~45, 135, 225, 315 degrees in id order), 4.5-5.5 m from the
    centre and 1.2-1.9 m high, looking at a point 0.9 m above the floor
    centre; focal length ~1150 px, principal point near the
    image centre, mild radial/tangential distortion; Human3.6M's ids and
    resolutions. The same rig serves every subject.

    Returns:
        tuple: cameras keyed ``(subject, camera_id)`` in the layout of
        :func:`mmhuman_ext.geometry.h36m_cameras.load_h36m_cameras`, and
        the camera order.
    """
    rig = {}
    for i, (cam_id, (w, h)) in enumerate(H36M_CAMERAS):
        az = np.deg2rad(azimuths[i] + rng.uniform(-8, 8))
        dist, height = rng.uniform(4.5, 5.5), rng.uniform(1.2, 1.9)
        center = np.array([dist * np.cos(az), dist * np.sin(az), height])
        target = np.array([0., 0., 0.9]) + rng.uniform(-0.1, 0.1, 3)
        rig[cam_id] = dict(
            R=_look_at(center, target),
            T=center,
            f=rng.uniform(1140, 1150, 2),
            c=np.array([w / 2, h / 2]) + rng.uniform(-10, 10, 2),
            k=np.array([
                rng.uniform(-0.22, -0.18),
                rng.uniform(0.15, 0.25),
                rng.uniform(-0.01, 0.01)
            ]),
            p=rng.uniform(-1e-3, 1e-3, 2),
            w=w,
            h=h,
            id=cam_id)
    cameras = {(s, c): dict(cam) for s in subjects for c, cam in rig.items()}
    return cameras, [c for c, _ in H36M_CAMERAS]


def render_2d(world: np.ndarray, camera: dict) -> np.ndarray:
    """Project ``(T, J, 3)`` world points (metres) to ``(T, J, 2)`` pixels
    of ``camera`` (with its lens distortion)."""
    return project_to_pixels(
        world_to_camera(world, camera['R'], camera['T']), camera)


def detector_noise(kpts: np.ndarray,
                   rng: np.random.Generator,
                   sigma: float = 3.,
                   outlier_rate: float = 0.005,
                   outlier_sigma: float = 25.) -> np.ndarray:
    """Detector-like errors on ``(T, J, 2)`` pixel keypoints.

    Adds white jitter (``sigma / 2``), jitter smoothed over ~9 frames
    (standard deviation ~``sigma``) and, for a fraction ``outlier_rate`` of
    joint-frames, an offset with standard deviation ``outlier_sigma``.
    """
    T = len(kpts)
    k = 9
    white = rng.normal(0, sigma * np.sqrt(k), (T + k, ) + kpts.shape[1:])
    csum = np.cumsum(white, axis=0)
    smooth = (csum[k:] - csum[:-k]) / k
    noisy = kpts + smooth + rng.normal(0, sigma / 2, kpts.shape)
    hit = rng.random(kpts.shape[:2]) < outlier_rate
    noisy[hit] += rng.normal(0, outlier_sigma, (int(hit.sum()), 2))
    return noisy


def _to_32_joints(pos17: np.ndarray) -> np.ndarray:
    """Embed ``(T, 17, 3)`` into the 32-joint layout of the original files;
    every dropped slot copies the closest kept joint before it."""
    out = np.empty((len(pos17), 32, 3), dtype=pos17.dtype)
    src = 0
    for i in range(32):
        if src + 1 < 17 and KEPT_OF_32[src + 1] <= i:
            src += 1
        out[:, i] = pos17[:, src]
    return out


def write_videopose3d_h36m(out_dir: str,
                           subjects: Sequence[str] = H36M_SUBJECTS,
                           actions: Sequence[str] = ACTIONS,
                           num_frames: int = 600,
                           seed: int = 0,
                           det_sigma: float = 3.) -> None:
    """Write the VideoPose3D files and ``h36m_cameras.json`` to ``out_dir``.

    Args:
        out_dir (str): Existing folder.
        subjects (Sequence[str]): Subject names.
        actions (Sequence[str]): Video names (see :data:`ACTIONS`).
        num_frames (int): Frames per video (50 fps).
        seed (int): Seed of all random streams.
        det_sigma (float): Jitter of the detection-like 2D (pixels).
    """
    cameras, order = make_camera_rig(
        np.random.default_rng([seed, 1000]), subjects)
    pos3d, gt2d, det2d = {}, {}, {}
    for si, subject in enumerate(subjects):
        body = sample_body(np.random.default_rng([seed, 2000, si]))
        for ai, action in enumerate(actions):
            world = synthesize_motion(action, num_frames,
                                      np.random.default_rng([seed, si, ai]),
                                      body)
            pos3d.setdefault(
                subject, {})[action] = _to_32_joints(world).astype(np.float32)
            views = [render_2d(world, cameras[(subject, c)]) for c in order]
            gt2d.setdefault(
                subject, {})[action] = [v.astype(np.float32) for v in views]
            det2d.setdefault(subject, {})[action] = [
                detector_noise(v, np.random.default_rng([seed, si, ai, ci]),
                               det_sigma).astype(np.float32)
                for ci, v in enumerate(views)
            ]
    symmetry = [list(_LEFT), list(_RIGHT)]
    np.savez_compressed(
        osp.join(out_dir, 'data_3d_h36m.npz'), positions_3d=pos3d)
    np.savez_compressed(
        osp.join(out_dir, 'data_2d_h36m_gt.npz'),
        positions_2d=gt2d,
        metadata=dict(num_joints=17, keypoints_symmetry=symmetry))
    np.savez_compressed(
        osp.join(out_dir, 'data_2d_h36m_cpn_ft_h36m_dbb.npz'),
        positions_2d=det2d,
        metadata=dict(
            layout_name='h36m', num_joints=17, keypoints_symmetry=symmetry))
    with open(osp.join(out_dir, 'h36m_cameras.json'), 'w') as f:
        json.dump(cameras_to_json(cameras, order), f, indent=1)


def ensure_synthetic_h36m(root: Optional[str] = None,
                          subjects: Sequence[str] = H36M_SUBJECTS,
                          actions: Sequence[str] = ACTIONS,
                          num_frames: int = 600,
                          seed: int = 0,
                          det_sigma: float = 3.) -> str:
    """Write the synthetic Human3.6M files once and return their folder.

    Args:
        root (str, optional): Folder. Defaults to
            ``<cache>/synthetic/h36m_motion3d-v1-<hash of the arguments>``
            (``<cache>``: ``$MMHUMAN_EXT_DATA`` or ``~/.cache/mmhuman_ext``).
        subjects, actions, num_frames, seed, det_sigma: As
            :func:`write_videopose3d_h36m`.

    The files are written into a temporary folder beside ``root`` and
    renamed to ``root`` in one step, so concurrent callers (e.g. the ranks
    of a distributed run) never see a half-written dataset. A complete
    folder has a marker file with the arguments and is re-used as is.
    """
    params = dict(
        version=VERSION,
        subjects=list(subjects),
        actions=list(actions),
        num_frames=int(num_frames),
        seed=int(seed),
        det_sigma=float(det_sigma))

    def write(out):
        write_videopose3d_h36m(out, subjects, actions, num_frames, seed,
                               det_sigma)
    return ensure_generated(f'h36m_motion3d-{VERSION}', params, write, root)
