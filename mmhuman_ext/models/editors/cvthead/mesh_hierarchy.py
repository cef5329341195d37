"""Mesh hierarchy for CVTHead: coarse vertex subsets, up-sampling weights and
spiral neighbourhoods (SpiralNet++ decoder, thesis Sec. 4.5.1).

Levels ``0`` (full mesh, 5023 for FLAME) ``-> 1`` (1256) ``-> 2`` (314). The
down-transform ``D_l (V_{l+1} x V_l)`` selects vertices; the up-transform
``U_l (V_l x V_{l+1})`` gives every fine vertex a convex combination of at most
a few coarse vertices. Both are stored as padded gathers (``index``
``(V_out, K)``, ``weight (V_out, K)``), so applying them is one gather and a
weighted sum: deterministic on every device, no sparse kernels, no
``torch_scatter``.

Spirals (SpiralNet++): for level ``l``, ``(V_l, 9)`` vertex ids: the vertex,
then its 1-ring, then its 2-ring, cut at 9. Vertices whose rings hold fewer
than 9 vertices use their 9 nearest template vertices instead. Two orders
inside the rings (``spiral_order``):

* ``'openmesh'``: the order of the official CVTHead code, which circulates
  an OpenMesh ``TriMesh`` built from the level's face list
  (:func:`openmesh_spirals` replays OpenMesh's halfedge construction in
  Python, so the official ``transform.pkl`` gives the official spirals and
  converted official weights give the official outputs; openmesh itself is
  not needed);
* ``'angle'``: each ring sorted by angle around the vertex normal, starting
  nearest the template's +y direction; independent of the face order, for
  meshes made here.

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
from mmhuman_ext.utils.atomic_io import atomic_savez
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


class _HalfedgeMesh:
    """The halfedge connectivity OpenMesh builds for a triangle list added
    face by face (``PolyConnectivity::add_face``: halfedge pairs ``2e``,
    ``2e + 1`` per new edge, boundary loops linked as faces arrive, patch
    re-linking, each vertex's outgoing halfedge kept on the boundary).
    Faces OpenMesh refuses (complex vertex or edge) are skipped, as it does.
    """

    def __init__(self, num_vertices: int, faces: np.ndarray):
        self.to: List[int] = []
        self.next: List[int] = []
        self.prev: List[int] = []
        self.face: List[int] = []
        self.out = [-1] * num_vertices  # outgoing halfedge per vertex
        self.num_faces = 0
        for f in np.asarray(faces, np.int64).tolist():
            self._add_face(f)

    def _new_edge(self, a: int, b: int) -> int:
        h = len(self.to)
        self.to += [b, a]
        self.next += [-1, -1]
        self.prev += [-1, -1]
        self.face += [-1, -1]
        return h

    def _set_next(self, h: int, n: int) -> None:
        self.next[h] = n
        self.prev[n] = h

    def _boundary_vertex(self, v: int) -> bool:
        h = self.out[v]
        return h < 0 or self.face[h] < 0

    def outgoing(self, v: int) -> List[int]:
        """Outgoing halfedges of ``v`` in OpenMesh's (clockwise) circulator
        order, from ``v``'s halfedge handle."""
        start = self.out[v]
        if start < 0:
            return []
        result, h = [], start
        while True:
            result.append(h)
            h = self.next[h ^ 1]
            if h == start or h < 0:
                return result

    def ring(self, v: int) -> List[int]:
        """``mesh.vv(v)``: the 1-ring vertex ids."""
        return [self.to[h] for h in self.outgoing(v)]

    def _find(self, a: int, b: int) -> int:
        for h in self.outgoing(a):
            if self.to[h] == b:
                return h
        return -1

    def _adjust_outgoing(self, v: int) -> None:
        for h in self.outgoing(v):
            if self.face[h] < 0:
                self.out[v] = h
                return

    def _add_face(self, verts: List[int]) -> None:
        n = len(verts)
        hes, is_new = [], []
        for i in range(n):
            if not self._boundary_vertex(verts[i]):
                return  # complex vertex
            h = self._find(verts[i], verts[(i + 1) % n])
            if h >= 0 and self.face[h] >= 0:
                return  # complex edge
            hes.append(h)
            is_new.append(h < 0)
        needs_adjust = [False] * n
        cache = []
        for i in range(n):
            ii = (i + 1) % n
            if is_new[i] or is_new[ii]:
                continue
            inner_prev, inner_next = hes[i], hes[ii]
            if self.next[inner_prev] == inner_next:
                continue
            # re-link the patch between the two old edges into a free gap
            outer_prev = inner_next ^ 1
            boundary_prev = outer_prev
            while True:
                boundary_prev = self.next[boundary_prev] ^ 1
                if self.face[boundary_prev] < 0:
                    break
            boundary_next = self.next[boundary_prev]
            if boundary_prev == inner_prev:
                return  # patch re-linking failed
            patch_start = self.next[inner_prev]
            patch_end = self.prev[inner_next]
            cache += [(boundary_prev, patch_start), (patch_end, boundary_next),
                      (inner_prev, inner_next)]
        for i in range(n):
            if is_new[i]:
                hes[i] = self._new_edge(verts[i], verts[(i + 1) % n])
        fid = self.num_faces
        self.num_faces += 1
        for i in range(n):
            ii = (i + 1) % n
            v = verts[ii]
            inner_prev, inner_next = hes[i], hes[ii]
            kind = int(is_new[i]) | 2 * int(is_new[ii])
            if kind:
                outer_prev, outer_next = inner_next ^ 1, inner_prev ^ 1
                if kind == 1:  # prev new, next old
                    cache.append((self.prev[inner_next], outer_next))
                    self.out[v] = outer_next
                elif kind == 2:  # next new, prev old
                    boundary_next = self.next[inner_prev]
                    cache.append((outer_prev, boundary_next))
                    self.out[v] = boundary_next
                elif self.out[v] < 0:  # both new, isolated vertex
                    self.out[v] = outer_next
                    cache.append((outer_prev, outer_next))
                else:  # both new, vertex already on a boundary
                    boundary_next = self.out[v]
                    cache += [(self.prev[boundary_next], outer_next),
                              (outer_prev, boundary_next)]
                cache.append((inner_prev, inner_next))
            else:
                needs_adjust[ii] = self.out[v] == inner_next
            self.face[hes[i]] = fid
        for h, nxt in cache:
            self._set_next(h, nxt)
        for i in range(n):
            if needs_adjust[i]:
                self._adjust_outgoing(verts[i])


def _nearest(vertices: np.ndarray, v: int, count: int) -> List[int]:
    dist = np.linalg.norm(vertices - vertices[v], axis=1)
    return np.lexsort((np.arange(len(vertices)), dist))[:count].tolist()


def openmesh_spirals(vertices: np.ndarray, faces: np.ndarray,
                     seq_length: int = 9) -> np.ndarray:
    """Spiral indices ``(V, seq_length)`` in the official CVTHead order:
    the vertex, its 1-ring as OpenMesh circulates it, then each next ring
    collected by walking the previous ring's vertices and, around each,
    first the neighbours after the last previous-ring vertex met, then those
    before the first one; the last ring is cut at ``seq_length``. A vertex
    whose rings run out first uses its ``seq_length`` nearest vertices.

    Args:
        vertices (np.ndarray): ``(V, 3)`` template positions.
        faces (np.ndarray): ``(F, 3)`` triangles, in the file's order (the
            order decides OpenMesh's circulation start).
    """
    vertices = np.asarray(vertices, np.float64)
    mesh = _HalfedgeMesh(len(vertices), faces)
    rings = [mesh.ring(v) for v in range(len(vertices))]

    def next_ring(last: List[int], taken: set) -> List[int]:
        last_set, found = set(last), []
        for a in last:
            around = rings[a]
            cut = next((i for i, b in enumerate(around) if b in last_set),
                       len(around))
            # after the last previous-ring vertex, then up to the first one
            after = [b for i, b in enumerate(around)
                     if any(c in last_set for c in around[:i])]
            for b in after + around[:cut]:
                if b not in last_set and b not in taken and b not in found:
                    found.append(b)
        return found

    spirals = np.zeros((len(vertices), seq_length), np.int64)
    for v in range(len(vertices)):
        spiral = [v]
        last = list(rings[v])
        nxt = next_ring(last, set(spiral))
        spiral += last
        while len(spiral) + len(nxt) < seq_length:
            if not nxt:
                break
            last = nxt
            nxt = next_ring(last, set(spiral))
            spiral += last
        if nxt:
            spiral += nxt
        else:
            spiral = _nearest(vertices, v, seq_length)
        spirals[v] = spiral[:seq_length]
    return spirals


SPIRAL_ORDERS = {'angle': compute_spirals, 'openmesh': openmesh_spirals}


def save_hierarchy_npz(path: str, vertices: Sequence[np.ndarray],
                       faces: Sequence[np.ndarray], down: Sequence,
                       up: Sequence, seq_length: int = 9,
                       spiral_order: str = 'angle') -> None:
    """Write a hierarchy (levels ``0..L``; ``L`` down and up matrices) with
    spirals for levels ``0..L-1`` in ``spiral_order`` (module docstring)."""
    spirals = _spiral_fn(spiral_order)
    arrays = dict(num_levels=np.int64(len(down)))
    for lvl, (v, f) in enumerate(zip(vertices, faces)):
        arrays[f'vertices_{lvl}'] = np.asarray(v, np.float32)
        arrays[f'faces_{lvl}'] = np.asarray(f, np.int64)
    for lvl in range(len(down)):
        arrays[f'down_index_{lvl}'], arrays[f'down_weight_{lvl}'] = \
            sparse_to_gather(down[lvl])
        arrays[f'up_index_{lvl}'], arrays[f'up_weight_{lvl}'] = \
            sparse_to_gather(up[lvl])
        arrays[f'spiral_{lvl}'] = spirals(vertices[lvl], faces[lvl],
                                          seq_length)
    arrays['spiral_order'] = np.array(spiral_order)
    atomic_savez(path, **arrays)


def _spiral_fn(order: str):
    if order not in SPIRAL_ORDERS:
        raise ValueError(f'spiral_order must be one of {list(SPIRAL_ORDERS)}'
                         f', got {order!r}')
    return SPIRAL_ORDERS[order]


def _load_arrays(path: str, levels: int,
                 spiral_order: Optional[str]) -> Dict[str, np.ndarray]:
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
        stored = str(arrays.get('spiral_order', 'angle'))
        if spiral_order is not None and spiral_order != stored:
            for lvl in range(levels):
                arrays[f'spiral_{lvl}'] = _spiral_fn(spiral_order)(
                    arrays[f'vertices_{lvl}'], arrays[f'faces_{lvl}'])
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
        arrays[f'spiral_{lvl}'] = _spiral_fn(spiral_order or 'openmesh')(
            arrays[f'vertices_{lvl}'], arrays[f'faces_{lvl}'])
    return arrays


@MODELS.register_module()
class MeshHierarchy(nn.Module):
    """Buffers of a mesh hierarchy (no parameters, not saved in checkpoints).

    Args:
        path (str): ``.npz`` or CoMA ``.pkl`` file (module docstring).
        levels (int): Number of down-sampling steps used. Defaults to 2
            (5023 -> 1256 -> 314).
        spiral_order (str, optional): ``'openmesh'`` or ``'angle'`` (module
            docstring). None: the order stored in an ``.npz``, the official
            ``'openmesh'`` order for a CoMA ``.pkl``.

    Attributes:
        num_vertices (list[int]): ``V_0 .. V_levels``.
    """

    def __init__(self, path: str, levels: int = 2,
                 spiral_order: Optional[str] = None):
        super().__init__()
        arrays = _load_arrays(path, levels, spiral_order)
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
