"""CVTHead: reenactment and FLAME-control pictures of a trained model, and
how closely the rendered head follows the FLAME mesh under control.

    python tools/analysis/cvthead_control.py CONFIG CKPT --data-root DIR \
        [--source-video V] [--driving-video D] [--out-dir DIR] \
        [--compare-untrained]

Writes into ``--out-dir`` (default ``work_dirs/cvthead_control``):

* ``reenact.png``: the source, then the driving frames (top) and the
  reenacted frames (bottom, white background);
* ``control.png``: the yaw sweep (top) and the jaw sweep (bottom) of
  :data:`~mmhuman_ext.apis.head_animation.SWEEPS`, each frame with the
  outline of the driven FLAME mesh (projected, with the source's hair /
  shoulder offsets) in red;
* ``control.json``: per sweep, how the rendered mask (> 0.5) follows the
  mesh silhouette M (its projected triangles, filled): mean IoU(mask, M);
  the centroid's move from the first frame, x for yaw and y for jaw, of
  mask and of M: their correlation over the sweep and the mean absolute
  difference in pixels; the same IoU for the first frame's mask held still
  (what a model that ignored the controls would score); the response
  ratio: the mean colour change from the first frame on pixels where the
  visible mesh surface moved more than 0.5 px, over the same on pixels
  where it moved less than 0.05 px (1 = the picture does not change where
  the mesh moves). With
  ``--compare-untrained``, the same for the model at its random
  initialisation (seed 0).

The source and driving videos default to the first two test videos of the
data root's first test identity (``test_imgs.json``).
"""
import argparse
import json
import os
import os.path as osp

import numpy as np

from mmhuman_ext.evaluation.metrics.motion_transfer_branch_metric import \
    mask_iou

CENTROID_AXIS = dict(yaw=0, jaw=1)  # x for yaw, y for jaw


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--data-root', required=True)
    p.add_argument('--source-video')
    p.add_argument('--driving-video')
    p.add_argument('--out-dir', default='work_dirs/cvthead_control')
    p.add_argument(
        '--compare-untrained',
        action='store_true',
        help='also score the randomly initialised model (seed 0)')
    return p.parse_args(argv)


def mesh_silhouette(points: np.ndarray, faces: np.ndarray,
                    size: int) -> np.ndarray:
    """``(size, size)`` bool: the projected triangles ``faces`` of
    ``points`` ``(N, 3)`` (``u, v`` in [-1, 1]) filled."""
    import cv2
    pixels = (points[:, :2] + 1) * size / 2 - 0.5
    polygons = np.round(pixels[faces] * 16).astype(np.int32)  # 4-bit shift
    canvas = np.zeros((size, size), np.uint8)
    cv2.fillPoly(canvas, list(polygons), 1, lineType=cv2.LINE_8, shift=4)
    return canvas.astype(bool)


def _centroid(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    if not len(xs):
        return np.array([np.nan, np.nan])
    return np.array([xs.mean(), ys.mean()])


def surface_motion(rasterizer, points, first) -> np.ndarray:
    """``(S, S)`` pixels each visible mesh point moved since the first
    frame (``points``, ``first``: ``(N, 3)`` projected); NaN off the
    mesh."""
    import torch
    winners = rasterizer.winners(torch.as_tensor(points)[None])[0].numpy()
    size = winners.shape[0]
    covered = winners < len(points)
    idx = np.where(covered, winners, 0)
    move = np.linalg.norm(points[idx, :2] - first[idx, :2], axis=-1)
    return np.where(covered, move * size / 2, np.nan)


def response_ratio(frames, motions, moving_px: float = 0.5) -> float:
    """Mean |frame - first frame| (RGB, 0-255) on pixels whose surface
    moved more than ``moving_px``, over the same on pixels that moved less
    than a tenth of it: > 1 when the picture changes where the mesh moves."""
    moving, still = [], []
    for frame, motion in zip(frames[1:], motions[1:]):
        change = np.abs(frame.astype(float) - frames[0]).mean(-1)
        moving.append(change[motion > moving_px])
        still.append(change[motion < moving_px / 10])
    moving, still = np.concatenate(moving), np.concatenate(still)
    if not len(moving) or not len(still) or still.mean() == 0:
        return None  # e.g. a yaw sweep: every pixel moves
    return float(moving.mean() / still.mean())


def control_scores(masks, silhouettes, axis: int) -> dict:
    """Scores of one sweep (module docstring); ``masks`` and
    ``silhouettes`` are lists of ``(S, S)`` bool."""
    c_mask = np.stack([_centroid(m) for m in masks])[:, axis]
    c_mesh = np.stack([_centroid(m) for m in silhouettes])[:, axis]
    move_mask, move_mesh = c_mask - c_mask[0], c_mesh - c_mesh[0]
    corr = float(np.corrcoef(move_mask, move_mesh)[0, 1]) if \
        move_mask.std() > 0 and move_mesh.std() > 0 else None
    return dict(
        iou=float(
            np.mean([mask_iou(m, s) for m, s in zip(masks, silhouettes)])),
        iou_first_mask_held=float(
            np.mean([mask_iou(masks[0], s) for s in silhouettes])),
        centroid_corr=corr,
        centroid_error_px=float(np.abs(move_mask - move_mesh).mean()),
        mesh_centroid_range_px=float(np.ptp(move_mesh)))


def sweep(inferencer, name: str):
    """Rendered frames (RGB uint8), masks and mesh silhouettes of one
    control sweep of the source set in ``inferencer.animator``."""
    from mmhuman_ext.apis.head_animation import SWEEPS
    animator = inferencer.animator
    key, index, values = SWEEPS[name]
    faces = animator.model.flame.faces.cpu().numpy()
    base = animator._source['codes'][key][0].cpu().numpy()
    rasterizer = animator.model.generator.rasterizer
    frames, masks, silhouettes, motions, first = [], [], [], [], None
    for value in values:
        code = base.copy()
        code[index] = value
        out = animator.render(**{key: code})
        size = out['image'].shape[0]
        points = out['points'].numpy()
        first = points if first is None else first
        frames.append(out['image'])
        masks.append(out['mask'][0].numpy() > 0.5)
        silhouettes.append(mesh_silhouette(points, faces, size))
        motions.append(surface_motion(rasterizer, points, first))
    return frames, masks, silhouettes, motions


def _outlined(frame: np.ndarray, silhouette: np.ndarray,
              scale: int = 2) -> np.ndarray:
    """``frame`` enlarged ``scale`` times with the silhouette's outline in
    red."""
    import cv2
    size = frame.shape[0] * scale
    big = cv2.resize(frame, (size, size), interpolation=cv2.INTER_NEAREST)
    sil = cv2.resize(silhouette.astype(np.uint8), (size, size),
                     interpolation=cv2.INTER_NEAREST)
    contours, _ = cv2.findContours(sil, cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(big, contours, -1, (255, 0, 0), 1)
    return big


def _set_source(inferencer, video: str) -> np.ndarray:
    """Encode frame 0 of ``video``; returns it as RGB uint8."""
    import torch

    from mmhuman_ext.apis.inferencers.head_avatar_inferencer import _to_uint8
    src = inferencer.load_frame(video, 0)
    inferencer.animator.set_source(
        torch.from_numpy(src['img']), torch.from_numpy(src['mask']),
        src['codes'])
    return _to_uint8(src['img'])


def main(argv=None):
    import cv2
    import torch
    from mmengine.config import Config

    from mmhuman_ext.apis.inferencers import HeadAvatarInferencer
    from mmhuman_ext.apis.inferencers.head_avatar_inferencer import _to_uint8
    from mmhuman_ext.datasets.layout import generate_builtin_data
    from mmhuman_ext.utils.atomic_io import (atomic_write_image,
                                             atomic_write_text)
    from mmhuman_ext.utils.setup_env import register_all_modules
    args = parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    generate_builtin_data(cfg, splits=('test', ))  # head model files
    with open(osp.join(args.data_root, 'test_imgs.json')) as f:
        videos = sorted(json.load(f))
    source = args.source_video or videos[0]
    driving = args.driving_video or next(
        v for v in videos if v != source and v[:7] == source[:7])
    models = dict(trained=args.checkpoint)
    if args.compare_untrained:
        models['untrained'] = None
    os.makedirs(args.out_dir, exist_ok=True)
    scores = dict(config=args.config, checkpoint=args.checkpoint,
                  source=source, driving=driving)
    for label, weights in models.items():
        torch.manual_seed(0)
        inferencer = HeadAvatarInferencer(
            cfg, weights, args.data_root, 'cpu', show_progress=False)
        src = _set_source(inferencer, source)
        rows, scores[label] = [], {}
        for name, axis in CENTROID_AXIS.items():
            frames, masks, silhouettes, motions = sweep(inferencer, name)
            scores[label][name] = control_scores(masks, silhouettes, axis)
            scores[label][name]['response_ratio'] = response_ratio(
                frames, motions)
            rows.append(
                np.concatenate([_outlined(src, np.zeros(src.shape[:2]))] + [
                    _outlined(f, s) for f, s in zip(frames, silhouettes)
                ], 1))
        if label != 'trained':
            continue
        width = max(r.shape[1] for r in rows)
        rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)),
                       constant_values=255) for r in rows]
        atomic_write_image(
            osp.join(args.out_dir, 'control.png'),
            np.concatenate(rows, 0)[..., ::-1])
        drivers, reenacted = [src], [np.full_like(src, 255)]
        for fid in inferencer.video_frames(driving):
            frame = inferencer.load_frame(driving, fid)
            codes = frame['codes']
            drivers.append(_to_uint8(frame['img']))
            reenacted.append(
                inferencer.animator.render(
                    exp=codes['exp'], pose=codes['pose'], cam=codes['cam'],
                    tform=codes['tform'])['image'])
        picture = np.concatenate(
            [np.concatenate(drivers, 1),
             np.concatenate(reenacted, 1)], 0)
        atomic_write_image(
            osp.join(args.out_dir, 'reenact.png'),
            cv2.resize(picture, None, fx=2, fy=2,
                       interpolation=cv2.INTER_NEAREST)[..., ::-1])
    atomic_write_text(
        osp.join(args.out_dir, 'control.json'), json.dumps(scores, indent=1))
    print(json.dumps(scores, indent=1))


if __name__ == '__main__':
    main()
