"""Peak memory of a streamed MaskINT edit against the video's length.

    python tools/analysis/maskint_edit_memory.py CONFIG CKPT \
        [--lengths 25 100 400] [--size 540 960] [--no-gif] \
        [--cfg-options ...] [--out results.json]

For each length a synthetic video (a pattern panning over ``--size``
pixels, 25 fps, H.264) is written, then edited by ``tools/infer.py
edit``'s code path (``VideoEditor.edit_video``: decode, resize, edit and
write chunk by chunk) in a fresh process, whose peak resident memory
(``ru_maxrss``) is reported together with its resident memory once the
models are loaded; the difference is what the edit itself needed. CKPT
``none`` runs a random interpolator (memory does not depend on weights).
For comparison, ``float video`` is what holding the whole video at the
source size as float32 would take.
"""
import argparse
import json
import os.path as osp
import resource
import subprocess
import sys
import tempfile

import numpy as np


def parse_args(argv=None):
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--lengths', type=int, nargs='+', default=[25, 100, 400])
    p.add_argument('--size', type=int, nargs=2, default=[540, 960])
    p.add_argument('--no-gif', action='store_true')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    p.add_argument('--out', help='write the figures as JSON')
    p.add_argument('--child', nargs=2, metavar=('VIDEO', 'OUT_DIR'),
                   help=argparse.SUPPRESS)
    return p.parse_args(argv)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    import psutil
    return psutil.Process().memory_info().rss / 2**20


def write_video(path: str, length: int, size) -> None:
    """A smooth pattern panning 3 px per frame (streamed to disk)."""
    from mmhuman_ext.utils.video import VideoWriter
    h, w = size
    y, x = np.mgrid[0:h, 0:w + 3 * length]
    pattern = np.stack([
        128 + 100 * np.sin(x / 37.), 128 + 100 * np.sin(y / 23. + x / 71.),
        128 + 100 * np.cos((x + y) / 53.)
    ], -1).astype(np.uint8)
    with VideoWriter(path, fps=25, channel_order='rgb') as writer:
        for t in range(length):
            writer.write(np.ascontiguousarray(pattern[:, 3 * t:3 * t + w]))


def child(args) -> None:
    """Load, edit, print the peak memory as JSON (one process per run)."""
    from mmhuman_ext.apis.video_editing import VideoEditor
    ckpt = None if args.checkpoint == 'none' else args.checkpoint
    editor = VideoEditor.from_config(args.config, ckpt, 'cpu',
                                     args.cfg_options,
                                     random_interpolator=ckpt is None)
    loaded = current_rss_mb()
    stats = editor.edit_video(args.child[0], 'hue shift', args.child[1],
                              gif=not args.no_gif)
    print(json.dumps(dict(loaded_mb=loaded, peak_mb=peak_rss_mb(),
                          frames=stats['num_frames'],
                          keyframes=len(stats['keyframes']),
                          working_size=stats['working_size'],
                          seconds=stats['runtime_s'])))


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return child(args)
    rows = []
    for length in args.lengths:
        with tempfile.TemporaryDirectory() as tmp:
            video = osp.join(tmp, 'in.mp4')
            write_video(video, length, args.size)
            cmd = [sys.executable, __file__, args.config, args.checkpoint,
                   '--child', video, osp.join(tmp, 'out')]
            if args.no_gif:
                cmd.append('--no-gif')
            if args.cfg_options:
                cmd += ['--cfg-options'] + [
                    f'{k}={v}' for k, v in args.cfg_options.items()]
            run = subprocess.run(cmd, capture_output=True, text=True)
            if run.returncode:
                raise RuntimeError(f'the edit of {length} frames failed:\n'
                                   f'{run.stderr[-3000:]}')
            row = json.loads(run.stdout.strip().splitlines()[-1])
        row['float_video_mb'] = length * args.size[0] * args.size[1] * 3 * \
            4 / 2**20
        rows.append(row)
        print(f'{length:>6} frames: peak {row["peak_mb"]:.0f} MB, after '
              f'loading {row["loaded_mb"]:.0f} MB, edit '
              f'+{row["peak_mb"] - row["loaded_mb"]:.0f} MB (float video '
              f'{row["float_video_mb"]:.0f} MB), {row["seconds"]:.1f} s',
              flush=True)
    if args.out:
        from mmhuman_ext.utils.atomic_io import atomic_write_text
        atomic_write_text(args.out, json.dumps(dict(
            config=args.config, size=args.size, gif=not args.no_gif,
            rows=rows), indent=1))


if __name__ == '__main__':
    main()
