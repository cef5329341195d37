"""Top-down 2D pose inference: an image and person boxes in, keypoints out.

    from mmhuman_ext.apis import init_pose_model, estimate_poses

    model = init_pose_model('configs/ppt/ppt-s_4xb32-300e_coco-256x192.py',
                            'ppt_s_coco.pth')
    result = estimate_poses(model, 'person.jpg', [[20, 30, 220, 400]],
                            out_json='person.json', out_image='person.png')

Works with any top-down config of the project (TokenPose / PPT, the demo
models): the crop, the model and the decoding are mmpose's
``inference_topdown`` with the config's test pipeline (flip test included);
this module adds checked inputs, a JSON-ready result and an overlay picture.
Both files are written atomically.
"""
import json
import os.path as osp
from typing import Optional, Sequence, Union

import cv2
import numpy as np

from mmhuman_ext.utils.atomic_io import atomic_write_image, atomic_write_text
from mmhuman_ext.utils.setup_env import register_all_modules


def init_pose_model(config,
                    checkpoint: Optional[str] = None,
                    device: str = 'cpu'):
    """Build a top-down pose model from a config (path or ``Config``), load
    ``checkpoint`` if given, and attach the keypoint metainfo (from the
    checkpoint, else from the config's test dataset class)."""
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint
    from mmpose.datasets.datasets.utils import parse_pose_metainfo

    from mmhuman_ext.registry import DATASETS, MODELS
    register_all_modules()
    cfg = config if isinstance(config, Config) else Config.fromfile(config)
    model = MODELS.build(cfg.model)
    meta = None
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
        ckpt = load_checkpoint(model, checkpoint, map_location='cpu')
        meta = ckpt.get('meta', {}).get('dataset_meta')
    if meta is None:
        dataset = cfg.test_dataloader.dataset
        meta = parse_pose_metainfo(
            dataset.get('metainfo') or DATASETS.get(dataset.type).METAINFO)
    model.dataset_meta = meta
    model.cfg = cfg  # inference_topdown reads the test pipeline from it
    return model.to(device).eval()


def _load_image(image: Union[str, np.ndarray]) -> np.ndarray:
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f'image array must be (H, W, 3) uint8 BGR, got '
                             f'{image.shape} {image.dtype}')
        return image
    if not osp.isfile(image):
        raise FileNotFoundError(f'image not found: {image}')
    array = cv2.imread(image, cv2.IMREAD_COLOR)
    if array is None:
        raise ValueError(f'{image}: not an image file OpenCV can read')
    return array


def _check_boxes(bboxes, height: int, width: int) -> np.ndarray:
    boxes = np.asarray(bboxes, dtype=np.float32)
    if boxes.size == 0:
        return np.array([[0, 0, width, height]], dtype=np.float32)
    if boxes.ndim == 1:
        boxes = boxes[None]
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f'person boxes must be (N, 4) as [x1, y1, x2, y2] '
                         f'pixels, got shape {boxes.shape}')
    bad = np.where((boxes[:, 2] <= boxes[:, 0])
                   | (boxes[:, 3] <= boxes[:, 1]))[0]
    if bad.size:
        raise ValueError(f'person box {bad[0]} {boxes[bad[0]].tolist()} has '
                         f'x2 <= x1 or y2 <= y1; expected [x1, y1, x2, y2]')
    return boxes


def draw_poses(image: np.ndarray,
               result: dict,
               dataset_meta: dict,
               kpt_thr: float = 0.3) -> np.ndarray:
    """Boxes, skeleton links and keypoints (score > ``kpt_thr``) drawn on a
    copy of the BGR ``image``."""
    canvas = image.copy()
    links = dataset_meta.get('skeleton_links') or []
    link_colors = dataset_meta.get('skeleton_link_colors')
    kpt_colors = dataset_meta.get('keypoint_colors')
    radius = max(2, round(max(image.shape[:2]) / 200))
    for inst in result['instances']:
        x1, y1, x2, y2 = (int(round(v)) for v in inst['bbox'])
        cv2.rectangle(canvas, (x1, y1), (x2, y2), (0, 255, 0), 1)
        pts = np.asarray(inst['keypoints'])
        visible = np.asarray(inst['keypoint_scores']) > kpt_thr
        for k, (i, j) in enumerate(links):
            if visible[i] and visible[j]:
                color = (255, 128, 0) if link_colors is None else tuple(
                    int(c) for c in link_colors[k][::-1])
                cv2.line(canvas, tuple(int(v) for v in pts[i]),
                         tuple(int(v) for v in pts[j]), color, radius // 2 + 1,
                         cv2.LINE_AA)
        for k in np.where(visible)[0]:
            color = (0, 0, 255) if kpt_colors is None else tuple(
                int(c) for c in kpt_colors[k][::-1])
            cv2.circle(canvas, tuple(int(v) for v in pts[k]), radius, color,
                       -1, cv2.LINE_AA)
    return canvas


def estimate_poses(model,
                   image: Union[str, np.ndarray],
                   bboxes: Sequence[Sequence[float]],
                   out_json: Optional[str] = None,
                   out_image: Optional[str] = None,
                   kpt_thr: float = 0.3) -> dict:
    """Predict the keypoints of each person box.

    Args:
        model: A top-down model from :func:`init_pose_model`.
        image (str | np.ndarray): Image path, or an ``(H, W, 3)`` uint8 BGR
            array.
        bboxes: ``(N, 4)`` person boxes ``[x1, y1, x2, y2]`` in pixels; an
            empty list means one box covering the whole image.
        out_json (str, optional): Write the result here as JSON.
        out_image (str, optional): Write the overlay picture here (format
            from the extension, e.g. ``.png`` / ``.jpg``).
        kpt_thr (float): Keypoints with a lower score are not drawn.

    Returns:
        dict: ``image`` (path or None), ``height``, ``width``,
        ``keypoint_names`` (K,) and ``instances``: one dict per box with
        ``bbox`` (4,), ``keypoints`` (K, 2) in image pixels and
        ``keypoint_scores`` (K,), all plain lists.
    """
    from mmpose.apis import inference_topdown
    array = _load_image(image)
    height, width = array.shape[:2]
    boxes = _check_boxes(bboxes, height, width)
    samples = inference_topdown(model, array, boxes, bbox_format='xyxy')
    meta = model.dataset_meta
    names = [meta['keypoint_id2name'][i] for i in range(meta['num_keypoints'])]
    instances = []
    for box, sample in zip(boxes, samples):
        pred = sample.pred_instances
        instances.append(
            dict(
                bbox=[float(v) for v in box],
                keypoints=np.asarray(pred.keypoints[0],
                                     dtype=float).round(2).tolist(),
                keypoint_scores=np.asarray(
                    pred.keypoint_scores[0], dtype=float).round(4).tolist()))
    result = dict(
        image=image if isinstance(image, str) else None,
        height=height,
        width=width,
        keypoint_names=names,
        instances=instances)
    if out_json:
        atomic_write_text(out_json, json.dumps(result, indent=1))
    if out_image:
        atomic_write_image(out_image,
                           draw_poses(array, result, meta, kpt_thr))
    return result
