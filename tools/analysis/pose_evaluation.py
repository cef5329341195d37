"""Score saved videos the way the public ``pose-evaluation`` scripts do
(``extract.py`` + ``cmp_with_missing.py`` / ``cmp.py``), with this
project's networks, so outputs of any method are comparable with the tables
of FOMM, MRAA, TPSMM and ORFNT.

    # AKD / MKR (OpenPose COCO-18 keypoints)
    python tools/analysis/pose_evaluation.py GT_DIR GEN_DIR --type body_pose \
        --weights data/pretrained/pose_model.pth
    # AED (re-ID ResNet-50 embeddings)
    python tools/analysis/pose_evaluation.py GT_DIR GEN_DIR --type body_id \
        --weights data/pretrained/reid_model.pth

``GT_DIR`` and ``GEN_DIR`` hold one entry per video with the same names
(extensions ignored): frame folders, video files or stacked PNGs (frames side
by side). ``--column k`` keeps the k-th ``W``-wide column of frames that show
several images side by side (e.g. source | driving | generated), ``W`` from
``--image-shape H W`` (256 256; the stored frame size, which also splits
stacked PNGs). ``--detector markers`` finds the joints of
the built-in puppets instead of OpenPose. ``--mode euclidean`` gives the
Euclidean AKD / L2 AED instead of the scripts' definitions
(``docs/motion_transfer.md#metrics``).
"""
import argparse
import os
import os.path as osp
from typing import Dict, List

import numpy as np
from tqdm import tqdm


def list_videos(folder: str) -> Dict[str, str]:
    """``{name without extension: path}`` of the videos in ``folder``."""
    from mmhuman_ext.utils.video import is_image_file, is_video_file
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{folder} is not a folder of videos')
    out = {}
    for entry in sorted(os.listdir(folder)):
        path = osp.join(folder, entry)
        stem = osp.splitext(entry)[0]
        if osp.isdir(path) or is_video_file(entry) or is_image_file(entry):
            out[stem if not osp.isdir(path) else entry] = path
    return out


def video_frames(path: str, image_shape=(256, 256),
                 column: int = 0) -> List[np.ndarray]:
    """RGB frames of one video; ``image_shape`` ``(H, W)`` is the stored
    frame size (it splits stacked PNGs), and frames wider than ``W`` keep
    their ``column``-th ``W``-wide column, as ``pose-evaluation`` does."""
    from mmhuman_ext.utils.video import FrameSource, is_image_file
    w = image_shape[1]
    kind = 'stacked' if osp.isfile(path) and is_image_file(path) else None
    source = FrameSource(path, kind, frame_width=w if kind else None)
    frames = []
    for frame in source:
        if frame.shape[1] > w:
            if frame.shape[1] < (column + 1) * w:
                raise ValueError(f'{path}: frames are {frame.shape[1]} wide, '
                                 f'no column {column} of width {w}')
            frame = np.ascontiguousarray(frame[:, column * w:(column + 1) *
                                               w])
        frames.append(frame)
    return frames


def extract(extractor, videos: Dict[str, str], image_shape, column,
            desc: str) -> Dict[str, np.ndarray]:
    """Keypoints ``(T, 18, 2)`` or embeddings ``(T, D)`` per video."""
    import torch
    out = {}
    for name, path in tqdm(videos.items(), desc=desc):
        frames = video_frames(path, image_shape, column)
        values = [extractor(frames[i:i + 16])
                  for i in range(0, len(frames), 16)]
        values = [v.cpu().numpy() if torch.is_tensor(v) else np.asarray(v)
                  for v in values]
        out[name] = np.concatenate(values)
    return out


def compare(gt: Dict[str, np.ndarray], gen: Dict[str, np.ndarray],
            kind: str, mode: str) -> Dict[str, float]:
    """AKD / MKR (``body_pose``) or AED (``body_id``) over all frames of the
    videos in both sets; the frame counts must match."""
    from mmhuman_ext.evaluation.metrics.motion_transfer_metrics import (
        embedding_distance, keypoint_errors)
    missing = sorted(set(gt) ^ set(gen))
    if missing:
        raise ValueError(f'videos in only one of the two folders: {missing}')
    akd, mkr, aed = [], [], []
    for name in sorted(gt):
        if len(gt[name]) != len(gen[name]):
            raise ValueError(f'{name}: {len(gt[name])} ground-truth frames, '
                             f'{len(gen[name])} generated')
        for a, b in zip(gt[name], gen[name]):
            if kind == 'body_pose':
                k, m = keypoint_errors(a, b, mode)
                if k is not None:
                    akd.append(k)
                if m is not None:
                    mkr.append(m)
            else:
                aed.append(embedding_distance(a, b, mode))
    if kind == 'body_pose':
        return dict(AKD=float(np.mean(akd)) if akd else float('nan'),
                    MKR=float(np.mean(mkr)) if mkr else float('nan'))
    return dict(AED=float(np.mean(aed)))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('gt_dir')
    p.add_argument('gen_dir')
    p.add_argument('--type', choices=('body_pose', 'body_id'),
                   required=True)
    p.add_argument('--weights', help='pose_model.pth / reid_model.pth '
                   '(random weights without it: tests only)')
    p.add_argument('--detector', choices=('openpose', 'markers'),
                   default='openpose', help='body_pose keypoints')
    p.add_argument('--image-shape', type=int, nargs=2, default=(256, 256),
                   metavar=('H', 'W'))
    p.add_argument('--column', type=int, default=0)
    p.add_argument('--mode', choices=('pose_evaluation', 'euclidean'),
                   default='pose_evaluation')
    p.add_argument('--device', default='cpu')
    a = p.parse_args(argv)
    from mmhuman_ext.evaluation.functional.motion_transfer_nets import (
        MarkerKeypointDetector, OpenPose18Detector, ReIDResNet50)
    if a.type == 'body_id':
        extractor = ReIDResNet50(
            a.weights, 'pose_evaluation' if a.mode == 'pose_evaluation' else
            'standard').to(a.device)
    elif a.detector == 'markers':
        extractor = MarkerKeypointDetector()
    else:
        extractor = OpenPose18Detector(a.weights).to(a.device)
    shape, col = tuple(a.image_shape), a.column
    gt = extract(extractor, list_videos(a.gt_dir), shape, 0, 'ground truth')
    gen = extract(extractor, list_videos(a.gen_dir), shape, col, 'generated')
    scores = compare(gt, gen, a.type, a.mode)
    print(', '.join(f'{k} {v:.4f}' for k, v in scores.items()))
    return scores


if __name__ == '__main__':
    main()
