"""Built-in data for CVTHead: a stand-in FLAME head model and VoxCeleb-style
videos rendered from it.

FLAME and VoxCeleb cannot be downloaded here, so this module writes files in
their formats, and the demo and tests go through the real loaders:

* :func:`make_standin_head_model` writes ``generic_model.pkl`` (the FLAME
  dict schema: ``v_template``, ``f``, ``shapedirs (N, 3, 400)`` = 300 shape +
  100 expression, ``posedirs (N, 3, 36)``, ``J_regressor`` as a
  scipy.sparse ``csc_matrix``, ``weights (N, 5)``, ``kintree_table``),
  ``landmark_embedding.npy`` (DECA's pickled dict with
  ``full_lmk_faces_idx``/``full_lmk_bary_coords``), ``hierarchy.npz`` and
  the three files of ROME's hair/shoulder deformation model in their release
  formats (:func:`write_standin_hair_model`).
  The head is an icosphere of ``subdivisions`` levels deformed into a head
  shape (nose, chin, jaw line); the two coarser icosphere levels nest exactly
  in it (midpoint subdivision appends vertices), which gives the 4x mesh
  hierarchy: selection down-transforms and midpoint up-transforms. Shape and
  expression bases are smooth random fields (expressions concentrate on the
  lower face); the jaw joint drives the lower front of the head.
* the head has a hair and shoulder volume that the FLAME-format model lacks,
  as real heads do: the rendered surface is the posed mesh plus the stand-in
  deformation model's mean offsets, so a model with ``f_H`` on reconstructs
  the rendered geometry and one without it does not;
* :func:`render_head` splats a dense point sample of the posed mesh's
  triangles (our z-buffer rasterizer), Lambert-shaded with a per-identity
  colour field (skin, hair, eyes, lips), over a plain background.
* :func:`write_synthetic_voxceleb` writes videos in the layout read by
  :class:`~mmhuman_ext.datasets.VoxCelebReenactDataset`: frames, parsing
  masks, per-video landmark pickles, precomputed DECA-style codes with the
  crop transform estimated from the landmarks, and the split json files.
  Codes are the generator's ground truth; the camera is re-fitted to the
  landmark crop, exactly as DECA's code would refer to it.
* :func:`ensure_synthetic_heads` does both once into a cache folder.

Deterministic: every identity / video draws from its own
``numpy.random.default_rng([seed, ...])`` stream.
"""
import json
import os
import os.path as osp
import pickle
from typing import Dict, Optional, Tuple

import cv2
import numpy as np
import scipy.sparse
import torch
import torch.nn.functional as F

from mmhuman_ext.geometry.ortho_crop import (crop_to_image,
                                             estimate_crop_tform,
                                             fit_ortho_cam, ortho_project)

from .cache import ensure_generated

VERSION = 'v2'  # v2: hair/shoulder volume and the f_H stand-in files
HEAD_RADII = np.array([0.075, 0.1, 0.09])  # metres, x (width) y (up) z


# ----------------------------------------------------------------- mesh
def icosphere(subdivisions: int):
    """Unit icosphere levels ``0..subdivisions``.

    Returns:
        tuple: ``vertices (V, 3)`` of the finest level, a list of faces per
        level (finest first) and a list of midpoint parents ``(V_l, 2)`` per
        level (finest first; coarse vertices are their own parents).
    """
    t = (1 + 5**0.5) / 2
    verts = [[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t],
             [0, 1, t], [0, -1, -t], [0, 1, -t], [t, 0, -1], [t, 0, 1],
             [-t, 0, -1], [-t, 0, 1]]
    faces = np.array(
        [[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11],
         [1, 5, 9], [5, 11, 4], [11, 10, 2], [10, 7, 6], [7, 1, 8],
         [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8], [3, 8, 9], [4, 9, 5],
         [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1]], np.int64)
    verts = [np.array(v, float) / np.linalg.norm(v) for v in verts]
    all_faces, parents = [faces], [np.stack([np.arange(12)] * 2, 1)]
    for _ in range(subdivisions):
        cache: Dict[Tuple[int, int], int] = {}
        par = [[i, i] for i in range(len(verts))]

        def mid(a, b):
            key = (min(a, b), max(a, b))
            if key not in cache:
                v = verts[a] + verts[b]
                verts.append(v / np.linalg.norm(v))
                par.append(list(key))
                cache[key] = len(verts) - 1
            return cache[key]

        new = []
        for a, b, c in faces:
            ab, bc, ca = mid(a, b), mid(b, c), mid(c, a)
            new += [[a, ab, ca], [b, bc, ab], [c, ca, bc], [ab, bc, ca]]
        faces = np.array(new, np.int64)
        all_faces.append(faces)
        parents.append(np.array(par, np.int64))
    return np.array(verts), all_faces[::-1], parents[::-1]


def _smooth_fields(rng, unit: np.ndarray, count: int) -> np.ndarray:
    """``count`` random smooth vector fields ``(V, 3, count)`` over the unit
    sphere: random combinations of monomials up to degree 3."""
    x, y, z = unit.T
    feats = [np.ones_like(x)]
    for d in range(1, 4):
        for i in range(d + 1):
            for j in range(d + 1 - i):
                feats.append(x**i * y**j * z**(d - i - j))
    feats = np.stack(feats, 1)  # (V, 20)
    coef = rng.standard_normal((feats.shape[1], 3, count))
    return np.einsum('vf,fkc->vkc', feats, coef) / np.sqrt(feats.shape[1])


def _landmark_layout() -> np.ndarray:
    """68 landmark positions ``(68, 2)`` on the unit front of the face
    (x right, y up), in the iBUG-68 order: jaw 17, brows 10, nose 9,
    eyes 12, mouth 20."""
    pts = []
    t = np.linspace(np.pi * 0.05, np.pi * 0.95, 17)
    pts += list(np.stack([-0.85 * np.cos(t), 0.05 - 0.8 * np.sin(t)], 1))
    for side in (-1, 1):
        xs = np.linspace(0.65, 0.15, 5) * side
        pts += [[x, 0.45 + 0.05 * np.sin(np.pi * k / 4)]
                for k, x in enumerate(xs if side < 0 else xs[::-1])]
    pts += [[0, 0.3 - 0.1 * k] for k in range(4)]
    pts += [[x, -0.15] for x in np.linspace(-0.2, 0.2, 5)]
    for cx in (-0.35, 0.35):
        a = np.linspace(0, 2 * np.pi, 7)[:-1]
        pts += list(np.stack([cx + 0.15 * np.cos(a + np.pi),
                              0.3 + 0.06 * np.sin(a + np.pi)], 1))
    a = np.linspace(0, 2 * np.pi, 13)[:-1]
    pts += list(np.stack([0.35 * np.cos(a + np.pi),
                          -0.42 + 0.12 * np.sin(a + np.pi)], 1))
    a = np.linspace(0, 2 * np.pi, 9)[:-1]
    pts += list(np.stack([0.22 * np.cos(a + np.pi),
                          -0.42 + 0.05 * np.sin(a + np.pi)], 1))
    return np.array(pts, np.float64)


HAIR_FILES = dict(net='linear_hair.pth', mean='mean_deform.pt',
                  basis='u_full.pt')


def hair_volume(unit: np.ndarray) -> np.ndarray:
    """Mean hair/shoulder offsets ``(V, 3)`` (metres) of the stand-in head
    from the canonical unit-sphere positions: hair thickens the top and back
    of the skull along the normal (up to 12 mm), and the neck base is pulled
    down and widened into shoulders (up to 20 mm)."""
    x, y, z = unit.T
    hair = 1 / (1 + np.exp(-((y - 0.55) + 0.8 * np.clip(-z, 0, None)) / 0.05))
    out = 0.012 * hair[:, None] * unit
    shoulder = 1 / (1 + np.exp((y + 0.9) / 0.04))
    out[:, 1] -= 0.02 * shoulder
    out[:, 0] += 0.015 * shoulder * x
    return out


def write_standin_hair_model(out_dir: str, unit: np.ndarray, seed: int = 0,
                             num_coeffs: int = 60) -> Dict[str, str]:
    """Write stand-ins of ROME's linear deformation files (formats of
    :class:`~mmhuman_ext.models.editors.cvthead.LinearHairDeformer`):

    * ``linear_hair.pth``: a torchvision ResNet-50 state dict with a
      2048 -> 60 ``fc``; random trunk, zero ``fc``, so it predicts
      ``beta = 0`` and the offsets are the mean, the geometry the frames are
      rendered with (a random ``beta`` would only add noise);
    * ``mean_deform.pt``: :func:`hair_volume` ``(V, 3)``;
    * ``u_full.pt``: smooth random directions ``(3V, 60)`` (2 mm scale).

    Returns:
        dict: paths ``net``, ``mean``, ``basis``.
    """
    import torchvision
    rng = np.random.default_rng([seed, 4])
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = torchvision.models.resnet50(weights=None)
    net.fc = torch.nn.Linear(2048, num_coeffs)
    torch.nn.init.zeros_(net.fc.weight)
    torch.nn.init.zeros_(net.fc.bias)
    basis = 0.002 * _smooth_fields(rng, unit, num_coeffs)
    paths = {k: osp.join(out_dir, v) for k, v in HAIR_FILES.items()}
    torch.save(net.state_dict(), paths['net'])
    torch.save(torch.from_numpy(hair_volume(unit)).float(), paths['mean'])
    torch.save(torch.from_numpy(basis.reshape(len(unit) * 3,
                                              num_coeffs)).float(),
               paths['basis'])
    return paths


def make_standin_head_model(out_dir: str, subdivisions: int = 4,
                            seed: int = 0) -> Dict[str, str]:
    """Write the stand-in FLAME files into ``out_dir``.

    Returns:
        dict: paths ``flame``, ``landmarks``, ``hierarchy`` and the hair
        model's ``net``, ``mean``, ``basis``.
    """
    from mmhuman_ext.models.editors.cvthead.mesh_hierarchy import \
        save_hierarchy_npz
    if subdivisions < 2:
        raise ValueError('the hierarchy needs subdivisions >= 2')
    rng = np.random.default_rng([seed, 1])
    unit, faces, parents = icosphere(subdivisions)
    x, y, z = unit.T
    front = np.clip(z, 0, None)
    # head shape: ellipsoid, nose, chin, flat neck base
    verts = unit * HEAD_RADII
    nose = np.exp(-((x / 0.16)**2 + ((y + 0.05) / 0.25)**2)) * front**4
    verts[:, 2] += 0.03 * nose
    chin = np.exp(-((x / 0.3)**2 + ((y + 0.75) / 0.2)**2)) * front
    verts[:, 2] += 0.012 * chin
    verts[:, 1] = np.maximum(verts[:, 1], -0.085)  # flat neck base
    n = len(verts)
    scale = 1 / np.sqrt(1 + np.arange(300))
    shapedirs = 0.006 * _smooth_fields(rng, unit, 300) * scale
    lower = 1 / (1 + np.exp((y + 0.05) / 0.12)) * (0.3 + front)
    eyes = np.exp(-(((np.abs(x) - 0.35) / 0.2)**2 + ((y - 0.3) / 0.15)**2))
    region = np.clip(lower + 0.6 * eyes * front, 0, 1.5)[:, None, None]
    expr = 0.008 * _smooth_fields(rng, unit, 100) * region / np.sqrt(
        1 + 0.3 * np.arange(100))
    posedirs = 0.0005 * _smooth_fields(rng, unit, 36)
    # joints: root (neck base), neck, jaw pivot (both ears), eyes; each the
    # mean of the vertices nearest to its anchors on the unit sphere
    anchors = [[(0, -1, 0)], [(0, -0.7, -0.7)], [(0.95, -0.1, 0),
                                                 (-0.95, -0.1, 0)],
               [(-0.35, 0.3, 0.87)], [(0.35, 0.3, 0.87)]]
    jreg = np.zeros((5, n))
    k = min(6, n)
    for j, points in enumerate(anchors):
        for a in points:
            near = np.argsort(np.linalg.norm(unit - a, axis=1))[:k]
            jreg[j, near] += 1 / (k * len(points))
    w_root = 1 / (1 + np.exp(-(-0.8 - y) / 0.04))
    w_jaw = (1 / (1 + np.exp((y + 0.1) / 0.06))) * (1 / (1 + np.exp(
        -(z - 0.2) / 0.1))) * (1 - w_root)
    w_eye = [0.9 * np.exp(-(np.linalg.norm(unit - a[0], axis=1) / 0.12)**2)
             for a in anchors[3:]]
    w_neck = np.clip(1 - w_root - w_jaw - w_eye[0] - w_eye[1], 0, None)
    weights = np.stack([w_root, w_neck, w_jaw] + w_eye, 1)
    weights /= weights.sum(1, keepdims=True)
    # landmarks: nearest front-facing face centroid to each layout point
    f0 = faces[0]
    cent = unit[f0].mean(1)
    cand = np.nonzero(cent[:, 2] > 0.3)[0]
    layout = _landmark_layout()
    dist = np.linalg.norm(cent[cand, None, :2] - layout[None], axis=2)
    lmk_faces = cand[dist.argmin(0)]
    os.makedirs(out_dir, exist_ok=True)
    model = dict(
        v_template=verts.astype(np.float64),
        f=f0.astype(np.uint32),
        shapedirs=np.concatenate([shapedirs, expr], 2),
        posedirs=posedirs,
        J_regressor=scipy.sparse.csc_matrix(jreg),
        weights=weights,
        kintree_table=np.array([[2**32 - 1, 0, 1, 1, 1], [0, 1, 2, 3, 4]],
                               np.int64))
    paths = dict(flame=osp.join(out_dir, 'generic_model.pkl'),
                 landmarks=osp.join(out_dir, 'landmark_embedding.npy'),
                 hierarchy=osp.join(out_dir, 'hierarchy.npz'))
    with open(paths['flame'], 'wb') as f:
        pickle.dump(model, f, protocol=2)
    np.save(paths['landmarks'], np.array(dict(
        full_lmk_faces_idx=lmk_faces[None].astype(np.int64),
        full_lmk_bary_coords=np.full((1, 68, 3), 1 / 3)), dtype=object),
            allow_pickle=True)
    sizes = [len(p) for p in parents]
    down, up = [], []
    for lvl in range(2):
        v_fine, v_coarse = sizes[lvl], sizes[lvl + 1]
        down.append(scipy.sparse.csr_matrix(
            (np.ones(v_coarse), (np.arange(v_coarse), np.arange(v_coarse))),
            shape=(v_coarse, v_fine)))
        par = parents[lvl]
        up.append(scipy.sparse.csr_matrix(
            (np.full(2 * v_fine, 0.5), (np.repeat(np.arange(v_fine), 2),
                                        par.reshape(-1))),
            shape=(v_fine, v_coarse)))
    hier_verts = [verts[:s] for s in sizes[:3]]
    save_hierarchy_npz(paths['hierarchy'], hier_verts, faces[:3], down, up)
    paths.update(write_standin_hair_model(out_dir, unit, seed))
    return paths


# ------------------------------------------------------------- rendering
def _bary_grid(res: int) -> np.ndarray:
    """All barycentric points ``(i, j, k) / res`` with ``i + j + k = res``."""
    pts = [(i, j, res - i - j) for i in range(res + 1)
           for j in range(res + 1 - i)]
    return np.array(pts, np.float32) / res


def identity_colours(rng, unit: np.ndarray) -> np.ndarray:
    """Per-vertex albedo ``(V, 3)`` in [0, 1] of one identity, from the
    canonical (unit-sphere) vertex positions: skin with smooth variation,
    hair on top and back, dark eyes and brows, coloured lips."""
    x, y, z = unit.T
    skin = rng.uniform([0.45, 0.3, 0.2], [0.95, 0.75, 0.6])
    col = skin + 0.08 * _smooth_fields(rng, unit, 1)[:, :, 0]
    hair_c = rng.uniform([0.05, 0.03, 0.02], [0.6, 0.45, 0.3])
    line = rng.uniform(0.35, 0.6)
    hair = 1 / (1 + np.exp(-((y - line) + 0.8 * np.clip(-z, 0, None)) /
                           0.04))
    col = col * (1 - hair[:, None]) + hair_c * hair[:, None]
    front = z > 0.4
    for cx in (-0.35, 0.35):
        eye = np.exp(-(((x - cx) / 0.1)**2 + ((y - 0.3) / 0.05)**2)) * front
        brow = np.exp(-(((x - cx) / 0.18)**2 + ((y - 0.45) / 0.03)**2)) * \
            front
        col = col * (1 - 0.85 * eye[:, None]) + 0.05 * eye[:, None]
        col = col * (1 - 0.6 * brow[:, None]) + hair_c * 0.6 * brow[:, None]
    lips = np.exp(-((x / 0.3)**2 + ((y + 0.42) / 0.07)**2)) * front
    lip_c = rng.uniform([0.55, 0.1, 0.15], [0.85, 0.3, 0.35])
    col = col * (1 - lips[:, None]) + lip_c * lips[:, None]
    return np.clip(col, 0, 1).astype(np.float32)


@torch.no_grad()
def render_head(points: torch.Tensor, verts: torch.Tensor,
                faces: torch.Tensor, colours: torch.Tensor,
                light: torch.Tensor, bg: torch.Tensor, size: int,
                density: int = 6) -> Tuple[np.ndarray, np.ndarray]:
    """Render one head.

    Args:
        points (Tensor): ``(N, 3)`` image-normalised ``(u, v, d)`` vertices.
        verts (Tensor): ``(N, 3)`` posed world vertices (for shading).
        faces (Tensor): ``(F, 3)``.
        colours (Tensor): ``(N, 3)`` albedo.
        light (Tensor): ``(3,)`` unit light direction (world, +z = towards
            the camera).
        bg (Tensor): ``(3,)`` background colour in [0, 1].
        size (int): Output side.
        density (int): Barycentric grid resolution per triangle.

    Returns:
        tuple: ``image (size, size, 3)`` uint8 RGB and ``mask (size, size)``
        uint8 in {0, 1}.
    """
    from mmhuman_ext.models.editors.cvthead.point_rasterizer import \
        PointZBufferRasterizer
    bary = torch.from_numpy(_bary_grid(density))  # (K, 3)
    tri_p, tri_v = points[faces], verts[faces]  # (F, 3, 3)
    normal = torch.cross(tri_v[:, 1] - tri_v[:, 0], tri_v[:, 2] - tri_v[:, 0],
                         dim=1)
    normal = normal / normal.norm(dim=1, keepdim=True).clamp_min(1e-12)
    front = normal[:, 2] > 0  # back-face culling (camera on +z)
    shade = (0.35 + 0.65 * (normal @ light).clamp_min(0))[front]  # (F',)
    dense = torch.einsum('kc,fcd->fkd', bary, tri_p[front]).reshape(-1, 3)
    albedo = torch.einsum('kc,fcd->fkd', bary, colours[faces[front]])
    rgb = (albedo * shade[:, None, None]).reshape(-1, 3)
    raster = PointZBufferRasterizer(size, cull=True)
    feat, depth = raster(dense[None], rgb[None])
    mask = (depth[0, 0] > -2).float()
    img = feat[0]
    # close pin holes left by the point sample
    closed = -F.max_pool2d(-F.max_pool2d(mask[None, None], 3, 1, 1), 3, 1,
                           1)[0, 0]
    for _ in range(2):
        hole = (closed > 0) & (mask == 0)
        num = F.avg_pool2d((img * mask)[None], 3, 1, 1)[0]
        den = F.avg_pool2d(mask[None, None], 3, 1, 1)[0]
        fill = hole & (den[0] > 0)
        img = torch.where(fill, num / den.clamp_min(1e-6), img)
        mask = torch.where(fill, torch.ones_like(mask), mask)
    out = img * mask + bg[:, None, None] * (1 - mask)
    image = (out.permute(1, 2, 0).clamp(0, 1) * 255).round().byte().numpy()
    return image, mask.byte().numpy()


def _random_codes(rng, n_exp: int = 50):
    """Expression ``(n_exp,)`` (first 10 components strong) and pose
    ``(6,)``: global pitch/yaw/roll and jaw opening."""
    exp = rng.standard_normal(n_exp) * np.concatenate(
        [np.full(10, 1.2), np.full(n_exp - 10, 0.3)])
    pose = np.zeros(6)
    pose[:3] = rng.uniform([-0.2, -0.5, -0.1], [0.2, 0.5, 0.1])
    pose[3] = rng.uniform(0, 0.3)
    return exp, pose


def write_synthetic_voxceleb(root: str, model_dir: str,
                             num_train_subjects: int = 6,
                             num_test_subjects: int = 2,
                             videos_per_subject: int = 2,
                             frames_per_video: int = 12,
                             frame_size: int = 256, seed: int = 0,
                             density: int = 6) -> None:
    """Render the videos into ``root`` (layout in
    :class:`~mmhuman_ext.datasets.VoxCelebReenactDataset`), using the head
    model files in ``model_dir``."""
    from mmhuman_ext.models.editors.cvthead.flame import FLAMELayer
    flame = FLAMELayer(osp.join(model_dir, 'generic_model.pkl'),
                       landmark_path=osp.join(model_dir,
                                              'landmark_embedding.npy'))
    unit = flame.v_template.numpy() / HEAD_RADII
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    hair = torch.load(osp.join(model_dir, HAIR_FILES['mean']),
                      weights_only=True)
    splits = dict(train={}, test={})
    num_subjects = num_train_subjects + num_test_subjects
    for sub in range(num_subjects):
        split = 'train' if sub < num_train_subjects else 'test'
        srng = np.random.default_rng([seed, 2, sub])
        shape = torch.from_numpy(srng.standard_normal(100)).float()[None]
        colours = torch.from_numpy(identity_colours(srng, unit))
        for vid in range(videos_per_subject):
            name = f'id{10001 + sub:05d}#synth{vid:02d}#{0:06d}#' \
                   f'{frames_per_video:06d}'
            vrng = np.random.default_rng([seed, 3, sub, vid])
            bg = torch.from_numpy(vrng.uniform(0, 1, 3)).float()
            light = torch.from_numpy(np.append(vrng.uniform(-0.6, 0.6, 2),
                                               1.0)).float()
            light = light / light.norm()
            s0 = vrng.uniform(7.0, 8.5)
            span = frame_size * vrng.uniform(0.85, 1.0)
            offset = (frame_size - span) / 2 + vrng.uniform(-6, 6, 2)
            tform0 = torch.tensor([[224 / span, 0, -224 / span * offset[0]],
                                   [0, 224 / span, -224 / span * offset[1]],
                                   [0, 0, 1]]).float()[None]
            codes = {k: [] for k in ('shape', 'exp', 'pose', 'cam', 'tform')}
            ldmks = {}
            for fid in range(frames_per_video):
                exp, pose = _random_codes(vrng)
                cam0 = torch.tensor([[s0, *vrng.uniform(-0.01, 0.01, 2)]
                                     ]).float()
                exp_t = torch.from_numpy(exp).float()[None]
                pose_t = torch.from_numpy(pose).float()[None]
                verts = flame(shape, exp_t, pose_t) + hair
                crop = ortho_project(verts, cam0)
                pts = crop_to_image(crop, tform0, (frame_size, frame_size))
                lmk = crop_to_image(ortho_project(flame.landmarks(verts),
                                                  cam0), tform0,
                                    (frame_size, frame_size))
                lmk_px = (lmk[0, :, :2] + 1) / 2 * frame_size
                tform = estimate_crop_tform(lmk_px[None])
                # vertices in the landmark crop -> DECA-style camera
                px = (pts[..., :2] + 1) / 2 * frame_size
                q = torch.cat([px, torch.ones_like(px[..., :1])], -1) @ \
                    tform.transpose(1, 2)
                cam, resid = fit_ortho_cam(verts, q[..., :2] / 224 * 2 - 1)
                if float(resid) > 1e-4:
                    raise RuntimeError(f'camera re-fit failed ({resid})')
                image, mask = render_head(pts[0], verts[0], flame.faces,
                                          colours, light, bg, frame_size,
                                          density)
                fdir = osp.join(root, 'frames', name)
                pdir = osp.join(root, 'parsing', name)
                os.makedirs(fdir, exist_ok=True)
                os.makedirs(pdir, exist_ok=True)
                cv2.imwrite(osp.join(fdir, f'{fid:05d}.png'), image[..., ::-1])
                cv2.imwrite(osp.join(pdir, f'{fid:05d}.png'), mask)
                ldmks[fid] = dict(ldmk=lmk_px.numpy().astype(np.float32))
                for k, v in (('shape', shape[0]), ('exp', exp_t[0]),
                             ('pose', pose_t[0]), ('cam', cam[0]),
                             ('tform', tform[0])):
                    codes[k].append(v.numpy())
            os.makedirs(osp.join(root, 'landmarks'), exist_ok=True)
            os.makedirs(osp.join(root, 'deca'), exist_ok=True)
            with open(osp.join(root, 'landmarks', f'{name}.pkl'), 'wb') as f:
                pickle.dump(ldmks, f, protocol=4)
            np.savez(osp.join(root, 'deca', f'{name}.npz'),
                     frame_ids=np.arange(frames_per_video),
                     **{k: np.stack(v).astype(np.float32)
                        for k, v in codes.items()})
            # one frame per video plays a failed face detection: not listed
            valid = [i for i in range(frames_per_video)
                     if i != frames_per_video // 2]
            splits[split][name] = valid
    for split, videos in splits.items():
        with open(osp.join(root, f'{split}_imgs.json'), 'w') as f:
            json.dump(videos, f, indent=1)


def ensure_synthetic_heads(root: Optional[str] = None,
                           subdivisions: int = 4,
                           num_train_subjects: int = 6,
                           num_test_subjects: int = 2,
                           videos_per_subject: int = 2,
                           frames_per_video: int = 12,
                           frame_size: int = 256, seed: int = 0) -> str:
    """Write the head model (``<root>/flame/``) and the videos (``<root>/``)
    once and return ``root``.

    ``root`` defaults to ``<cache>/synthetic/heads-v2-<hash of the
    arguments>`` (``<cache>``: ``$MMHUMAN_EXT_DATA`` or
    ``~/.cache/mmhuman_ext``). Files are written into a temporary folder and
    renamed in one step; a complete folder has a marker with the arguments
    and is re-used.
    """
    params = dict(version=VERSION, subdivisions=int(subdivisions),
                  num_train_subjects=int(num_train_subjects),
                  num_test_subjects=int(num_test_subjects),
                  videos_per_subject=int(videos_per_subject),
                  frames_per_video=int(frames_per_video),
                  frame_size=int(frame_size), seed=int(seed))

    def write(out):
        make_standin_head_model(osp.join(out, 'flame'), subdivisions, seed)
        write_synthetic_voxceleb(out, osp.join(out, 'flame'),
                                 num_train_subjects, num_test_subjects,
                                 videos_per_subject, frames_per_video,
                                 frame_size, seed)
    return ensure_generated(f'heads-{VERSION}', params, write, root)
