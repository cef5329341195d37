"""Edit a video with a text prompt: MaskINT (joint keyframe diffusion +
structure-aware masked-token interpolation). The same as
``tools/infer.py edit`` (every flag of it is accepted here too):

    python tools/misc/maskint_edit.py CONFIG CKPT --video IN.mp4 \
        --prompt "a wolf" --out DIR [--max-frames 60] [--device cuda]

CONFIG holds a ``MaskINTEditPipeline`` as ``model`` (e.g.
configs/maskint/maskint-edit-hed_davis2017-384x672.py, every network from a
local folder); CKPT is the stage-2 MaskINT checkpoint from tools/train.py.
Writes DIR/edited/00000.png ..., DIR/edited.mp4, DIR/edited.gif and the
stage-1 keyframes DIR/keyframes/*.png, and prints the time and network
evaluations per stage.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(__file__), '..'))
import infer  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--video', required=True,
                   help='video file or folder of frames')
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--steps', type=int, help='decoding passes K '
                   '(--decode-steps)')
    args, rest = p.parse_known_args(argv)
    config_ckpt = [a for a in rest[:2]]
    extra = rest[2:] + (['--decode-steps', str(args.steps)]
                        if args.steps is not None else [])
    infer.main(['edit', *config_ckpt, args.video, '--out-dir', args.out,
                *extra])


if __name__ == '__main__':
    main()
