"""Inference on pictures, folders and videos, one command per task.

    # 2D pose (TokenPose / PPT), optionally lifted to 3D (P-STMO): mmpose's
    # MMPoseInferencer, person boxes from a local mmdet model or the whole
    # picture
    python tools/infer.py pose INPUT --pose2d CFG --pose2d-weights CKPT \
        [--pose3d CFG --pose3d-weights CKPT] \
        [--det-model DET_CFG --det-weights DET_CKPT] --out-dir DIR
    # multi-view 2D + triangulated 3D (TransFusion, multi-view PPT)
    python tools/infer.py multiview CFG CKPT VIEW0 VIEW1 ... \
        --cameras cameras.json [--bboxes boxes.json] --out-dir DIR
    # head avatars (CVTHead): reenactment or FLAME controls
    python tools/infer.py head CFG CKPT DRIVING [DRIVING ...] \
        --data-root DIR --source-video VIDEO [--source-frame 0] --out-dir DIR
    # text-driven video editing (MaskINT); knobs: --ddim-steps,
    # --guidance-scale, --negative-prompt, --controlnet-scale,
    # --keyframe-stride, --decode-steps, --seed, --half, --cpu-offload
    python tools/infer.py edit CFG CKPT VIDEO --prompt "a wolf" --out-dir DIR
    # one-shot human motion transfer (ORFNT)
    python tools/infer.py motion CFG CKPT --source IMG --driving DRIVING \
        --out-dir DIR

Example inputs for every mode: tools/misc/make_examples.py; a command per
mode and the input formats: docs/inference.md. A checkpoint that fills fewer
than half of the model's tensors is refused (--partial-load: use it anyway).
pose without --det-model uses one box over the whole picture (warned).

INPUT is a picture, a folder of pictures or a video; VIEWi one picture,
folder or video per camera (synchronised). DRIVING is a video of the data
root, a FLAME controls ``.npz`` or a sweep name (shape, exp, yaw, jaw).

pose, multiview and head write ``DIR/visualizations/`` (pictures, or a
video for video input) and ``DIR/predictions/`` (JSON: one file per
picture, one per video). edit and motion run the MaskINT and motion-transfer
APIs (:mod:`mmhuman_ext.apis.video_editing`,
:mod:`mmhuman_ext.apis.motion_transfer`) and write their outputs: edit
``DIR/edited/*.png``, ``DIR/edited.mp4`` (with the source's audio),
``DIR/edited.gif`` (source size and frame rate), ``DIR/keyframes/``;
motion ``DIR/frames/*.png``, ``DIR/animation.mp4``
(``DIR/comparison.mp4`` with ``--comparison``).
"""
import argparse
import json
import os
import sys


def _pose_args(sub):
    p = sub.add_parser('pose', help='2D pose / 2D -> 3D lifting (mmpose)')
    p.add_argument('inputs', help='picture, folder of pictures or video')
    p.add_argument('--pose2d', required=True, help='2D pose config')
    p.add_argument('--pose2d-weights', help='2D pose checkpoint')
    p.add_argument('--pose3d', help='lifting config (P-STMO)')
    p.add_argument('--pose3d-weights', help='lifting checkpoint')
    p.add_argument(
        '--det-model',
        default='whole_image',
        help="mmdet config of a person detector, or "
        "'whole_image' (default: one box = the whole picture)")
    p.add_argument('--det-weights', help='detector checkpoint')
    p.add_argument(
        '--det-cat-ids',
        type=int,
        nargs='+',
        default=[0],
        help='detector class ids kept as persons')
    p.add_argument('--bbox-thr', type=float, default=0.3)
    p.add_argument('--nms-thr', type=float, default=0.3)
    p.add_argument('--kpt-thr', type=float, default=0.3)
    p.add_argument('--draw-bbox', action='store_true')
    p.add_argument('--radius', type=int, default=3)
    p.add_argument('--thickness', type=int, default=1)


def _multiview_args(sub):
    p = sub.add_parser('multiview', help='multi-view 2D + triangulated 3D')
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument(
        'views',
        nargs='+',
        help='one picture / folder / video '
        'per camera, in camera order')
    p.add_argument(
        '--cameras',
        required=True,
        help='JSON list of the V cameras (H36M-Toolbox layout)')
    p.add_argument(
        '--bboxes',
        help='JSON list of V person boxes '
        '[x1, y1, x2, y2] (default: whole pictures)')
    p.add_argument('--kpt-thr', type=float, default=0.3)
    p.add_argument('--batch-size', type=int, default=1)


def _head_args(sub):
    from mmengine.config import DictAction
    p = sub.add_parser('head', help='CVTHead head avatar animation')
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument(
        'driving',
        nargs='+',
        help='driving video of the data '
        'root, FLAME controls .npz, or shape / exp / yaw / jaw')
    p.add_argument(
        '--data-root',
        required=True,
        help='VoxCeleb-layout folder (frames, parsing, deca)')
    p.add_argument('--source-video', required=True)
    p.add_argument('--source-frame', type=int, default=0)
    p.add_argument(
        '--cross-identity',
        action='store_true',
        help='keep the source crop transform (another person)')
    p.add_argument('--fps', type=float, default=10.)
    p.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. the head model files '
        'model.flame.model_path=...')


def _edit_args(sub):
    from mmengine.config import DictAction
    p = sub.add_parser('edit', help='MaskINT text-driven video editing')
    p.add_argument('config', help='config of a MaskINTEditPipeline')
    p.add_argument(
        'checkpoint',
        help='stage-2 MaskINT checkpoint (none: random weights, only with '
        '--random-interpolator)')
    p.add_argument('video', help='video file or folder of frames')
    p.add_argument('--prompt', required=True, help='the edit, as text')
    p.add_argument('--negative-prompt', help='the unconditional prompt')
    p.add_argument('--start', type=int, default=0, help='first frame')
    p.add_argument('--interval', type=int, default=1, help='frame step')
    p.add_argument('--max-frames', type=int, default=0, help='0: all')
    p.add_argument(
        '--fps',
        type=float,
        help="output frame rate (default: the input video's / interval)")
    p.add_argument('--ddim-steps', type=int, help='stage-1 DDIM steps')
    p.add_argument(
        '--guidance-scale', type=float, help='classifier-free guidance')
    p.add_argument(
        '--controlnet-scale', type=float, help='ControlNet residual scale')
    p.add_argument(
        '--keyframe-stride',
        type=int,
        help='frames from one keyframe to the next')
    p.add_argument('--decode-steps', type=int, help='stage-2 passes K')
    p.add_argument('--seed', type=int, help='noise and token sampling')
    p.add_argument(
        '--half',
        action='store_true',
        help='stage-1 networks in float16 (CUDA)')
    p.add_argument(
        '--cpu-offload',
        action='store_true',
        help='networks on the GPU only while their stage runs')
    p.add_argument(
        '--random-interpolator',
        action='store_true',
        help='run with a random-weight interpolator (checkpoint: none); '
        'the output is noise (tests, timing)')
    p.add_argument('--no-gif', action='store_true')
    p.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, key=value (e.g. model.seed=1, '
        'model.num_steps=8: the decoding passes)')


def _motion_args(sub):
    p = sub.add_parser('motion', help='one-shot human motion transfer')
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--source', required=True, help='source image')
    p.add_argument(
        '--driving',
        required=True,
        help='IUV folder, video folder, or video / frames with '
        '--densepose-model')
    p.add_argument('--source-iuv', help='DensePose IUV file of the source')
    p.add_argument(
        '--iuv-channel-order',
        default='IUV_cv2',
        choices=('IUV_cv2', 'IUV_rgb'))
    p.add_argument(
        '--densepose-model', help='TorchScript DensePose model for RGB inputs')
    p.add_argument(
        '--comparison', action='store_true', help='also write comparison.mp4')
    p.add_argument('--fps', type=float, default=25)
    p.add_argument('--batch-size', type=int, default=8)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[2:]))
    sub = parser.add_subparsers(dest='task', required=True)
    for add in (_pose_args, _multiview_args, _head_args, _edit_args,
                _motion_args):
        add(sub)
    for p in sub.choices.values():
        p.add_argument('--out-dir', required=True)
        p.add_argument(
            '--device',
            default=None,
            help='cpu, cuda, cuda:1 (default: CUDA if present)')
        p.add_argument(
            '--partial-load',
            action='store_true',
            help='use a checkpoint that fills fewer than half of the '
            "model's tensors (refused by default: another model's)")
    return parser.parse_args(argv)


WHOLE_IMAGE_WARNING = (
    'pose: no person detector given (--det-model whole_image), so each '
    'picture is ONE person box covering the whole picture: right for '
    'pictures cropped around one person, a meaningless skeleton on scenes. '
    'For scenes give a local mmdet detector: --det-model DET_CONFIG.py '
    '--det-weights DET_CHECKPOINT.pth [--det-cat-ids 0]; for known boxes '
    'use mmhuman_ext.apis.estimate_poses(model, image, bboxes). See '
    'docs/inference.md#person-boxes.')


#: what ``predictions/`` hold for 2D -> 3D (written beside them)
POSE3D_CONVENTION = dict(
    keypoints=('per instance, the lifter\'s 3D keypoints (K, 3) of the '
               'current frame: Human3.6M\'s 17 joints'),
    origin='root-relative: the root joint (pelvis, index 0) is at (0, 0, 0)',
    units='those of the lifter\'s training targets (metres for Human3.6M)',
    axes='mmpose\'s display axes: x = -x_camera, y = z_camera (depth away '
    'from the camera), z = -y_camera (up)')


def check_lifter_joints(config: str) -> None:
    """Exit unless the lifter predicts Human3.6M joints: mmpose's
    inferencer converts 2D keypoints to those only."""
    from mmengine.config import Config

    from mmhuman_ext.apis.inferencers.base import dataset_meta_of
    meta = dataset_meta_of(None, None, Config.fromfile(config))
    if meta.get('dataset_name') != 'h36m':
        sys.exit(f'--pose3d {config}: a lifter of '
                 f'{meta.get("dataset_name")!r} joints; mmpose\'s inferencer '
                 'converts 2D keypoints to Human3.6M joints only, so only '
                 'Human3.6M lifters run here')


def check_pose_weights(inferencer, args) -> None:
    """The checkpoint-fit check of the 2D (and lifting) models that
    mmpose's inferencer loaded (mmpose loads any checkpoint silently)."""
    from mmengine.logging import print_log

    from mmhuman_ext.utils.checkpoint import load_checkpoint_file
    from mmhuman_ext.utils.run import check_checkpoint_fit
    models = [(inferencer.inferencer.model,
               args.pose3d_weights if args.pose3d else args.pose2d_weights)]
    if args.pose3d:
        models.append((inferencer.inferencer.pose2d_model.model,
                       args.pose2d_weights))
    for model, path in models:
        if path:
            print_log(
                check_checkpoint_fit(model,
                                     load_checkpoint_file(path, 'cpu'), path,
                                     args.partial_load),
                logger='current')


def run_pose(args):
    """mmpose's MMPoseInferencer, as its demo/inferencer_demo.py runs it."""
    from mmpose.apis import MMPoseInferencer

    from mmhuman_ext.datasets.annotation_errors import image_file_problem
    if args.det_model != 'whole_image' and not args.det_weights:
        sys.exit('--det-model needs --det-weights (a local checkpoint)')
    pictures = [args.inputs]
    if os.path.isdir(args.inputs):
        pictures = [os.path.join(args.inputs, name)
                    for name in sorted(os.listdir(args.inputs))]
    bad = [p for p in map(image_file_problem, pictures) if p]
    if bad:
        sys.exit(f'pose: {len(bad)} input picture(s) cannot be decoded, '
                 f'e.g. {bad[:3]}; expected JPEG / PNG / BMP pictures or a '
                 'video')
    if args.pose3d:
        check_lifter_joints(args.pose3d)
    if args.det_model == 'whole_image':
        print(f'warning: {WHOLE_IMAGE_WARNING}', file=sys.stderr)
    inferencer = MMPoseInferencer(
        pose2d=args.pose2d,
        pose2d_weights=args.pose2d_weights,
        pose3d=args.pose3d,
        pose3d_weights=args.pose3d_weights,
        device=args.device,
        det_model=args.det_model,
        det_weights=args.det_weights,
        det_cat_ids=args.det_cat_ids,
        show_progress=True)
    check_pose_weights(inferencer, args)
    extra = {}
    if args.pose3d:
        # mmpose would shift z so that the lowest joint is at 0
        extra['disable_rebase_keypoint'] = True
    count = 0
    for _ in inferencer(
            args.inputs,
            out_dir=args.out_dir,
            **extra,
            bbox_thr=args.bbox_thr,
            nms_thr=args.nms_thr,
            kpt_thr=args.kpt_thr,
            draw_bbox=args.draw_bbox,
            radius=args.radius,
            thickness=args.thickness):
        count += 1
    if not count:
        sys.exit(f'pose: {args.inputs} gave no picture or video frame (an '
                 'empty folder, or a video without a readable video stream?); '
                 'nothing was written')
    if args.pose3d:
        from mmhuman_ext.utils.atomic_io import atomic_write_text
        atomic_write_text(
            os.path.join(args.out_dir, 'predictions',
                         '_keypoints_3d_convention.json'),
            json.dumps(POSE3D_CONVENTION, indent=1))
    return count


def run_multiview(args):
    from mmhuman_ext.apis.inferencers import MultiViewPoseInferencer
    bboxes = None
    if args.bboxes:
        with open(args.bboxes) as f:
            bboxes = json.load(f)
    inferencer = MultiViewPoseInferencer(
        args.config,
        args.checkpoint,
        args.device,
        allow_partial=args.partial_load)
    result = inferencer(
        args.views if len(args.views) > 1 else args.views[0],
        cameras=args.cameras,
        bboxes=bboxes,
        batch_size=args.batch_size,
        kpt_thr=args.kpt_thr,
        out_dir=args.out_dir)
    return len(result['predictions'])


def run_head(args):
    from mmengine.config import Config

    from mmhuman_ext.apis.inferencers import HeadAvatarInferencer
    from mmhuman_ext.datasets.layout import generate_builtin_data
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    # a built-in dataset writes the head model files its model reads
    generate_builtin_data(cfg, splits=('test', ))
    inferencer = HeadAvatarInferencer(
        cfg,
        args.checkpoint,
        args.data_root,
        args.device,
        allow_partial=args.partial_load)
    result = inferencer(
        args.driving,
        source=dict(video=args.source_video, frame=args.source_frame),
        cross_identity=args.cross_identity,
        fps=args.fps,
        out_dir=args.out_dir)
    return sum(len(p['frames']) for p in result['predictions'])


def _device(args) -> str:
    import torch
    return args.device or ('cuda' if torch.cuda.is_available() else 'cpu')


def run_edit(args):
    """MaskINT through :class:`~mmhuman_ext.apis.video_editing.VideoEditor`:
    every argument, the input, the output folder, the weights and the
    checkpoint are checked before a network is built; progress bars with
    ETA for the structure maps, the DDIM steps and the decoding passes."""
    from mmhuman_ext.apis.video_editing import (KNOBS, VideoEditor,
                                                check_edit_args,
                                                open_edit_input,
                                                prepare_out_dir)
    from mmhuman_ext.utils.run import CheckpointMismatchError
    # every API knob is a flag of the same name
    names = {k: '--' + k.replace('_', '-') for k in (*KNOBS, 'max_frames')}
    # the knobs that set a pipeline field (the others read the input)
    knobs = {k: getattr(args, k) for k, (field, _, _) in KNOBS.items()
             if field is not None}
    checkpoint = None if args.checkpoint == 'none' else args.checkpoint
    device = _device(args)
    try:
        check_edit_args(names, start=args.start, interval=args.interval,
                        max_frames=args.max_frames, fps=args.fps, **knobs)
        open_edit_input(args.video, args.start, args.interval,
                        args.max_frames, names)
        prepare_out_dir(args.out_dir)
        editor = VideoEditor.from_config(
            args.config, checkpoint, device, args.cfg_options,
            random_interpolator=args.random_interpolator, half=args.half,
            cpu_offload=args.cpu_offload, names=names,
            allow_partial=args.partial_load, **knobs)
    except CheckpointMismatchError:
        raise  # main() says that nothing was written
    except (ValueError, OSError) as exc:
        sys.exit(f'edit: {exc}')
    result = editor.edit_video(
        args.video,
        args.prompt,
        args.out_dir,
        start=args.start,
        interval=args.interval,
        max_frames=args.max_frames,
        fps=args.fps,
        gif=not args.no_gif,
        progress=True,
        names=names)
    stages = ', '.join(f'{k[8:-2]} {v:.2f} s' for k, v in result.items()
                       if k.startswith('runtime_') and k != 'runtime_s')
    print(f'{result["num_frames"]} frames of {result["size"][1]}x'
          f'{result["size"][0]} at {result["fps"]:g} fps (edited at '
          f'{result["working_size"][1]}x{result["working_size"][0]}), '
          f'keyframes {result["keyframes"]}: {result["runtime_s"]:.2f} s '
          f'({stages}); {result["nfe_diffusion"]} U-Net+ControlNet '
          f'evaluations, {result["nfe_transformer"]} transformer passes')
    print('wrote ' + ', '.join(result['paths'].values()))
    return result['num_frames']


def run_motion(args):
    """Motion transfer through
    :func:`~mmhuman_ext.apis.motion_transfer.motion_transfer_video`."""
    from mmhuman_ext.apis.motion_transfer import (MotionTransferer,
                                                  motion_transfer_video)
    transferer = MotionTransferer.from_config(
        args.config,
        args.checkpoint,
        _device(args),
        allow_partial=args.partial_load)
    paths = motion_transfer_video(
        transferer,
        args.source,
        args.driving,
        args.out_dir,
        source_iuv=args.source_iuv,
        channel_order=args.iuv_channel_order,
        densepose_model=args.densepose_model,
        fps=args.fps,
        batch_size=args.batch_size,
        comparison=args.comparison,
        progress=True)
    return len(os.listdir(paths['frames']))


TASKS = dict(
    pose=run_pose,
    multiview=run_multiview,
    head=run_head,
    edit=run_edit,
    motion=run_motion)


def main(argv=None):
    from mmhuman_ext.utils import register_all_modules
    args = parse_args(argv)
    from mmhuman_ext.utils.run import CheckpointMismatchError
    register_all_modules(init_default_scope=False)
    try:
        count = TASKS[args.task](args)
    except CheckpointMismatchError as err:
        sys.exit(f'{args.task}: {err}; nothing was written')
    print(f'{args.task}: {count} result(s) written under {args.out_dir}')


if __name__ == '__main__':
    main()
