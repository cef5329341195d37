"""Pipeline steps for multi-view samples (TransFusion, multi-view PPT).

A multi-view sample (``MultiViewH36MDataset`` and friends) is a dict with
``views``: a list of per-view dicts (``img_path``, ``keypoints`` (1, K, 2),
``keypoints_visible`` (1, K), ``bbox`` (1, 4) xyxy, ``camera``: our camera
dict, see :mod:`mmhuman_ext.geometry.camera`), plus sample-level
``keypoints_3d`` (K, 3) world mm and ids.

* :class:`ApplyToViews` runs an ordinary mmpose sub-pipeline on every view
  and keeps each view's camera exact: after every transform that moves
  pixels it composes that transform's 2x3 pixel map ``A`` into the view's
  intrinsics (``K <- [A; 0 0 1] K``) and into ``img_affine`` (original ->
  current pixels). Known pixel-moving transforms: mmpose ``TopdownAffine``
  (crop / resize / rotation; the matrix is rebuilt with mmpose's own
  ``get_warp_matrix`` / ``get_udp_warp_matrix`` from the values it used),
  ``RandomFlip`` (``x -> w - 1 - x`` / ``y -> h - 1 - y``) and
  :class:`CropImageRows`. Any other transform that changes the image size
  raises an error, since its pixel map is unknown. After a flip the
  keypoint *labels* are swapped by mmpose (``flip_indices``) while the
  camera stays geometric: world joint k projects onto transformed
  keypoint ``flip_indices[k]``.
* :class:`ComputeCameraRays` gives each view's token rays for the 3D PE.
* :class:`PackMultiViewPoseInputs` stacks the views into ``inputs``
  ``(V, 3, H, W)`` and a :class:`MultiViewPoseDataSample`.
"""
import copy
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform, Compose
from mmengine.structures import BaseDataElement
from mmpose.datasets.transforms import RandomFlip, TopdownAffine
from mmpose.structures.bbox import get_udp_warp_matrix, get_warp_matrix

from mmhuman_ext.geometry.camera import (affine_to_3x3, camera_from_toolbox,
                                         pixel_rays, token_centers)
from mmhuman_ext.registry import TRANSFORMS


class MultiViewPoseDataSample(BaseDataElement):
    """One multi-view sample.

    Data fields (stacked over the V views): ``gt_heatmaps`` (V, K, h, w),
    ``keypoint_weights`` (V, K), ``ray_dirs`` (V, L, 3) and
    ``cam_centers`` (V, 3); after prediction ``pred_keypoints`` (V, K, 2)
    original pixels, ``pred_keypoints_input`` (V, K, 2) crop pixels and
    ``pred_scores`` (V, K). Metainfo: see :class:`PackMultiViewPoseInputs`.
    """


def _sample_name(results: dict) -> str:
    return str(results.get('sample_key', results.get('sample_idx', '?')))


@TRANSFORMS.register_module()
class CropImageRows(BaseTransform):
    """Keep the first ``max_rows`` rows of the image (Human3.6M frames of
    1002 rows -> 1000, as the official code does). Pixel coordinates do not
    change, so keypoints and camera stay as they are.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``.
    """

    def __init__(self, max_rows: int = 1000):
        self.max_rows = max_rows

    def transform(self, results: dict) -> dict:
        results['img'] = results['img'][:self.max_rows]
        results['img_shape'] = results['img'].shape[:2]
        return results


def _flip_matrix(direction: str, h: int, w: int) -> np.ndarray:
    fx = direction in ('horizontal', 'diagonal')
    fy = direction in ('vertical', 'diagonal')
    return np.array([[-1. if fx else 1., 0., w - 1. if fx else 0.],
                     [0., -1. if fy else 1., h - 1. if fy else 0.]])


def _pixel_map(transform, before: dict, after: dict) -> Optional[np.ndarray]:
    """2x3 map of old to new pixels, None if pixels did not move."""
    if isinstance(transform, TopdownAffine):
        rot = after['bbox_rotation'][0] if 'bbox_rotation' in after else 0.
        fn = get_udp_warp_matrix if transform.use_udp else get_warp_matrix
        w, h = transform.input_size
        return fn(after['input_center'], after['input_scale'], rot,
                  output_size=(w, h)).astype(np.float64)
    if isinstance(transform, RandomFlip):
        if not after.get('flip', False):
            return None
        h, w = before['img_shape']
        return _flip_matrix(after['flip_direction'], h, w)
    if isinstance(transform, CropImageRows):
        return None
    old = before.get('img_shape')
    new = after['img'].shape[:2] if 'img' in after else old
    if old is not None and tuple(new) != tuple(old):
        raise ValueError(
            f'{type(transform).__name__} changed the image size from {old} '
            f'to {new}, but ApplyToViews does not know how it maps pixels, '
            'so the view camera would be wrong; use TopdownAffine / '
            'RandomFlip / CropImageRows for geometric changes')
    return None


@TRANSFORMS.register_module()
class ApplyToViews(BaseTransform):
    """Run ``transforms`` on each view and keep the cameras exact.

    Each view dict is merged with the sample-level keys (dataset metainfo
    such as ``flip_indices``) before the sub-pipeline runs. On entry the
    view's ``camera`` (toolbox or our layout) is checked (errors name the
    sample, the view and the field) and copied to ``camera_orig``;
    ``img_affine`` starts as the identity. See the module docstring.

    Args:
        transforms (list[dict]): The per-view sub-pipeline.
    """

    def __init__(self, transforms: List[dict]):
        self.transforms = Compose(transforms).transforms

    def _run_view(self, view: dict, where: str) -> dict:
        cam = camera_from_toolbox(view.get('camera'), where)
        view['camera'] = cam
        view['camera_orig'] = copy.deepcopy(cam)
        view['img_affine'] = np.eye(3)[:2]
        for t in self.transforms:
            img = view.get('img')
            before = dict(img_shape=None if img is None else img.shape[:2])
            out = t(view)
            if out is None:
                raise ValueError(f'{where}: {type(t).__name__} dropped the '
                                 'view; multi-view samples need every view')
            view = out
            A = _pixel_map(t, before, view)
            if A is not None:
                A3 = affine_to_3x3(A)
                view['camera']['K'] = A3 @ view['camera']['K']
                view['img_affine'] = (A3 @ affine_to_3x3(
                    view['img_affine']))[:2]
        return view

    def transform(self, results: dict) -> dict:
        views = results.get('views')
        if not views:
            raise ValueError(f'sample {_sample_name(results)}: no "views" '
                             'list; ApplyToViews needs a multi-view dataset')
        shared = {k: v for k, v in results.items() if k != 'views'}
        results['views'] = [
            self._run_view(
                {**copy.deepcopy(shared), **view},
                f'sample {_sample_name(results)} view {i}')
            for i, view in enumerate(views)
        ]
        return results


@TRANSFORMS.register_module()
class ComputeCameraRays(BaseTransform):
    """Unit world rays of the token centres of the network input.

    For a ``(W, H)`` input and token ``stride`` s, token ``n = i * (W/s) + j``
    sits at crop pixel ``(s j + s/2 - 0.5, s i + s/2 - 0.5)``;
    its ray is ``normalise(R^T K^-1 (u, v, 1))`` with the view's *current*
    intrinsics ``K`` (which already hold the crop affine, so this equals
    mapping the pixel back to the original image first). Lens distortion
    is ignored (official code).

    Required keys: ``camera``, ``input_size``. Added keys: ``ray_dirs``
    (L, 3) float32, ``cam_center`` (3,) float32.

    Args:
        stride (int): Input pixels per token: 8 for TransFusion, 16 for
            multi-view PPT (4x4 patches of a stride-4 feature map).
    """

    def __init__(self, stride: int):
        self.stride = stride

    def transform(self, results: dict) -> dict:
        w, h = results['input_size']
        if w % self.stride or h % self.stride:
            raise ValueError(f'input size {(w, h)} is not divisible by the '
                             f'token stride {self.stride}')
        cam = {k: torch.as_tensor(v) for k, v in results['camera'].items()}
        pix = token_centers(h // self.stride, w // self.stride, self.stride)
        results['ray_dirs'] = pixel_rays(pix, cam).numpy().astype(np.float32)
        results['cam_center'] = np.asarray(results['camera']['T'],
                                           np.float32).reshape(3)
        return results


@TRANSFORMS.register_module()
class PackMultiViewPoseInputs(BaseTransform):
    """Stack the views into ``inputs`` ``(V, 3, H, W)`` uint8 and a
    :class:`MultiViewPoseDataSample`.

    Data fields when present in every view: ``gt_heatmaps`` (from
    ``heatmaps``), ``keypoint_weights``, ``ray_dirs``, ``cam_centers``.
    Metainfo: ``sample_key``, ``img_paths``, ``img_affine`` (V, 2, 3),
    ``cameras`` (original cameras, each field stacked to (V, ...)),
    ``keypoints_2d`` (V, K, 2) original pixels, ``keypoints_input``
    (V, K, 2) crop pixels, ``keypoints_visible`` (V, K), ``input_size``,
    ``keypoints_occluded`` (V, K) when the views have it,
    plus the sample keys in ``meta_keys`` that exist (``keypoints_3d``
    world mm, ``subject``, ``action``, ...).

    Raises a ``ValueError`` naming the sample and view when the views'
    input images differ in size.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('sample_idx', 'keypoints_3d',
                                             'subject', 'action',
                                             'action_name', 'subaction',
                                             'image_id', 'video_id')):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        views = results['views']
        name = _sample_name(results)
        shapes = [v['img'].shape for v in views]
        if len(set(shapes)) > 1:
            sizes = ', '.join(f'view {i}: {s}' for i, s in enumerate(shapes))
            raise ValueError(
                f'sample {name}: views have different input sizes {sizes}; '
                'every view needs the same TopdownAffine input_size')
        imgs = np.stack([v['img'] for v in views])
        if imgs.ndim == 3:
            imgs = imgs[..., None]
        inputs = torch.from_numpy(
            np.ascontiguousarray(imgs.transpose(0, 3, 1, 2)))
        sample = MultiViewPoseDataSample()
        for src, dst in (('heatmaps', 'gt_heatmaps'),
                         ('keypoint_weights', 'keypoint_weights'),
                         ('ray_dirs', 'ray_dirs'),
                         ('cam_center', 'cam_centers')):
            if all(src in v for v in views):
                arr = np.stack([np.asarray(v[src]) for v in views])
                if src == 'keypoint_weights':
                    arr = arr.reshape(len(views), -1)
                sample.set_field(torch.from_numpy(arr.astype(np.float32)),
                                 dst)
        meta = dict(
            sample_key=name,
            img_paths=[v.get('img_path') for v in views],
            img_affine=np.stack([v['img_affine'] for v in views]),
            cameras={
                k: np.stack([v['camera_orig'][k] for v in views])
                for k in views[0]['camera_orig']
            },
            keypoints_2d=np.stack([v['keypoints'][0] for v in views]),
            keypoints_visible=np.stack(
                [np.asarray(v['keypoints_visible']).reshape(-1)
                 for v in views]),
            input_size=views[0].get('input_size'))
        if all('keypoints_occluded' in v for v in views):
            meta['keypoints_occluded'] = np.stack(
                [v['keypoints_occluded'] for v in views])
        if all('transformed_keypoints' in v for v in views):
            meta['keypoints_input'] = np.stack(
                [v['transformed_keypoints'][0] for v in views])
        meta.update({k: results[k] for k in self.meta_keys if k in results})
        sample.set_metainfo(meta)
        return dict(inputs=inputs, data_samples=sample)
