"""FLAME head model (Li et al. 2017) in the DECA convention, CVTHead Eq. 4.2.

``M(beta, phi, theta) = W(V_b + S beta + E phi + P(theta), theta)``: template
plus shape and expression blendshapes plus pose-corrective blendshapes, then
linear blend skinning over 5 joints (root/global, neck, jaw, left eye, right
eye). The paper's Eq. 4.2 omits the pose correctives; FLAME and DECA add them,
and so does this layer (``docs/cvthead.md``).

Written here because no OpenMMLab package has FLAME, and the public
implementations either need chumpy or ``pickle.load`` the model file. The
official file is read with :mod:`mmhuman_ext.utils.safe_pickle` (no code runs;
chumpy arrays are taken from their stored value).

Model file (``generic_model.pkl`` of FLAME 2020, or the generated stand-in,
same dict schema; ``.npz`` with the same keys is accepted too):

=================  =============  ==========================================
key                shape          meaning
=================  =============  ==========================================
``v_template``     (N, 3)         template vertices (metres)
``f``              (F, 3)         triangles
``shapedirs``      (N, 3, S)      S >= 300 + n_exp: 300 shape, then expression
``posedirs``       (N, 3, 9(J-1)) pose correctives, driven by R - I of joints
                                  1..J-1, each flattened row-major
``J_regressor``    (J, N)         dense or scipy.sparse
``weights``        (N, J)         skinning weights
``kintree_table``  (2, J)         row 0: parents (root's is any value)
=================  =============  ==========================================

Landmark embedding (DECA ``landmark_embedding.npy``, a pickled dict): the 68
landmarks are barycentric points ``full_lmk_faces_idx (1, 68)``,
``full_lmk_bary_coords (1, 68, 3)``.
"""
import os.path as osp
from typing import Dict, Optional

import numpy as np
import torch
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS
from mmhuman_ext.utils.safe_pickle import (safe_load_npy, safe_load_pickle,
                                           to_numpy)

FLAME_NUM_SHAPE_TOTAL = 300  # expression components start here in shapedirs

_WHERE = ('FLAME 2020 from https://flame.is.tue.mpg.de (registration '
          'required), or generate the stand-in with '
          '`python tools/dataset_converters/make_synthetic_heads.py`')


def _check(cond: bool, path: str, msg: str):
    if not cond:
        raise ValueError(f'FLAME model file {path}: {msg}')


def load_flame_model(path: str) -> Dict[str, np.ndarray]:
    """Read and validate a FLAME model file (pkl or npz), no code executed.

    Returns:
        dict: the seven arrays of the module docstring, float32 / int64, with
        ``J_regressor`` dense.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'FLAME model file {path} not found; get '
                                f'{_WHERE}')
    if path.endswith('.npz'):
        with np.load(path, allow_pickle=False) as z:
            raw = dict(z)
    else:
        raw = safe_load_pickle(path)
    _check(isinstance(raw, dict), path, 'expected a dict of arrays, got '
           f'{type(raw).__name__}')
    keys = ('v_template', 'f', 'shapedirs', 'posedirs', 'J_regressor',
            'weights', 'kintree_table')
    missing = [k for k in keys if k not in raw]
    _check(not missing, path, f'missing field(s) {missing}; expected the '
           f'FLAME layout {list(keys)}')
    out = {k: to_numpy(raw[k], path, k) for k in keys}
    v = out['v_template']
    _check(v.ndim == 2 and v.shape[1] == 3, path,
           f'v_template has shape {v.shape}, expected (N, 3)')
    n = v.shape[0]
    num_joints = out['kintree_table'].shape[-1]
    expect = dict(
        f=(None, 3), shapedirs=(n, 3, None), posedirs=(n, 3,
                                                       9 * (num_joints - 1)),
        J_regressor=(num_joints, n), weights=(n, num_joints),
        kintree_table=(2, num_joints))
    for k, shape in expect.items():
        arr = out[k]
        ok = arr.ndim == len(shape) and all(
            s is None or s == a for s, a in zip(shape, arr.shape))
        _check(ok, path, f'field {k!r} has shape {arr.shape}, expected '
               f'{tuple("*" if s is None else s for s in shape)} for '
               f'{n} vertices and {num_joints} joints')
    out['f'] = out['f'].astype(np.int64)
    out['kintree_table'] = out['kintree_table'].astype(np.int64)
    for k in ('v_template', 'shapedirs', 'posedirs', 'J_regressor',
              'weights'):
        out[k] = out[k].astype(np.float32)
    return out


def load_landmark_embedding(path: str, num_faces: int
                            ) -> Dict[str, np.ndarray]:
    """Read the 68-landmark barycentric embedding (DECA layout).

    Returns:
        dict: ``faces_idx (68,)`` int64 and ``bary (68, 3)`` float32.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'landmark embedding {path} not found; it ships with DECA '
            '(data/landmark_embedding.npy), or generate the stand-in with '
            '`python tools/dataset_converters/make_synthetic_heads.py`')
    raw = safe_load_npy(path)
    if not isinstance(raw, dict) or 'full_lmk_faces_idx' not in raw or \
            'full_lmk_bary_coords' not in raw:
        raise ValueError(f'landmark embedding {path}: expected a dict with '
                         "'full_lmk_faces_idx' (1, 68) and "
                         "'full_lmk_bary_coords' (1, 68, 3)")
    idx = to_numpy(raw['full_lmk_faces_idx']).reshape(-1).astype(np.int64)
    bary = to_numpy(raw['full_lmk_bary_coords']).reshape(-1, 3)
    if len(idx) != len(bary) or idx.max(initial=0) >= num_faces:
        raise ValueError(f'landmark embedding {path}: {len(idx)} face ids '
                         f'(max {idx.max(initial=0)}) and {len(bary)} '
                         f'barycentric rows do not fit a mesh of '
                         f'{num_faces} faces')
    return dict(faces_idx=idx, bary=bary.astype(np.float32))


def batch_rodrigues(rot_vecs: Tensor, eps: float = 1e-8) -> Tensor:
    """Axis-angle ``(..., 3)`` to rotation matrices ``(..., 3, 3)``."""
    angle = torch.linalg.norm(rot_vecs + eps, dim=-1, keepdim=True)
    axis = rot_vecs / angle
    sin, cos = torch.sin(angle)[..., None], torch.cos(angle)[..., None]
    x, y, z = axis.unbind(-1)
    zero = torch.zeros_like(x)
    k = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero],
                    dim=-1).reshape(*rot_vecs.shape[:-1], 3, 3)
    eye = torch.eye(3, dtype=rot_vecs.dtype, device=rot_vecs.device)
    return eye + sin * k + (1 - cos) * (k @ k)


@MODELS.register_module()
class FLAMELayer(nn.Module):
    """FLAME forward (no trainable parameters; all arrays are buffers that are
    not saved in checkpoints).

    Args:
        model_path (str): FLAME model file (see module docstring).
        n_shape (int): Shape components used (DECA: 100).
        n_exp (int): Expression components used (DECA: 50).
        landmark_path (str, optional): DECA-layout landmark embedding; needed
            only for :meth:`landmarks`.

    Inputs of :meth:`forward`: ``shape (B, n_shape)``, ``expression
    (B, n_exp)``, ``pose (B, 6)`` = global axis-angle (3) + jaw axis-angle
    (3); neck and eye rotations are zero (DECA). Output: vertices
    ``(B, N, 3)`` in model units (metres for FLAME).
    """

    def __init__(self, model_path: str, n_shape: int = 100, n_exp: int = 50,
                 landmark_path: Optional[str] = None):
        super().__init__()
        model = load_flame_model(model_path)
        num_dirs = model['shapedirs'].shape[2]
        if n_shape > FLAME_NUM_SHAPE_TOTAL or \
                num_dirs < FLAME_NUM_SHAPE_TOTAL + n_exp:
            raise ValueError(
                f'FLAME model file {model_path}: shapedirs has {num_dirs} '
                f'components; n_shape={n_shape} needs <= '
                f'{FLAME_NUM_SHAPE_TOTAL} and n_exp={n_exp} needs '
                f'>= {FLAME_NUM_SHAPE_TOTAL + n_exp} in total')
        num_joints = model['kintree_table'].shape[1]
        if num_joints != 5:
            raise ValueError(f'FLAME model file {model_path}: {num_joints} '
                             'joints, expected 5 (global, neck, jaw, eyes)')
        self.n_shape, self.n_exp = n_shape, n_exp
        dirs = np.concatenate([
            model['shapedirs'][:, :, :n_shape],
            model['shapedirs'][:, :, FLAME_NUM_SHAPE_TOTAL:
                               FLAME_NUM_SHAPE_TOTAL + n_exp]
        ], axis=2)
        parents = model['kintree_table'][0].copy()
        parents[0] = -1
        if any(parents[j] >= j for j in range(1, num_joints)):
            raise ValueError(f'FLAME model file {model_path}: kintree_table '
                             'must list parents before children')
        self.parents = parents.tolist()

        def buf(name, array):
            self.register_buffer(name, torch.as_tensor(array),
                                 persistent=False)

        buf('v_template', model['v_template'])
        buf('faces', model['f'])
        buf('blend_dirs', dirs)
        buf('posedirs', model['posedirs'].reshape(-1, 9 * (num_joints - 1)).T
            .copy())
        buf('J_regressor', model['J_regressor'])
        buf('lbs_weights', model['weights'])
        if landmark_path is not None:
            emb = load_landmark_embedding(landmark_path, len(model['f']))
            buf('lmk_faces_idx', emb['faces_idx'])
            buf('lmk_bary', emb['bary'])

    @property
    def num_vertices(self) -> int:
        return self.v_template.shape[0]

    def _check_codes(self, shape, expression, pose):
        for name, t, dim in (('shape', shape, self.n_shape),
                             ('expression', expression, self.n_exp),
                             ('pose', pose, 6)):
            if t.ndim != 2 or t.shape[1] != dim:
                raise ValueError(f'FLAMELayer: {name} code must be (B, {dim}),'
                                 f' got {tuple(t.shape)}')
        if not shape.shape[0] == expression.shape[0] == pose.shape[0]:
            raise ValueError('FLAMELayer: shape, expression and pose codes '
                             'have different batch sizes '
                             f'{shape.shape[0]}, {expression.shape[0]}, '
                             f'{pose.shape[0]}')

    def forward(self, shape: Tensor, expression: Tensor,
                pose: Tensor) -> Tensor:
        """Posed vertices ``(B, N, 3)``; see the class docstring."""
        self._check_codes(shape, expression, pose)
        b = shape.shape[0]
        codes = torch.cat([shape, expression], dim=1).to(self.v_template)
        v_shaped = self.v_template + torch.einsum('bl,nkl->bnk', codes,
                                                  self.blend_dirs)
        joints = torch.einsum('jn,bnk->bjk', self.J_regressor, v_shaped)
        zeros = pose.new_zeros(b, 3)
        full_pose = torch.stack([pose[:, :3], zeros, pose[:, 3:], zeros,
                                 zeros], dim=1).to(self.v_template)
        rot = batch_rodrigues(full_pose)  # (B, 5, 3, 3)
        eye = torch.eye(3, dtype=rot.dtype, device=rot.device)
        pose_feature = (rot[:, 1:] - eye).reshape(b, -1)
        v_posed = v_shaped + (pose_feature @ self.posedirs).view(b, -1, 3)

        # kinematic chain: world transform of every joint (5 joints)
        rel = joints.clone()
        rel[:, 1:] = joints[:, 1:] - joints[:, self.parents[1:]]
        local = torch.cat([
            torch.cat([rot, rel[..., None]], dim=3),
            rot.new_tensor([0, 0, 0, 1]).expand(b, len(self.parents), 1, 4)
        ], dim=2)
        world = [local[:, 0]]
        for j in range(1, len(self.parents)):
            world.append(world[self.parents[j]] @ local[:, j])
        world = torch.stack(world, dim=1)  # (B, J, 4, 4)
        # remove the rest-pose joint location: skinning acts on offsets
        t_rest = (world[..., :3, :3] @ joints[..., None])[..., 0]
        world = torch.cat([
            world[..., :3, :3],
            (world[..., :3, 3] - t_rest)[..., None]
        ], dim=3)  # (B, J, 3, 4)
        blend = torch.einsum('nj,bjxy->bnxy', self.lbs_weights, world)
        return (blend[..., :3] @ v_posed[..., None])[..., 0] + blend[..., 3]

    def landmarks(self, vertices: Tensor) -> Tensor:
        """68 landmarks ``(B, 68, 3)`` of vertices ``(B, N, 3)``."""
        if not hasattr(self, 'lmk_faces_idx'):
            raise RuntimeError('FLAMELayer was built without landmark_path')
        tri = self.faces[self.lmk_faces_idx]  # (68, 3)
        return (vertices[:, tri] * self.lmk_bary[None, :, :, None]).sum(2)
