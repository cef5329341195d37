"""PPT 2D keypoints over the frames of a video, lifted to 3D by P-STMO.

    python projects/ppt_pstmo_video/ppt_pstmo_video.py \\
        --pose-config configs/demo/ppt-s-tiny_1xb16-60e_synthcoco-128x96.py \\
        --pose-checkpoint work_dirs/ppt_demo/best_coco_AP_epoch_60.pth \\
        --lift-config configs/demo/pstmo-s-d64_1xb64-4e_synthh36m-det-27f.py \\
        --lift-checkpoint work_dirs/pstmo-s-d64_1xb64-4e_synthh36m-det-27f/\\
best_h36m_MPJPE_action_mean_stage2.pth \\
        --work-dir work_dirs/ppt_pstmo_video

(the lift checkpoint is one path, split here for the line length.)

Steps (``run_pipeline``), for T frames:

1. top-down 2D pose per frame with mmpose's ``inference_topdown`` (the
   config's test pipeline, flip test included): COCO-17 keypoints (T, 17, 2)
   in pixels;
2. COCO-17 -> Human3.6M-17 with mmpose's ``convert_keypoint_definition``
   (pelvis = mid-hips, thorax = mid-shoulders, spine = mid pelvis-thorax,
   head = mid-eyes, nose -> neck/nose, limbs re-ordered);
3. screen normalisation ``x / w * 2 - [1, h / w]`` (VideoPose3D, P-STMO;
   the lifter's training codec does the same);
4. one window of N frames every s frames centred at each frame, with
   mmpose's ``extract_pose_sequence``: frames before the first / after the
   last repeat the first / last frame (P-STMO's edge padding), so short
   videos work too: (T, N, 17, 2);
5. P-STMO lifts each window to the root-relative 3D pose of its centre
   frame (camera axes, metres; flip test as in the lifter's config):
   (T, 17, 3).

Without ``--video`` the frames are built-in data (:func:`synthetic_video`):
a subject of the 3D motion generator filmed by one camera of its rig, drawn
as a COCO-style figure (or with the multi-view renderer), with the true 2D
and 3D for comparison. With ``--video`` any file OpenCV reads; the person
box is ``--bbox`` (default: the whole frame).
"""
import argparse
import io
import os
import os.path as osp
import sys

import numpy as np
import torch

MISSING_HINT = {
    'pose': ('train the PPT demo first:\n  OMP_NUM_THREADS=1 python '
             'tools/train.py configs/demo/ppt-s-tiny_1xb16-60e_synthcoco-'
             '128x96.py --work-dir work_dirs/ppt_demo'),
    'lift': ('train the P-STMO demo first (Stage I, then Stage II):\n  '
             'python tools/train.py configs/demo/pstmo-s-mpm-d64_1xb64-2e_'
             'synthh36m-det-27f.py\n  python tools/train.py configs/demo/'
             'pstmo-s-d64_1xb64-4e_synthh36m-det-27f.py'),
}


def coco_to_h36m(keypoints: np.ndarray) -> np.ndarray:
    """(T, 17, C) COCO keypoints -> (T, 17, C) Human3.6M joints (mmpose's
    ``convert_keypoint_definition``)."""
    from mmpose.apis import convert_keypoint_definition
    return convert_keypoint_definition(keypoints, 'coco', 'h36m')


def normalize_screen(keypoints: np.ndarray, w: int, h: int) -> np.ndarray:
    """Pixels (..., 2) -> ``x / w * 2 - [1, h / w]`` (width spans [-1, 1])."""
    return keypoints / w * 2 - np.array([1, h / w], dtype=keypoints.dtype)


def denormalize_screen(points: np.ndarray, w: int, h: int) -> np.ndarray:
    """Inverse of :func:`normalize_screen`."""
    return (points + np.array([1, h / w], dtype=points.dtype)) * w / 2


def pose_windows(keypoints: np.ndarray, seq_len: int, step: int) -> np.ndarray:
    """(T, J, C) -> (T, seq_len, J, C): the window centred at each frame,
    every ``step`` frames, edge frames repeated past the ends."""
    from mmpose.apis import extract_pose_sequence
    frames = list(keypoints)
    return np.stack([
        np.stack(extract_pose_sequence(frames, t, False, seq_len, step))
        for t in range(len(frames))
    ])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def coco_joints_3d(h36m: np.ndarray) -> np.ndarray:
    """(T, 17, 3) joints of the motion generator (Human3.6M order, metres)
    -> (T, 17, 3) COCO keypoints: limbs copied, eyes and ears placed on the
    head in the body frame (``left`` from the shoulders, ``up`` along the
    neck)."""
    p = h36m
    left = _unit(p[:, 11] - p[:, 14])
    up = _unit(p[:, 10] - p[:, 8])
    up = _unit(up - (up * left).sum(-1, keepdims=True) * left)
    fwd = np.cross(left, up)
    head = p[:, 9] + 0.06 * up - 0.05 * fwd
    coco = np.empty_like(p)
    coco[:, 0] = p[:, 9]
    for side, (eye, ear) in ((1, (1, 3)), (-1, (2, 4))):
        coco[:, eye] = p[:, 9] + 0.03 * up - 0.01 * fwd + side * 0.032 * left
        coco[:, ear] = head + side * 0.075 * left
    coco[:, 5:] = p[:, [11, 14, 12, 15, 13, 16, 4, 1, 5, 2, 6, 3]]
    return coco


def _figure_frame(kpts: np.ndarray, head: np.ndarray, head_top: np.ndarray,
                  height: float) -> dict:
    """The body dict of ``coco_figures._draw_person`` from projected COCO
    keypoints (17, 2), head centre and a point above it (2,), figure height
    (pixels). Widths shrink with the projected shoulder / ear spans, down to
    a profile's thickness."""
    neck, pelvis = kpts[5:7].mean(0), kpts[11:13].mean(0)
    up = _unit(neck - pelvis)
    perp = np.array([up[1], -up[0]])  # image right of an upright figure
    span = (kpts[5] - kpts[6]) @ perp / (0.22 * height)
    head_up = _unit(head_top - head)
    head_perp = np.array([-head_up[1], head_up[0]])
    head_span = (kpts[3] - kpts[4]) @ head_perp / (0.094 * height)
    return dict(
        keypoints=kpts,
        neck=neck,
        pelvis=pelvis,
        up=up,
        left=perp * np.sign(span or 1) * max(abs(span), 0.45),
        head_center=head,
        head_up=head_up,
        head_left=head_perp * max(abs(head_span), 0.8),
        head_scale=height,
        height=height)


def synthetic_video(num_frames: int = 100,
                    subject: str = 'S9',
                    action: str = 'Discussion',
                    camera: int = 2,
                    image_scale: float = 0.4,
                    style: str = 'coco',
                    seed: int = 0) -> dict:
    """A subject of the 3D motion generator filmed at 50 fps by one camera
    of its rig (:mod:`mmhuman_ext.datasets.synthetic.motion3d`).

    ``style='coco'`` paints each frame like the COCO-style figures PPT's
    demo is trained on (:mod:`~mmhuman_ext.datasets.synthetic.coco_figures`;
    arms drawn in front, clothes patterns redrawn each frame); ``'capsules'``
    uses the multi-view renderer
    (:mod:`~mmhuman_ext.datasets.synthetic.multiview_figures`, depth-sorted
    limbs, no pillars), which the PPT demo has never seen.

    Returns:
        dict: ``frames`` (T, h, w, 3) uint8 BGR, ``bboxes`` (T, 4) person
        boxes (joint extent + 25 %), ``keypoints_2d`` (T, 17, 2) Human3.6M
        pixels, ``keypoints_3d`` (T, 17, 3) camera axes, metres.
    """
    from mmhuman_ext.datasets.synthetic import coco_figures as cf
    from mmhuman_ext.datasets.synthetic import multiview_figures as mv
    from mmhuman_ext.datasets.synthetic.motion3d import (make_camera_rig,
                                                         render_2d,
                                                         sample_body,
                                                         synthesize_motion)
    from mmhuman_ext.geometry.h36m_cameras import world_to_camera
    if style not in ('coco', 'capsules'):
        raise ValueError(f"style must be 'coco' or 'capsules', got {style!r}")
    sid = int(subject.lstrip('S'))
    body = sample_body(np.random.default_rng([seed, 2000, sid]))
    rng = np.random.default_rng([seed, sid, sum(map(ord, action))])
    world = synthesize_motion(action, num_frames, rng, body)
    if style == 'capsules':
        cam = mv.toolbox_cameras(image_scale, seed)[camera]
        colours = mv._segment_colours(rng)
        background = mv._background(rng, *cam['size'])
        frames = [
            mv.render_view(pose, [], cam, colours, background)[0]
            for pose in world * 1000.
        ]
    rig, order = make_camera_rig(np.random.default_rng([seed, 1000]))
    cam = rig[(subject, order[camera])]
    cam_xyz = world_to_camera(world, cam['R'], cam['T'])
    kpts = render_2d(world, cam) * image_scale
    if style == 'coco':
        w, h = round(cam['w'] * image_scale), round(cam['h'] * image_scale)
        coco3d = coco_joints_3d(world)
        trunk = world[:, 8] - world[:, 0]
        head3d = (world[:, 9] + world[:, 10]) / 2
        head2d = render_2d(head3d[:, None], cam)[:, 0] * image_scale
        top2d = render_2d(
            (head3d + 0.3 * trunk)[:, None], cam)[:, 0] * image_scale
        coco2d = render_2d(coco3d, cam) * image_scale
        heights = 1.75 * cam['f'][1] * image_scale / cam_xyz[:, 0, 2]
        background = cf._background(rng, w, h)
        ids = np.zeros((h, w), np.uint8)
        for _ in range(6):  # still clutter
            centre = rng.uniform((0, 0), (w, h))
            cf._draw_object(rng, background, ids,
                            cf._random_shape(rng, centre, 0.1 * (w + h)), 0)
        frames = []
        for t in range(num_frames):
            img = background.copy()
            figure = _figure_frame(coco2d[t], head2d[t], top2d[t], heights[t])
            cf._draw_person(
                np.random.default_rng([seed, sid]), img,
                np.zeros((h, w), np.uint8), figure, 1)
            frames.append(img)
    lo, hi = kpts.min(1), kpts.max(1)
    centre, half = (lo + hi) / 2, (hi - lo).max(1, keepdims=True) * 0.625
    return dict(
        frames=np.stack(frames),
        bboxes=np.concatenate([centre - half, centre + half], 1),
        keypoints_2d=kpts,
        keypoints_3d=cam_xyz)


def read_video(path: str, max_frames: int = 0) -> np.ndarray:
    """(T, h, w, 3) uint8 BGR frames of a video file."""
    import cv2
    if not osp.isfile(path):
        raise FileNotFoundError(f'video not found: {path}')
    cap = cv2.VideoCapture(path)
    frames = []
    while not max_frames or len(frames) < max_frames:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    if not frames:
        raise ValueError(f'{path}: OpenCV read no frames')
    return np.stack(frames)


def detect_2d(pose_model, frames: np.ndarray, bboxes: np.ndarray):
    """Top-down keypoints of one person box per frame.

    Args:
        frames: (T, h, w, 3) uint8 BGR. bboxes: (T, 4) ``[x1, y1, x2, y2]``.

    Returns:
        tuple: keypoints (T, K, 2) pixels, scores (T, K).
    """
    from mmpose.apis import inference_topdown
    kpts, scores = [], []
    for frame, box in zip(frames, bboxes):
        pred = inference_topdown(
            pose_model, frame, box[None], bbox_format='xyxy')[0].pred_instances
        kpts.append(pred.keypoints[0])
        scores.append(pred.keypoint_scores[0])
    return np.stack(kpts).astype(np.float32), np.stack(scores)


@torch.no_grad()
def lift(lifter, windows: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """(T, N, 17, 2) normalised windows -> (T, 17, 3) root-relative centre
    frame poses (the lifter's ``predict``, flip test per its config)."""
    from mmpose.structures import PoseDataSample
    meta = dict(flip_indices=lifter.dataset_meta['flip_indices'])
    device = next(lifter.parameters()).device
    out = []
    for i in range(0, len(windows), batch_size):
        # a copy: the flip test flips its input in place
        x = torch.tensor(windows[i:i + batch_size], dtype=torch.float32)
        samples = [PoseDataSample(metainfo=meta) for _ in range(len(x))]
        for s in lifter.predict(x.to(device), samples):
            out.append(np.asarray(s.pred_instances.keypoints).reshape(-1, 3))
    return np.stack(out)


def lift_window(cfg) -> tuple:
    """``(seq_len, seq_step)`` of a lifter config's test dataset."""
    dataset = cfg.test_dataloader.dataset
    return int(dataset.seq_len), int(dataset.get('seq_step', 1))


def run_pipeline(pose_model, lifter, frames: np.ndarray,
                 bboxes: np.ndarray) -> dict:
    """Steps 1-5 of the module docstring on (T, h, w, 3) frames.

    Returns:
        dict: ``coco`` (T, 17, 2) pixels, ``scores`` (T, 17), ``h36m``
        (T, 17, 2) pixels, ``windows`` (T, N, 17, 2) normalised,
        ``poses_3d`` (T, 17, 3) root-relative, camera axes.
    """
    h, w = frames.shape[1:3]
    coco, scores = detect_2d(pose_model, frames, bboxes)
    h36m = coco_to_h36m(coco)
    seq_len, step = lift_window(lifter.cfg)
    windows = pose_windows(normalize_screen(h36m, w, h), seq_len, step)
    return dict(
        coco=coco,
        scores=scores,
        h36m=h36m,
        windows=windows,
        poses_3d=lift(lifter, windows))


def mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """mmpose's MPJPE of (T, 17, 3) poses after moving both roots (joint 0)
    to 0."""
    from mmpose.evaluation.functional import keypoint_mpjpe
    return float(
        keypoint_mpjpe(pred - pred[:, :1], gt - gt[:, :1],
                       np.ones(pred.shape[:2], bool)))


def draw_results(path: str,
                 frames: np.ndarray,
                 result: dict,
                 frame_ids,
                 bboxes=None,
                 gt_3d=None) -> None:
    """One column per frame: above, the frame (cropped to its person box
    when ``bboxes`` (T, 4) is given) with the PPT keypoints (dots) and the
    Human3.6M skeleton fed to the lifter; below, the lifted 3D pose (and the
    ground truth in grey when ``gt_3d`` (T, 17, 3) is given)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from mmhuman_ext.datasets.synthetic.motion3d import H36M_PARENTS
    links = [(p, j) for j, p in enumerate(H36M_PARENTS) if p >= 0]
    left = {4, 5, 6, 11, 12, 13}
    n = len(frame_ids)
    fig = plt.figure(figsize=(2.4 * n, 5.2))
    for col, t in enumerate(frame_ids):
        ax = fig.add_subplot(2, n, col + 1)
        ax.imshow(frames[t][..., ::-1])
        for i, j in links:
            p = result['h36m'][t][[i, j]]
            ax.plot(p[:, 0], p[:, 1], color='r' if j in left else 'b', lw=1.5)
        ax.scatter(
            *result['coco'][t].T,
            s=10,
            c='yellow',
            edgecolors='k',
            linewidths=0.4,
            zorder=3)
        if bboxes is not None:
            x1, y1, x2, y2 = bboxes[t]
            ax.set_xlim(x1, x2), ax.set_ylim(y2, y1)
        ax.set_title(f'frame {t}: PPT 2D', fontsize=8)
        ax.axis('off')
        ax = fig.add_subplot(2, n, n + col + 1, projection='3d')
        poses = [(result['poses_3d'][t], 'P-STMO')]
        if gt_3d is not None:
            poses.append((gt_3d[t] - gt_3d[t][:1], 'ground truth'))
        for k, (pose, label) in enumerate(poses):
            # camera axes (x right, y down, z forward) -> plot x, z, -y
            xyz = pose[:, [0, 2, 1]] * [1, 1, -1]
            for m, (i, j) in enumerate(links):
                colour = '0.6' if k else ('r' if j in left else 'b')
                ax.plot(
                    *xyz[[i, j]].T,
                    color=colour,
                    lw=2.5 if k else 1.5,
                    label=label if m == 0 else None)
        ax.set_xlim(-0.8, 0.8), ax.set_ylim(-0.8, 0.8), ax.set_zlim(-0.8, 0.8)
        ax.set_box_aspect((1, 1, 1))
        ax.set_xticklabels([]), ax.set_yticklabels([]), ax.set_zticklabels([])
        ax.view_init(elev=15, azim=-65)
        ax.set_title('3D, root-relative', fontsize=8)
        if col == 0:
            ax.legend(fontsize=7, loc='upper left')
    fig.subplots_adjust(
        left=0.01, right=0.99, top=0.95, bottom=0.01, wspace=0.05, hspace=0.08)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _check_files(args) -> None:
    """Exit naming every missing config / checkpoint and how to make it."""
    missing = []
    for path, kind in ((args.pose_config, 'pose'), (args.pose_checkpoint,
                                                    'pose'),
                       (args.lift_config, 'lift'), (args.lift_checkpoint,
                                                    'lift')):
        if not osp.isfile(path):
            missing.append(f'missing file: {path}\n{MISSING_HINT[kind]}')
    if missing:
        sys.exit('\n'.join(missing))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--pose-config', required=True)
    parser.add_argument('--pose-checkpoint', required=True)
    parser.add_argument('--lift-config', required=True)
    parser.add_argument('--lift-checkpoint', required=True)
    parser.add_argument('--work-dir', default='work_dirs/ppt_pstmo_video')
    parser.add_argument('--video', help='a video file (default: built-in)')
    parser.add_argument(
        '--bbox',
        type=float,
        nargs=4,
        help='person box x1 y1 x2 y2 for --video')
    parser.add_argument('--num-frames', type=int, default=100)
    parser.add_argument('--subject', default='S9')
    parser.add_argument('--action', default='Discussion')
    parser.add_argument('--camera', type=int, default=2)
    parser.add_argument(
        '--style', default='coco', choices=['coco', 'capsules'])
    parser.add_argument(
        '--show',
        type=int,
        nargs='+',
        help='frames in the picture (default: 4 spread)')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    _check_files(args)
    from mmhuman_ext.apis import init_pose_model
    from mmhuman_ext.utils.atomic_io import atomic_write_bytes
    pose_model = init_pose_model(args.pose_config, args.pose_checkpoint,
                                 args.device)
    lifter = init_pose_model(args.lift_config, args.lift_checkpoint,
                             args.device)
    gt_3d = None
    if args.video:
        frames = read_video(args.video, args.num_frames)
        h, w = frames.shape[1:3]
        box = args.bbox or [0, 0, w, h]
        bboxes = np.tile(np.asarray(box, np.float32), (len(frames), 1))
    else:
        video = synthetic_video(
            args.num_frames,
            args.subject,
            args.action,
            args.camera,
            style=args.style)
        frames, bboxes, gt_3d = (video['frames'], video['bboxes'],
                                 video['keypoints_3d'])
    result = run_pipeline(pose_model, lifter, frames, bboxes)
    os.makedirs(args.work_dir, exist_ok=True)
    buffer = io.BytesIO()
    np.savez(buffer, **{k: v for k, v in result.items() if k != 'windows'})
    atomic_write_bytes(osp.join(args.work_dir, 'results.npz'),
                       buffer.getvalue())
    T = len(frames)
    show = args.show or [int(round(x)) for x in np.linspace(0, T - 1, 4)]
    picture = osp.join(args.work_dir, 'ppt_pstmo_video.png')
    draw_results(picture, frames, result, show, bboxes, gt_3d)
    print(f'{T} frames, windows of {result["windows"].shape[1]}; results: '
          f'{args.work_dir}/results.npz, picture: {picture}')
    if gt_3d is not None:
        gt_2d = video['keypoints_2d']
        err_2d = np.linalg.norm(result['h36m'] - gt_2d, axis=-1)
        h, w = frames.shape[1:3]
        gt_lifted = lift(
            lifter,
            pose_windows(
                normalize_screen(gt_2d, w, h), *lift_window(lifter.cfg)))
        size = np.linalg.norm(gt_2d[:, 0] - gt_2d[:, 10], axis=-1).mean()
        print(f'mapped PPT joints vs true 2D: {err_2d.mean():.1f} px mean '
              f'(pelvis to head top: {size:.0f} px)')
        print(
            f'MPJPE vs true 3D: {1000 * mpjpe(result["poses_3d"], gt_3d):.1f}'
            f' mm from PPT 2D, {1000 * mpjpe(gt_lifted, gt_3d):.1f} mm '
            'lifting the true 2D')


if __name__ == '__main__':
    main()
