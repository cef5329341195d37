"""Mesh hierarchy for CVTHead: coarse vertex subsets, up-sampling weights and
spiral neighbourhoods (spec §2.7).

Levels ``0`` (full mesh, 5023 for FLAME) ``-> 1`` (1256) ``-> 2`` (314). The
down-transform ``D_l (V_{l+1} x V_l)`` selects vertices; the up-transform
``U_l (V_l x V_{l+1})`` gives every fine vertex a convex combination of at most
a few coarse vertices. Both are stored as padded gathers (``index``
``(V_out, K)``, ``weight (V_out, K)``), so applying them is one gather and a
weighted sum: deterministic on every device, no sparse kernels, no
``torch_scatter``.

Spirals (SpiralNet++): for level ``l``, ``(V_l, 9)`` vertex ids: the vertex,
then its 1-ring, then its 2-ring, cut at 9. Inside a ring, vertices are ordered
by angle around the vertex normal, starting nearest the template's +y
direction projected onto the tangent plane [A]: any deterministic order
trains from scratch (spec §2.7), but the official checkpoint's openmesh
circulation order is not reproduced. Vertices whose rings hold fewer than 9
vertices (open boundaries) use their 9 nearest template vertices instead.

File formats read by :class:`MeshHierarchy`:

* ``.npz`` written by :func:`save_hierarchy_npz` (this project; holds the
  spirals, so they are computed once): ``num_levels``, ``vertices_{l}``,
  ``faces_{l}``, ``down_index_{l}``/``down_weight_{l}``,
  ``up_index_{l}``/``up_weight_{l}``, ``spiral_{l}``;
* ``.pkl`` in the CoMA layout of the CVTHead repository's ``transform.pkl``
  (dict of ``vertices``, ``face``, ``down_transform``, ``up_transform`` lists,
  scipy.sparse matrices), read without executing code; spirals are computed
  on load.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import scipy.sparse
import torch
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS
from mmhuman_ext.utils.safe_pickle import safe_load_pickle, to_numpy


def sparse_to_gather(mat) -> Tuple[np.ndarray, np.ndarray]:
    """``(V_out, V_in)`` sparse matrix -> padded ``index``/``weight``
    ``(V_out, K)`` with ``K`` = the most non-zeros in a row (padding: index 0,
    weight 0)."""
    mat = scipy.sparse.csr_matrix(mat)
    counts = np.diff(mat.indptr)
    k = max(int(counts.max(initial=0)), 1)
    index = np.zeros((mat.shape[0], k), np.int64)
    weight = np.zeros((mat.shape[0], k), np.float32)
    slot = np.arange(mat.nnz) - np.repeat(mat.indptr[:-1], counts)
    rows = np.repeat(np.arange(mat.shape[0]), counts)
    index[rows, slot] = mat.indices
    weight[rows, slot] = mat.data
    return index, weight


def _vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    tri = vertices[faces]
    fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normals = np.zeros_like(vertices)
    for c in range(3):
        np.add.at(normals, faces[:, c], fn)
    return normals / np.maximum(np.linalg.norm(normals, axis=1,
                                               keepdims=True), 1e-12)


def compute_spirals(vertices: np.ndarray, faces: np.ndarray,
                    seq_length: int = 9) -> np.ndarray:
    """Spiral indices ``(V, seq_length)`` (see the module docstring).

    Args:
        vertices (np.ndarray): ``(V, 3)`` template positions.
        faces (np.ndarray): ``(F, 3)`` triangles.
        seq_length (int): Spiral length. Defaults to 9.
    """
    vertices = np.asarray(vertices, np.float32).astype(np.float64)
    num = len(vertices)
    neighbours = [set() for _ in range(num)]
    for a, b, c in faces:
        neighbours[a].update((b, c))
        neighbours[b].update((a, c))
        neighbours[c].update((a, b))
    normals = _vertex_normals(vertices, faces)
    up = np.array([0., 1., 0.])
    spirals = np.zeros((num, seq_length), np.int64)
    for v in range(num):
        n = normals[v]
        ref = up - n * (up @ n)
        if np.linalg.norm(ref) < 1e-6:
            ref = np.array([1., 0., 0.]) - n * n[0]
        ref /= np.linalg.norm(ref)
        side = np.cross(n, ref)
        seen, spiral, ring = {v}, [v], [v]
        while len(spiral) < seq_length:
            nxt = sorted({u for r in ring for u in neighbours[r]} - seen)
            if not nxt:
                break
            d = vertices[nxt] - vertices[v]
            # rounded so that float32/float64 copies of a mesh agree
            angle = np.round(np.arctan2(d @ side, d @ ref), 4)
            order = np.lexsort((np.array(nxt), angle))
            ring = [nxt[i] for i in order]
            seen.update(ring)
            spiral.extend(ring)
        if len(spiral) < seq_length:
            dist = np.linalg.norm(vertices - vertices[v], axis=1)
            spiral = np.lexsort((np.arange(num), dist))[:seq_length]
        spirals[v] = spiral[:seq_length]
    return spirals


def save_hierarchy_npz(path: str, vertices: Sequence[np.ndarray],
                       faces: Sequence[np.ndarray], down: Sequence,
                       up: Sequence, seq_length: int = 9) -> None:
    """Write a hierarchy (levels ``0..L``; ``L`` down and up matrices) with
    spirals for levels ``0..L-1``."""
    arrays = dict(num_levels=np.int64(len(down)))
    for lvl, (v, f) in enumerate(zip(vertices, faces)):
        arrays[f'vertices_{lvl}'] = np.asarray(v, np.float32)
        arrays[f'faces_{lvl}'] = np.asarray(f, np.int64)
    for lvl in range(len(down)):
        arrays[f'down_index_{lvl}'], arrays[f'down_weight_{lvl}'] = \
            sparse_to_gather(down[lvl])
        arrays[f'up_index_{lvl}'], arrays[f'up_weight_{lvl}'] = \
            sparse_to_gather(up[lvl])
        arrays[f'spiral_{lvl}'] = compute_spirals(vertices[lvl], faces[lvl],
                                                  seq_length)
    np.savez(path, **arrays)


def _load_arrays(path: str, levels: int) -> Dict[str, np.ndarray]:
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'mesh hierarchy {path} not found; for FLAME use the CVTHead '
            "repository's data/transform.pkl, for the stand-in head run "
            '`python tools/dataset_converters/make_synthetic_heads.py`')
    if path.endswith('.npz'):
        with np.load(path, allow_pickle=False) as z:
            arrays = dict(z)
        if int(arrays.get('num_levels', 0)) < levels:
            raise ValueError(f'mesh hierarchy {path}: needs {levels} levels, '
                             f'file has {int(arrays.get("num_levels", 0))}')
        return arrays
    raw = safe_load_pickle(path)
    need = ('vertices', 'face', 'down_transform', 'up_transform')
    if not isinstance(raw, dict) or any(k not in raw for k in need):
        raise ValueError(f'mesh hierarchy {path}: expected a CoMA dict with '
                         f'keys {list(need)}')
    if len(raw['down_transform']) < levels:
        raise ValueError(f'mesh hierarchy {path}: needs {levels} levels, file '
                         f'has {len(raw["down_transform"])}')
    arrays = {}
    for lvl in range(levels + 1):
        arrays[f'vertices_{lvl}'] = to_numpy(raw['vertices'][lvl]).astype(
            np.float32)
        arrays[f'faces_{lvl}'] = to_numpy(raw['face'][lvl]).astype(np.int64)
    for lvl in range(levels):
        arrays[f'down_index_{lvl}'], arrays[f'down_weight_{lvl}'] = \
            sparse_to_gather(raw['down_transform'][lvl])
        arrays[f'up_index_{lvl}'], arrays[f'up_weight_{lvl}'] = \
            sparse_to_gather(raw['up_transform'][lvl])
        arrays[f'spiral_{lvl}'] = compute_spirals(arrays[f'vertices_{lvl}'],
                                                  arrays[f'faces_{lvl}'])
    return arrays


@MODELS.register_module()
class MeshHierarchy(nn.Module):
    """Buffers of a mesh hierarchy (no parameters, not saved in checkpoints).

    Args:
        path (str): ``.npz`` or CoMA ``.pkl`` file (module docstring).
        levels (int): Number of down-sampling steps used. Defaults to 2
            (5023 -> 1256 -> 314).
        synthetic_cfg (dict, optional): demo only, as in
            :class:`~mmhuman_ext.models.layers.flame.FLAMELayer`.

    Attributes:
        num_vertices (list[int]): ``V_0 .. V_levels``.
    """

    def __init__(self, path: str, levels: int = 2,
                 synthetic_cfg: Optional[dict] = None):
        super().__init__()
        if synthetic_cfg is not None and not osp.exists(path):
            from mmhuman_ext.datasets.synthetic.heads import \
                ensure_synthetic_heads
            ensure_synthetic_heads(**synthetic_cfg)
        arrays = _load_arrays(path, levels)
        self.levels = levels
        self.num_vertices: List[int] = [
            len(arrays[f'vertices_{lvl}']) for lvl in range(levels + 1)
        ]
        for lvl in range(levels):
            for key in ('down_index', 'down_weight', 'up_index', 'up_weight',
                        'spiral'):
                self.register_buffer(f'{key}_{lvl}',
                                     torch.as_tensor(arrays[f'{key}_{lvl}']),
                                     persistent=False)
            v_in, v_out = self.num_vertices[lvl], self.num_vertices[lvl + 1]
            checks = ((f'down_index_{lvl}', v_out, v_in),
                      (f'up_index_{lvl}', v_in, v_out),
                      (f'spiral_{lvl}', v_in, v_in))
            for key, rows, bound in checks:
                t = getattr(self, key)
                if t.shape[0] != rows or int(t.max()) >= bound:
                    raise ValueError(
                        f'mesh hierarchy {path}: {key} has {t.shape[0]} rows '
                        f'and max index {int(t.max())}; expected {rows} rows '
                        f'indexing {bound} vertices')

    def spirals(self, level: int) -> Tensor:
        """``(V_level, 9)`` spiral indices."""
        return getattr(self, f'spiral_{level}')

    @staticmethod
    def _gather_mix(x: Tensor, index: Tensor, weight: Tensor) -> Tensor:
        return (x[:, index] * weight[None, :, :, None].to(x)).sum(2)

    def down(self, x: Tensor, level: int) -> Tensor:
        """``(B, V_level, C) -> (B, V_{level+1}, C)``."""
        return self._gather_mix(x, getattr(self, f'down_index_{level}'),
                           getattr(self, f'down_weight_{level}'))

    def up(self, x: Tensor, level: int) -> Tensor:
        """``(B, V_{level+1}, C) -> (B, V_level, C)``."""
        return self._gather_mix(x, getattr(self, f'up_index_{level}'),
                           getattr(self, f'up_weight_{level}'))

    def to_coarsest(self, x: Tensor) -> Tensor:
        """``(B, V_0, C) -> (B, V_levels, C)`` through all down-transforms."""
        for lvl in range(self.levels):
            x = self.down(x, lvl)
        return x
