"""Edit a video with a text prompt: MaskINT (joint keyframe diffusion +
structure-aware masked-token interpolation).

    python tools/misc/maskint_edit.py CONFIG CKPT --video IN.mp4 \
        --prompt "a wolf" --out DIR [--max-frames 60] [--device cuda]

CONFIG holds a ``MaskINTEditPipeline`` as ``model`` (e.g.
configs/maskint/maskint-edit_hed_384x672.py, every network from a local
folder); CKPT is the stage-2 MaskINT checkpoint from tools/train.py. Writes
DIR/edited/00000.png ..., DIR/edited.mp4, DIR/edited.gif and the stage-1
keyframes DIR/keyframes/*.png, and prints the time and network evaluations
per stage.
"""
import argparse


def parse_args(argv=None):
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('checkpoint', help='stage-2 MaskINT checkpoint')
    p.add_argument('--video', required=True,
                   help='video file or folder of frames')
    p.add_argument('--prompt', required=True, help='the edit, as text')
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--start', type=int, default=0, help='first frame')
    p.add_argument('--interval', type=int, default=1, help='frame step')
    p.add_argument('--max-frames', type=int, default=0, help='0: all')
    p.add_argument('--fps', type=float, help='output frame rate (default: '
                   'the input video\'s)')
    p.add_argument('--seed', type=int, help='overrides the config seed')
    p.add_argument('--steps', type=int, help='decoding passes K')
    p.add_argument('--no-gif', action='store_true')
    p.add_argument('--device', default='cpu')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config entries, key=value')
    return p.parse_args(argv)


def main(argv=None):
    from mmhuman_ext.apis.video_editing import VideoEditor, save_edit
    args = parse_args(argv)
    options = dict(args.cfg_options or {})
    if args.seed is not None:
        options['model.seed'] = args.seed
    if args.steps is not None:
        options['model.num_steps'] = args.steps
    editor = VideoEditor.from_config(args.config, args.checkpoint,
                                     args.device, options)
    result = editor.edit_video(args.video, args.prompt, start=args.start,
                               interval=args.interval,
                               max_frames=args.max_frames, progress=True)
    paths = save_edit(result, args.out, fps=args.fps or editor.last_fps,
                      gif=not args.no_gif)
    stages = ', '.join(f'{k[8:-2]} {v:.2f} s' for k, v in result.items()
                       if k.startswith('runtime_') and k != 'runtime_s')
    print(f'{len(result["pred_frames"])} frames, keyframes '
          f'{result["keyframes"]}: {result["runtime_s"]:.2f} s ({stages}); '
          f'{result["nfe_diffusion"]} U-Net+ControlNet evaluations, '
          f'{result["nfe_transformer"]} transformer passes')
    print('wrote ' + ', '.join(paths.values()))


if __name__ == '__main__':
    main()
