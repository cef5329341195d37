"""Built-in multi-view data: 3D motion rendered into four calibrated cameras.

The demo data of TransFusion and multi-view PPT, written in the
H36M-Toolbox layout that :class:`~mmhuman_ext.datasets.MultiViewH36MDataset`
reads (``annot/h36m_{train,validation}.pkl`` + ``images/<video>/<frame>``),
so the demo exercises the real loader and metrics.

* Motion: the P-STMO generator (:mod:`.motion3d`): subjects of human
  proportions (:func:`~.motion3d.sample_body`) performing its actions
  (:func:`~.motion3d.synthesize_motion`), in metres, converted to mm.
* Cameras: :func:`~.motion3d.make_camera_rig`, placed like Human3.6M's
  (``camera_layout='h36m'``, :data:`H36M_AZIMUTHS`): cameras 0 and 2
  stand ~40 degrees apart on one side of the capture area, 1 and 3 on the
  other, so the fixed TransFusion pairs (0, 2) and (1, 3) are neighbouring
  views with a useful baseline, and (0, 3), (1, 2) face each other, as in
  Human3.6M. Intrinsics scaled by ``image_scale`` (default 0.25: 250 x 250
  images) and converted to the toolbox layout (``R`` world->camera, ``T``
  centre in mm, ``fx fy cx cy k p``). 2D labels are projections with
  Human3.6M's distortion model (:func:`mmhuman_ext.geometry.project_points`),
  the model the images are drawn with.
* Images: the body as depth-sorted capsules (painter's algorithm, so limbs
  hide each other), left limbs warm and right limbs cool colours, a head,
  on a smooth random background. Every sequence has one box-shaped pillar
  per camera pair of ``occluder_pairs`` (default the fixed pairs (0, 2),
  (1, 3)), standing between the subject and one camera of the pair drawn
  at random: the joints it hides in that view are seen by the other view
  of the pair.
* Per view, ``joints_occluded`` (K,) flags joints whose pixel shows a
  pillar or a body part more than 8 cm nearer the camera; the loader
  passes it on, and ``JointDetectionRate(subset='occluded')`` scores them.

Deterministic: each sequence draws from ``default_rng([seed, subject,
action])``; the folder is written once (atomic rename) and re-used.
Version history (part of the cache key): v1 had the cameras at the
corners in id order (pairs (0, 2) and (1, 3) facing each other) and two
narrower pillars in front of random cameras; v2 is the layout above.
"""
import os
import os.path as osp
import pickle
from typing import Optional, Sequence

import cv2
import numpy as np
import torch

from mmhuman_ext.geometry.camera import camera_from_toolbox, project_points
from .cache import ensure_generated
from .motion3d import (ACTIONS, H36M_PARENTS, make_camera_rig, sample_body,
                       synthesize_motion)

VERSION = 'v2'
#: Human3.6M action ids of the motion generator's actions.
ACTION_IDS = {'Directions': 2, 'Discussion': 3, 'Greeting': 5, 'Phoning': 6,
              'SittingDown': 11, 'Walking': 15}
SUBJECT_IDS = {'S1': 1, 'S5': 5, 'S6': 6, 'S7': 7, 'S8': 8, 'S9': 9,
               'S11': 11}
# Capsule radius (mm) of the bone from H36M_PARENTS[j] to joint j.
_RADIUS = np.array([0, 75, 60, 50, 75, 60, 50, 110, 120, 45, 0, 55, 45, 38,
                    55, 45, 38], dtype=np.float64)
_LEFT = {4, 5, 6, 11, 12, 13}
_HEAD_RADIUS = 105.
_OCCLUSION_MARGIN = 80.
#: Base azimuths (degrees) of cameras 0-3 in the ``'h36m'`` layout, close to
#: Human3.6M's: 0 and 2 neighbours on one side, 1 and 3 on the other.
H36M_AZIMUTHS = (70., 290., 110., 245.)
CAMERA_LAYOUTS = {'h36m': H36M_AZIMUTHS, 'corners': (45., 135., 225., 315.)}


def toolbox_cameras(image_scale: float, seed: int,
                    layout: str = 'corners') -> list:
    """The rig of :func:`~.motion3d.make_camera_rig` in the H36M-Toolbox
    layout (mm), intrinsics scaled by ``image_scale``; with image sizes.

    ``layout``: ``'h36m'`` (:data:`H36M_AZIMUTHS`, what the multi-view
    data use) or ``'corners'`` (azimuths 45, 135, 225, 315 in id order).
    """
    if layout not in CAMERA_LAYOUTS:
        raise ValueError(f'layout must be one of {sorted(CAMERA_LAYOUTS)}, '
                         f'got {layout!r}')
    rig, order = make_camera_rig(np.random.default_rng([seed, 1000]), ['S1'],
                                 CAMERA_LAYOUTS[layout])
    cams = []
    for cam_id in order:
        c = rig[('S1', cam_id)]
        f, cc = np.asarray(c['f']) * image_scale, np.asarray(
            c['c']) * image_scale
        cams.append(dict(
            R=np.asarray(c['R']).T.copy(),
            T=(np.asarray(c['T']) * 1000.).reshape(3, 1),
            fx=float(f[0]), fy=float(f[1]), cx=float(cc[0]), cy=float(cc[1]),
            k=np.asarray(c['k'], np.float64).reshape(3, 1),
            p=np.asarray(c['p'], np.float64).reshape(2, 1),
            size=(int(round(c['w'] * image_scale)),
                  int(round(1000 * image_scale)))))
    return cams


def _segment_colours(rng: np.random.Generator) -> np.ndarray:
    """BGR colour per bone: left warm, right cool, trunk grey-ish."""
    cols = np.zeros((17, 3))
    for j in range(17):
        shade = 0.55 + 0.45 * (j % 3) / 2
        if j in _LEFT:
            cols[j] = np.array([40, 90, 235]) * shade
        elif j in (1, 2, 3, 14, 15, 16):
            cols[j] = np.array([235, 140, 40]) * shade
        else:
            cols[j] = np.array([150, 160, 150]) * shade
    return np.clip(cols + rng.uniform(-15, 15, (17, 3)), 0, 255)


def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    small = rng.uniform(60, 200, (6, 6, 3)).astype(np.float32)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    img += rng.normal(0, 6, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _pair_pillars(rng: np.random.Generator, center: np.ndarray, cams: list,
                  pairs: Sequence[Sequence[int]]) -> list:
    """One box (8 corners, mm) per camera pair, between ``center`` and a
    camera of the pair drawn at random, 1.5-2.2 m from ``center``: about
    0.3-0.45 m wide and 1.0-1.7 m high, so it hides a good part of the
    body in that view and none in the pair's other view."""
    boxes = []
    for pair in pairs:
        c = cams[pair[rng.integers(len(pair))]]['T'].reshape(3)
        d = c[:2] - center[:2]
        d /= np.linalg.norm(d)
        pos = center[:2] + d * rng.uniform(1500, 2200)
        pos += np.array([-d[1], d[0]]) * rng.uniform(-200, 200)
        hw, hd = rng.uniform(150, 225), rng.uniform(80, 150)
        height = rng.uniform(1000, 1700)
        xs, ys, zs = np.meshgrid([-hw, hw], [-hd, hd], [0, height],
                                 indexing='ij')
        boxes.append(np.stack([xs + pos[0], ys + pos[1], zs], -1).reshape(
            8, 3))
    return boxes


def render_view(world: np.ndarray, boxes: list, cam: dict,
                colours: np.ndarray, background: np.ndarray):
    """Draw one view.

    Args:
        world (np.ndarray): (17, 3) joints, mm.
        boxes (list): (8, 3) corner arrays of the pillars, mm.
        cam (dict): Toolbox camera.
        colours (np.ndarray): (17, 3) BGR per bone.
        background (np.ndarray): (h, w, 3) uint8.

    Returns:
        tuple: image (h, w, 3) uint8, joints_2d (17, 2), occluded (17,)
        bool.
    """
    ours = {k: torch.as_tensor(v) for k, v in camera_from_toolbox(cam).items()}
    pts = torch.as_tensor(np.concatenate([world] + boxes))
    pix = project_points(pts, ours).numpy()
    depth = (pts.numpy() - ours['T'].numpy()) @ ours['R'].numpy()[2]
    fx = float(ours['K'][0, 0])
    j2d, jz = pix[:17], depth[:17]
    img = background.copy()
    h, w = img.shape[:2]
    ids = np.full((h, w), -1, np.int32)
    prims = []  # (depth, kind, index, draw)
    for j in range(1, 17):
        if _RADIUS[j] == 0:
            continue
        prims.append((0.5 * (jz[j] + jz[H36M_PARENTS[j]]), 'bone', j))
    prims.append((jz[10], 'head', 10))
    for b in range(len(boxes)):
        prims.append((depth[17 + 8 * b:25 + 8 * b].mean(), 'box', b))
    prim_depth = {}
    for n, (z, kind, idx) in enumerate(sorted(prims, key=lambda p: -p[0])):
        canvas = np.zeros((h, w), np.uint8)
        if kind == 'bone':
            a, b = j2d[H36M_PARENTS[idx]], j2d[idx]
            r = max(1, int(round(fx * _RADIUS[idx] / z)))
            cv2.line(canvas, tuple(np.round(a).astype(int)),
                     tuple(np.round(b).astype(int)), 255, 2 * r)
            cv2.circle(canvas, tuple(np.round(b).astype(int)), r, 255, -1)
            colour = colours[idx]
        elif kind == 'head':
            r = max(1, int(round(fx * _HEAD_RADIUS / z)))
            centre = 0.5 * (j2d[9] + j2d[10])
            cv2.circle(canvas, tuple(np.round(centre).astype(int)), r, 255,
                       -1)
            colour = np.array([120, 170, 220])
        else:
            corners = pix[17 + 8 * idx:25 + 8 * idx]
            hull = cv2.convexHull(np.round(corners).astype(np.int32))
            cv2.fillConvexPoly(canvas, hull, 255)
            colour = np.array([70, 60, 50]) + 40 * idx
        mask = canvas > 0
        img[mask] = colour.astype(np.uint8)
        ids[mask] = n
        prim_depth[n] = (z, kind, idx)
    occluded = np.zeros(17, bool)
    for j in range(17):
        u, v = np.round(j2d[j]).astype(int)
        if not (0 <= u < w and 0 <= v < h) or ids[v, u] < 0:
            continue
        z, kind, idx = prim_depth[ids[v, u]]
        own = kind == 'bone' and j in (idx, H36M_PARENTS[idx])
        occluded[j] = kind == 'box' or (
            not own and z < jz[j] - _OCCLUSION_MARGIN)
    return img, j2d, occluded


def _toolbox_box(world: np.ndarray, cam: dict) -> np.ndarray:
    """H36M-Toolbox box: a 2000 x 2000 mm square centred on the root
    (x +-1000, y -900/+1100 in camera axes, at root depth), projected."""
    R, C = cam['R'], cam['T'].reshape(3)
    root_cam = R @ (world[0] - C)
    corners = np.array([[-1000., -900., 0.], [1000., 1100., 0.]]) + root_cam
    tl, br = (corners[:, :2] / corners[:, 2:]) * [cam['fx'], cam['fy']] + [
        cam['cx'], cam['cy']]
    return np.concatenate([tl, br])


def write_multiview_figures(out_dir: str,
                            train_subjects: Sequence[str] = (
                                'S1', 'S5', 'S6', 'S7', 'S8'),
                            test_subjects: Sequence[str] = ('S9', 'S11'),
                            actions: Sequence[str] = ACTIONS,
                            frames_per_sequence: int = 24,
                            frame_step: int = 8,
                            image_scale: float = 0.25,
                            camera_layout: str = 'h36m',
                            occluder_pairs: Sequence[Sequence[int]] = (
                                (0, 2), (1, 3)),
                            seed: int = 0) -> None:
    """Write annotations and images (module docstring) to ``out_dir``."""
    cams = toolbox_cameras(image_scale, seed, camera_layout)
    splits = (('train', train_subjects), ('validation', test_subjects))
    for split, subjects in splits:
        records = []
        for subject in subjects:
            s_id = SUBJECT_IDS[subject]
            body = sample_body(np.random.default_rng([seed, 2000, s_id]))
            for action in actions:
                a_name, _, sub = action.partition(' ')
                a_id, sa_id = ACTION_IDS[a_name], int(sub or 1)
                rng = np.random.default_rng([seed, s_id, a_id])
                motion = synthesize_motion(
                    action, frames_per_sequence * frame_step, rng,
                    body)[::frame_step] * 1000.
                boxes = _pair_pillars(rng, motion[:, 0].mean(0), cams,
                                      occluder_pairs)
                colours = _segment_colours(rng)
                for ci, cam in enumerate(cams):
                    video = (f's_{s_id:02d}_act_{a_id:02d}_subact_'
                             f'{sa_id:02d}_ca_{ci + 1:02d}')
                    os.makedirs(osp.join(out_dir, 'images', video),
                                exist_ok=True)
                    w, h = cam['size']
                    bg = _background(rng, w, h)
                    ours = camera_from_toolbox(cam)
                    for t, world in enumerate(motion):
                        img, j2d, occ = render_view(world, boxes, cam,
                                                    colours, bg)
                        name = f'{video}/{video}_{t + 1:06d}.jpg'
                        cv2.imwrite(osp.join(out_dir, 'images', name), img,
                                    [cv2.IMWRITE_JPEG_QUALITY, 92])
                        xc = (world - ours['T']) @ ours['R'].T
                        records.append(dict(
                            image=name, joints_2d=j2d.astype(np.float32),
                            joints_3d_camera=xc.astype(np.float32),
                            joints_vis=np.ones((17, 3), np.float32),
                            joints_occluded=occ,
                            box=_toolbox_box(world, cam).astype(np.float32),
                            camera={k: v for k, v in cam.items()
                                    if k != 'size'},
                            camera_id=ci, subject=s_id, action=a_id,
                            subaction=sa_id, image_id=t + 1,
                            video_id=ci, source='h36m'))
        os.makedirs(osp.join(out_dir, 'annot'), exist_ok=True)
        with open(osp.join(out_dir, 'annot', f'h36m_{split}.pkl'), 'wb') as f:
            pickle.dump(records, f)


def ensure_multiview_figures(root: Optional[str] = None, **kwargs) -> str:
    """Write the dataset once (arguments of
    :func:`write_multiview_figures`) and return its folder.

    Defaults to ``<cache>/synthetic/multiview_figures-<VERSION>-<hash>``;
    written into a temporary folder and renamed in one step; a complete
    folder has a marker with the arguments and is re-used as is.
    """
    params = dict(version=VERSION, **{
        k: list(v) if isinstance(v, (tuple, list)) else v
        for k, v in sorted(kwargs.items())
    })

    def write(out):
        write_multiview_figures(out, **kwargs)

    return ensure_generated(f'multiview_figures-{VERSION}', params, write,
                            root)
