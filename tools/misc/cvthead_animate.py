"""Animate one source frame with a trained CVTHead.

    # reenactment: drive with the codes of another video's frames
    python tools/misc/cvthead_animate.py CONFIG CKPT --data-root DIR \
        --video SRC_VIDEO [--frame 0] --driving-video DRV_VIDEO --out OUT
    # FLAME control sweeps (shape, expression, head yaw, jaw opening)
    python tools/misc/cvthead_animate.py CONFIG CKPT --data-root DIR \
        --video SRC_VIDEO --control yaw jaw exp shape --out OUT

Writes OUT/<name>_NNN.png per frame, a strip OUT/<name>.png with the source
first, and OUT/<name>.mp4 with --video-out. The data folder has the
VoxCeleb layout of VoxCelebReenactDataset (frames, parsing, deca codes).
"""
import argparse
import os.path as osp
import sys

import numpy as np


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--data-root', required=True)
    p.add_argument('--video', required=True, help='source video name')
    p.add_argument('--frame', type=int, default=0, help='source frame id')
    p.add_argument('--driving-video', help='drive with this video\'s codes')
    p.add_argument('--cross-identity', action='store_true',
                   help='keep the source crop transform (another person)')
    p.add_argument('--control', nargs='+', default=[],
                   choices=['shape', 'exp', 'yaw', 'jaw'])
    p.add_argument('--out', required=True)
    p.add_argument('--video-out', action='store_true', help='also write mp4')
    p.add_argument('--fps', type=int, default=10)
    p.add_argument('--device', default='cpu')
    p.add_argument('--partial-load', action='store_true',
                   help='use a checkpoint that fills fewer than half of the '
                   'model\'s tensors (refused by default)')
    return p.parse_args(argv)


def _load(root, video, frame, size):
    from mmhuman_ext.datasets.transforms.reenact_transforms import \
        LoadReenactPair
    res = LoadReenactPair(size)(dict(
        video=video, src_frame=frame, drv_video=video, drv_frame=frame,
        dirs=dict(frames=osp.join(root, 'frames'),
                  parsing=osp.join(root, 'parsing'),
                  codes=osp.join(root, 'deca'),
                  landmarks=osp.join(root, 'landmarks'))))
    return res['src_img'], res['src_mask'], res['src_codes']


def _write(out, name, frames, source, fps, video):
    """RGB ``frames`` as PNGs, a strip after ``source`` and optionally an
    mp4, each written atomically."""
    from mmhuman_ext.apis.video_io import VideoWriter
    from mmhuman_ext.utils import atomic_write_image
    for i, f in enumerate(frames):
        atomic_write_image(osp.join(out, f'{name}_{i:03d}.png'), f[..., ::-1])
    atomic_write_image(osp.join(out, f'{name}.png'),
                       np.concatenate([source] + frames, 1)[..., ::-1])
    if video:
        with VideoWriter(osp.join(out, f'{name}.mp4'), fps=fps,
                         channel_order='rgb') as writer:
            for f in frames:
                writer.write(f)


def main(argv=None):
    import json

    import torch

    from mmhuman_ext.apis import HeadAnimator
    args = parse_args(argv)
    if not args.driving_video and not args.control:
        sys.exit('give --driving-video and/or --control')
    anim = HeadAnimator.from_config(args.config, args.checkpoint,
                                    args.device, args.partial_load)
    size = anim.model.generator.rasterizer.image_size[0]
    img, mask, codes = _load(args.data_root, args.video, args.frame, size)
    anim.set_source(torch.from_numpy(img), torch.from_numpy(mask), codes)
    source = ((img.transpose(1, 2, 0) + 1) * 127.5).clip(0, 255).astype(
        np.uint8)
    if args.driving_video:
        with open(osp.join(args.data_root, 'test_imgs.json')) as f:
            videos = json.load(f)
        if osp.isfile(osp.join(args.data_root, 'train_imgs.json')):
            with open(osp.join(args.data_root, 'train_imgs.json')) as f:
                videos.update(json.load(f))
        if args.driving_video not in videos:
            sys.exit(f'{args.driving_video} is in neither split file')
        frames, drivers = [], []
        for fid in videos[args.driving_video]:
            dimg, _, dcodes = _load(args.data_root, args.driving_video, fid,
                                    size)
            over = dict(exp=dcodes['exp'], pose=dcodes['pose'],
                        cam=dcodes['cam'])
            if not args.cross_identity:
                over['tform'] = dcodes['tform']
            frames.append(anim.render(**over)['image'])
            drivers.append(((dimg.transpose(1, 2, 0) + 1) * 127.5).clip(
                0, 255).astype(np.uint8))
        _write(args.out, 'drivers', drivers, source, args.fps, False)
        _write(args.out, 'reenact', frames, source, args.fps, args.video_out)
    for name in args.control:
        _write(args.out, f'control_{name}', anim.sweep(name), source,
               args.fps, args.video_out)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
