"""The CPU demo edit: how well stage 2 propagates a known keyframe edit.

    python tools/analysis/maskint_demo_edit.py \
        configs/demo/maskint-edit-hueshift_synthvideos512-64x96.py CKPT \
        [--strip docs/images/maskint_demo_edit_strip.png] [--index 1] \
        [--video REAL.mp4 --video-strip real_strip.jpg --video-frames 8 \
         --video-resolution 180 320] [--out results.json]

CONFIG is an edit pipeline whose keyframe editor is
``HueShiftKeyframeEditor``. On every clip of the interpolator's held-out
set (the demo's validation clips: 8 frames, interval 4) the first and last
frames are hue-shifted (stage 1) and MaskINT fills in the frames between;
the same hue shift applied to every source frame is the ground truth.
Reported over the intermediate frames (PSNR / SSIM / LPIPS with a random
AlexNet, as the demo's validation): MaskINT, linear blending of the edited
keyframes, a copy of the nearest edited keyframe, and the VQ
reconstruction of the ground truth (the best any token interpolator can
do).

``--strip``: rows source, ground truth, MaskINT, linear blend, nearest
keyframe for clip ``--index``. ``--video``: the same edit of a real video
file with ``VideoEditor.edit_video`` (streamed, at the source size); the
strip shows ``--video-frames`` evenly spaced frames: source, MaskINT,
ground truth (every frame hue-shifted at the source size).
"""
import argparse
import json
import os.path as osp
import sys
import tempfile

import numpy as np
import torch
from mmengine.config import Config

from mmhuman_ext.apis.video_editing import VideoEditor, open_edit_input
from mmhuman_ext.evaluation.metrics.frame_interpolation_metric import (
    FrameInterpolationMetric, keyframe_baselines)
from mmhuman_ext.models.editors.maskint.hue_shift_editor import hue_shift
from mmhuman_ext.registry import DATASETS
from mmhuman_ext.utils.atomic_io import atomic_write_image, atomic_write_text
from mmhuman_ext.utils.video import read_video_frames


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--strip', help='picture strip of one held-out clip')
    p.add_argument('--index', type=int, default=1, help='clip of the strip')
    p.add_argument('--video', help='a real video to edit as well')
    p.add_argument('--video-strip', help='its picture strip')
    p.add_argument('--video-frames', type=int, default=8)
    p.add_argument('--max-frames', type=int, default=0,
                   help='frames of --video edited (0: all)')
    p.add_argument('--video-resolution', type=int, nargs=2,
                   help='edit --video at about this many pixels (default: '
                   'the config\'s resolution)')
    p.add_argument('--out', help='write the figures as JSON')
    return p.parse_args(argv)


def evaluate(editor: VideoEditor, dataset, strip_index=None):
    """Scores of every held-out clip; returns the means per row and the
    strip rows of clip ``strip_index``."""
    metric = FrameInterpolationMetric()
    pipeline = editor.pipeline
    degrees = pipeline.keyframe_editor.degrees
    rows = {name: [] for name in ('maskint', 'linear', 'nearest', 'vq')}
    strip = None
    for i in range(len(dataset)):
        frames = dataset[i]['inputs']['frames'].float() / 255
        res = pipeline.edit(frames)
        gt = hue_shift(frames, degrees)
        given = torch.zeros(len(frames), dtype=torch.bool)
        given[res['keyframes']] = True
        keys = torch.zeros_like(gt)
        keys[given] = res['keyframe_pixels']
        base = keyframe_baselines(keys, given)
        tok = pipeline.tokenizer
        vq = (tok.decode(tok.encode(gt * 2 - 1)) + 1) / 2
        preds = dict(maskint=res['pred_frames'], linear=base['linear'],
                     nearest=base['nearest'], vq=vq)
        mid = ~given
        for name, pred in preds.items():
            rows[name].append(metric.clip_scores(pred[mid] * 2 - 1,
                                                 gt[mid] * 2 - 1))
        if i == strip_index:
            strip = [(frames, 'source'), (gt, 'ground truth'),
                     (res['pred_frames'], 'MaskINT'),
                     (base['linear'], 'linear blend'),
                     (base['nearest'], 'nearest keyframe')]
    means = {
        name: {k: float(np.mean([s[k] for s in scores]))
               for k in scores[0]}
        for name, scores in rows.items()
    }
    return means, strip


def write_strip(path: str, rows) -> None:
    """Labelled rows of ``(N, 3, H, W)`` frames in [0, 1] as one PNG."""
    sys.path.insert(0, osp.join(osp.dirname(__file__), '..', 'misc'))
    from maskint_interpolation_strip import _row
    atomic_write_image(path, np.concatenate(
        [_row(frames * 2 - 1, label) for frames, label in rows], 0))
    print(f'wrote {path}')


def edit_real_video(editor, args) -> dict:
    """Edit ``args.video`` streamed at the source size; returns the
    statistics and the strip rows."""
    pipeline = editor.pipeline
    resolution = pipeline.resolution
    if args.video_resolution:
        pipeline.resolution = tuple(args.video_resolution)
    with tempfile.TemporaryDirectory() as tmp:
        stats = editor.edit_video(args.video, 'hue shift', tmp, gif=False,
                                  max_frames=args.max_frames)
        count = stats['num_frames']
        pick = np.linspace(0, count - 1, args.video_frames).round().astype(
            int)
        edited = list(read_video_frames(stats['paths']['mp4'],
                                        channel_order='rgb'))
    pipeline.resolution = resolution
    source = open_edit_input(args.video)['source']
    src = torch.from_numpy(np.stack(source.read(list(pick)))).permute(
        0, 3, 1, 2).float() / 255
    out = torch.from_numpy(np.stack([edited[i] for i in pick])).permute(
        0, 3, 1, 2).float() / 255
    gt = hue_shift(src, editor.pipeline.keyframe_editor.degrees)
    small = (src.shape[-2] // 4, src.shape[-1] // 4)

    def shrink(x):
        return torch.nn.functional.interpolate(x, size=small, mode='area')

    rows = [(shrink(src), 'source'), (shrink(out), 'MaskINT'),
            (shrink(gt), 'ground truth')]
    info = {k: stats[k] for k in ('num_frames', 'size', 'fps', 'keyframes',
                                  'working_size', 'runtime_s',
                                  'nfe_transformer')}
    info['strip_frames'] = pick.tolist()
    return info, rows


def main(argv=None):
    args = parse_args(argv)
    editor = VideoEditor.from_config(args.config, args.checkpoint)
    cfg = Config.fromfile(args.config)
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    torch.manual_seed(0)
    means, strip = evaluate(editor, dataset,
                            args.index if args.strip else None)
    print(f'{len(dataset)} held-out clips, intermediate frames; hue shift '
          f'{editor.pipeline.keyframe_editor.degrees:g} degrees')
    print(f'{"row":<40}{"PSNR":>8}{"SSIM":>8}{"LPIPS":>8}')
    labels = dict(maskint='MaskINT', linear='linear blending of the keyframes',
                  nearest='nearest keyframe',
                  vq='VQ reconstruction (upper bound)')
    for name, m in means.items():
        print(f'{labels[name]:<40}{m["psnr"]:>8.2f}{m["ssim"]:>8.3f}'
              f'{m["lpips"]:>8.3f}')
    out = dict(config=args.config, checkpoint=args.checkpoint,
               clips=len(dataset), scores=means)
    if args.strip:
        write_strip(args.strip, strip)
    if args.video:
        out['video'], rows = edit_real_video(editor, args)
        print(f'{args.video}: {json.dumps(out["video"])}')
        if args.video_strip:
            write_strip(args.video_strip, rows)
    if args.out:
        atomic_write_text(args.out, json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
