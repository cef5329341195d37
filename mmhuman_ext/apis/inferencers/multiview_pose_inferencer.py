"""Multi-view 2D pose + triangulated 3D from calibrated cameras
(TransFusion, multi-view PPT), in mmengine's ``BaseInferencer`` style.

    from mmhuman_ext.apis.inferencers import MultiViewPoseInferencer

    inferencer = MultiViewPoseInferencer(
        'configs/transfusion/transfusion_4xb4-20e_h36m-256x256.py', 'tf.pth')
    # one instant: V pictures; or V synchronised videos; or V folders
    result = inferencer(['cam0.jpg', 'cam1.jpg', 'cam2.jpg', 'cam3.jpg'],
                        cameras='cameras.json', out_dir='outputs/')

The views go through the config's test pipeline (without the target
generation, as there is no ground truth): each view is cropped around its
person box (``bboxes``; default the whole picture), the model predicts the
2D keypoints of every view in original-image pixels, and each joint is
triangulated from the views the config's ``TriangulationMPJPE`` protocol
would use (confidence-selected views, lens distortion as configured there).

Cameras (``cameras=``: a JSON file or a list of V dicts) use the
H36M-Toolbox layout: ``R`` world -> camera (3x3), ``T`` camera centre in
world units, ``fx``, ``fy``, ``cx``, ``cy``, ``k`` (3), ``p`` (2); the 3D
output is in the units of ``T``.

Outputs (``out_dir`` or ``vis_out_dir`` / ``pred_out_dir``): per instant a
picture of the V views side by side with their skeletons and a JSON file
(``keypoint_names``, per view ``bbox``, ``keypoints`` (K, 2) pixels,
``keypoint_scores`` (K,), and ``keypoints_3d`` (K, 3)); for video inputs
one video and one JSON list over the frames.
"""
import copy
import json
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence, Union

import cv2
import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.dataset import Compose
from mmengine.infer import BaseInferencer
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from mmengine.utils import ProgressBar

from mmhuman_ext.geometry import triangulate_with_confidence
from mmhuman_ext.geometry.camera import camera_from_toolbox
from mmhuman_ext.registry import INFERENCERS
from mmhuman_ext.utils.video import (is_video_file, list_image_files,
                                     read_video_frames, video_info)
from ..pose_inference import draw_poses
from .base import ResultWriter, dataset_meta_of, to_jsonable

_VIEW_META_KEYS = ('upper_body_ids', 'lower_body_ids', 'flip_pairs',
                   'dataset_keypoint_weights', 'flip_indices',
                   'skeleton_links')


def load_cameras(cameras: Union[str, Sequence[dict]]) -> List[dict]:
    """Camera dicts (H36M-Toolbox layout, see the module docstring) from a
    JSON file (a list, or a dict with a ``cameras`` list) or a list."""
    where = 'cameras'
    if isinstance(cameras, str):
        if not osp.isfile(cameras):
            raise FileNotFoundError(f'camera file not found: {cameras}')
        with open(cameras) as f:
            try:
                cameras = json.load(f)
            except json.JSONDecodeError as err:
                raise ValueError(f'{where}: not a JSON file ({err})') from None
        where = f.name
        if isinstance(cameras, dict):
            cameras = cameras.get('cameras')
    if not isinstance(cameras, (list, tuple)) or len(cameras) < 2:
        raise ValueError(f'{where}: expected a list of at least 2 camera '
                         f'dicts (one per view), got {type(cameras).__name__}')
    return [
        camera_from_toolbox(c, f'{where}: camera {i}')
        for i, c in enumerate(cameras)
    ]


def _read_image(path: str) -> np.ndarray:
    if not osp.isfile(path):
        raise FileNotFoundError(f'image not found: {path}')
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f'{path}: not an image file OpenCV can read')
    return img


def _image_files(folder: str) -> List[str]:
    return [osp.join(folder, f) for f in list_image_files(folder)]


def tile_views(pictures: Sequence[np.ndarray]) -> np.ndarray:
    """BGR pictures side by side, each scaled to the first one's height."""
    height = pictures[0].shape[0]
    scaled = [
        p if p.shape[0] == height else cv2.resize(
            p, (max(1, round(p.shape[1] * height / p.shape[0])), height))
        for p in pictures
    ]
    return np.concatenate(scaled, axis=1)


@INFERENCERS.register_module(name='multiview-pose')
@INFERENCERS.register_module()
class MultiViewPoseInferencer(BaseInferencer):
    """See the module docstring.

    Args:
        model (str | Config): Config of a ``MultiViewTopdownPoseEstimator``.
        weights (str, optional): Checkpoint.
        device (str, optional): Defaults to CUDA when available, else CPU.
        scope (str): Registry scope. Defaults to ``'mmhuman_ext'``.
        show_progress (bool): Progress bar over the instants.
    """

    preprocess_kwargs: set = {'cameras', 'bboxes'}
    forward_kwargs: set = set()
    visualize_kwargs: set = {'return_vis', 'kpt_thr'}
    postprocess_kwargs: set = {'vis_out_dir', 'pred_out_dir'}

    def __init__(self,
                 model: Union[str, Config, ConfigDict],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 scope: str = 'mmhuman_ext',
                 show_progress: bool = True) -> None:
        init_default_scope(scope)
        super().__init__(model, weights, device, scope, show_progress)
        if self.model.__class__.__name__ != 'MultiViewTopdownPoseEstimator':
            raise TypeError(f'MultiViewPoseInferencer needs a '
                            f'MultiViewTopdownPoseEstimator config, got '
                            f'{self.model.__class__.__name__}')
        self.triangulation = self._triangulation_cfg(self.cfg)

    # ------------------------------------------------------------------
    # set-up
    def _load_weights_to_model(self, model, checkpoint, cfg) -> None:
        if checkpoint is not None:
            _load_checkpoint_to_model(model, checkpoint)
        model.dataset_meta = dataset_meta_of(model, checkpoint, cfg)

    def _init_pipeline(self, cfg) -> Compose:
        """The test pipeline without ``GenerateTarget`` (no ground truth at
        inference)."""
        pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
        for step in pipeline:
            if step.get('type') == 'ApplyToViews':
                step['transforms'] = [
                    t for t in step['transforms']
                    if t.get('type') != 'GenerateTarget'
                ]
        return Compose(pipeline)

    @staticmethod
    def _triangulation_cfg(cfg) -> Dict:
        """Options of the config's ``TriangulationMPJPE`` evaluator (one
        source of truth for the protocol), else its defaults."""
        evaluators = cfg.get('test_evaluator') or []
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        opts = dict(start=0.85, step=0.05, distortion=True, dist_model='h36m')
        for ev in evaluators:
            if ev.get('type') == 'TriangulationMPJPE':
                opts.update(
                    start=ev.get('conf_start', opts['start']),
                    step=ev.get('conf_step', opts['step']),
                    distortion=ev.get('use_distortion', True),
                    dist_model=ev.get('dist_model', 'h36m'))
        return opts

    # ------------------------------------------------------------------
    # inputs
    def _inputs_to_list(self, inputs) -> Iterable[dict]:
        """Instants as dicts ``images`` (V BGR arrays), ``name``, and
        optionally ``cameras`` / ``bboxes``. Sets ``self._video`` (name and
        fps) for video inputs, else None."""
        self._video = None
        if isinstance(inputs, dict):
            inputs = [inputs]
        if not isinstance(inputs, (list, tuple)) or not inputs:
            raise ValueError('inputs: expected V image files, V videos, V '
                             'folders of frames (one per camera) or a list '
                             'of dicts with "images"')
        if all(isinstance(x, dict) for x in inputs):
            return [
                self._check_instant(dict(x), i) for i, x in enumerate(inputs)
            ]
        if not all(isinstance(x, str) for x in inputs):
            raise ValueError('inputs: mix of paths and other values; give '
                             'V paths (one per camera) or a list of dicts')
        if all(is_video_file(x) for x in inputs):
            info = video_info(inputs[0])
            name = osp.splitext(osp.basename(inputs[0]))[0]
            self._video = dict(
                name=name, fps=info['fps'], num_frames=info['num_frames'])
            streams = [read_video_frames(p) for p in inputs]
            return (dict(images=list(frames), name=f'{name}_{t:06d}')
                    for t, frames in enumerate(zip(*streams)))
        if all(osp.isdir(x) for x in inputs):
            lists = [_image_files(d) for d in inputs]
            counts = {len(files) for files in lists}
            if len(counts) != 1 or 0 in counts:
                raise ValueError(
                    f'inputs: the view folders must hold the same number '
                    f'(> 0) of pictures, got '
                    f'{dict(zip(inputs, map(len, lists)))}')
            return (dict(
                images=[_read_image(p) for p in files],
                name=osp.splitext(osp.basename(files[0]))[0])
                    for files in zip(*lists))
        return [
            dict(
                images=[_read_image(p) for p in inputs],
                name=osp.splitext(osp.basename(inputs[0]))[0])
        ]

    @staticmethod
    def _check_instant(instant: dict, index: int) -> dict:
        images = instant.get('images')
        if not isinstance(images, (list, tuple)) or len(images) < 2:
            raise ValueError(f'input {index}: "images" must list the V >= 2 '
                             'views (paths or BGR arrays)')
        instant['images'] = [
            _read_image(im) if isinstance(im, str) else im for im in images
        ]
        instant.setdefault('name', f'{index:06d}')
        return instant

    def _to_sample(self, instant: dict, cameras: Optional[List[dict]],
                   bboxes) -> dict:
        """One instant -> the dict the test pipeline takes."""
        images = instant['images']
        cams = instant.get('cameras', cameras)
        if cams is None:
            raise ValueError(f'input {instant["name"]}: no cameras; pass '
                             'cameras= (JSON file or list of dicts)')
        cams = load_cameras(cams)
        boxes = instant.get('bboxes', bboxes)
        if len(cams) != len(images):
            raise ValueError(f'input {instant["name"]}: {len(images)} views '
                             f'but {len(cams)} cameras')
        meta = self.model.dataset_meta
        num_kpt = meta['num_keypoints']
        views = []
        for v, (img, cam) in enumerate(zip(images, cams)):
            img = np.asarray(img)
            if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
                raise ValueError(f'input {instant["name"]} view {v}: '
                                 f'expected an (H, W, 3) uint8 BGR picture, '
                                 f'got {img.shape} {img.dtype}')
            h, w = img.shape[:2]
            box = np.array([0, 0, w, h], np.float32) if boxes is None \
                else np.asarray(boxes[v], np.float32).reshape(4)
            if box[2] <= box[0] or box[3] <= box[1]:
                raise ValueError(f'input {instant["name"]} view {v}: box '
                                 f'{box.tolist()} is not [x1, y1, x2, y2]')
            views.append(
                dict(
                    img=img,
                    img_path=f'{instant["name"]}_view{v}',
                    bbox=box[None],
                    bbox_score=np.ones(1, np.float32),
                    keypoints=np.zeros((1, num_kpt, 2), np.float32),
                    keypoints_visible=np.zeros((1, num_kpt), np.float32),
                    camera=copy.deepcopy(cam),
                    camera_id=v,
                    id=v))
        sample = dict(views=views, sample_key=instant['name'])
        for key in _VIEW_META_KEYS:
            if key in meta:
                sample[key] = copy.deepcopy(meta[key])
        return sample

    def preprocess(self,
                   inputs: Iterable[dict],
                   batch_size: int = 1,
                   cameras=None,
                   bboxes=None):
        """Yield ``(collated batch, instants of the batch)``."""
        if cameras is not None:
            cameras = load_cameras(cameras)
        batch, raw = [], []
        for instant in inputs:
            batch.append(
                self.pipeline(self._to_sample(instant, cameras, bboxes)))
            raw.append(instant)
            if len(batch) == batch_size:
                yield self.collate_fn(batch), raw
                batch, raw = [], []
        if batch:
            yield self.collate_fn(batch), raw

    # ------------------------------------------------------------------
    @torch.no_grad()
    def forward(self, inputs: dict) -> list:
        """Predict 2D per view, then triangulate: each data sample gets
        ``pred_keypoints_3d`` ``(K, 3)`` (world, units of the cameras'
        ``T``)."""
        samples = self.model.test_step(inputs)
        opts = self.triangulation
        for ds in samples:
            cams = {
                k: torch.as_tensor(np.asarray(v, np.float64))
                for k, v in ds.metainfo['cameras'].items()
            }
            points = torch.as_tensor(np.asarray(ds.pred_keypoints))
            scores = torch.as_tensor(np.asarray(ds.pred_scores))
            xyz = triangulate_with_confidence(points, scores, cams,
                                              opts['start'], opts['step'],
                                              opts['distortion'],
                                              opts['dist_model'])
            ds.set_field(xyz.numpy(), 'pred_keypoints_3d')
        return samples

    def visualize(self,
                  inputs: List[dict],
                  preds: list,
                  return_vis: bool = False,
                  kpt_thr: float = 0.3,
                  draw: bool = True) -> List[np.ndarray]:
        """The V views of each instant side by side with their skeletons
        (BGR)."""
        if not (return_vis or draw):
            return []
        meta = self.model.dataset_meta
        pictures = []
        for instant, ds in zip(inputs, preds):
            views = []
            for v, img in enumerate(instant['images']):
                result = dict(instances=[
                    dict(
                        bbox=[0, 0, 0, 0],
                        keypoints=np.asarray(ds.pred_keypoints[v]),
                        keypoint_scores=np.asarray(ds.pred_scores[v]))
                ])
                views.append(
                    draw_poses(np.asarray(img), result, meta, kpt_thr))
            pictures.append(tile_views(views))
        return pictures

    def postprocess(self,
                    preds: list,
                    visualization=None,
                    return_datasamples: bool = False) -> List[dict]:
        """JSON-ready predictions (see the module docstring)."""
        meta = self.model.dataset_meta
        names = [
            meta['keypoint_id2name'][i] for i in range(meta['num_keypoints'])
        ]
        out = []
        for ds in preds:
            if return_datasamples:
                out.append(ds)
                continue
            views = [
                dict(
                    keypoints=ds.pred_keypoints[v],
                    keypoint_scores=ds.pred_scores[v])
                for v in range(len(ds.pred_keypoints))
            ]
            out.append(
                to_jsonable(
                    dict(
                        keypoint_names=names,
                        views=views,
                        keypoints_3d=ds.pred_keypoints_3d)))
        return out

    def __call__(self,
                 inputs,
                 batch_size: int = 1,
                 out_dir: Optional[str] = None,
                 return_datasamples: bool = False,
                 **kwargs) -> dict:
        """Run on ``inputs`` (see :meth:`_inputs_to_list`); writes files as
        it goes when ``out_dir`` (or ``vis_out_dir`` / ``pred_out_dir``) is
        set.

        Returns:
            dict: ``predictions`` (one per instant) and ``visualization``
            (BGR pictures, with ``return_vis=True``).
        """
        if out_dir is not None:
            kwargs.setdefault('vis_out_dir', osp.join(out_dir,
                                                      'visualizations'))
            kwargs.setdefault('pred_out_dir', osp.join(out_dir, 'predictions'))
        pre_kw, _, vis_kw, post_kw = self._dispatch_kwargs(**kwargs)
        instants = self._inputs_to_list(inputs)
        video = self._video
        writer = ResultWriter(
            post_kw.get('vis_out_dir', ''),
            post_kw.get('pred_out_dir', ''),
            video_name=video['name'] if video else None,
            fps=video['fps'] if video else 25.)
        total = len(instants) if isinstance(
            instants, list) else (video or {}).get('num_frames', 0)
        progress = ProgressBar(total) if self.show_progress and total else \
            None
        results = dict(predictions=[], visualization=[])
        try:
            for data, raw in self.preprocess(instants, batch_size, **pre_kw):
                preds = self.forward(data)
                pictures = self.visualize(
                    raw, preds, draw=bool(writer.vis_out_dir), **vis_kw)
                records = self.postprocess(preds)
                for i, (instant, record) in enumerate(zip(raw, records)):
                    writer.add(instant['name'], record,
                               pictures[i] if pictures else None)
                    if progress is not None:
                        progress.update()
                results['predictions'].extend(
                    preds if return_datasamples else records)
                if vis_kw.get('return_vis'):
                    results['visualization'].extend(pictures)
            writer.close()
        except BaseException:
            writer.abort()
            raise
        results['files'] = writer.written
        return results
