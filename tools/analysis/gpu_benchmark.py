"""Inference speed of the six methods at their full configs on a GPU, fp32
and automatic mixed precision, in one command.

    python tools/analysis/gpu_benchmark.py [--device cuda] \\
        [--methods ppt transfusion pstmo cvthead maskint orfnt] \\
        [--warmup 10] [--repeats 50] \\
        [--fomm PATH --tpsmm PATH] [--out gpu.json]
    python tools/analysis/gpu_benchmark.py --dry-run   # CPU, demo configs

Every method is timed on random weights and dummy inputs of its training
shape (``mmhuman_ext.utils.model_analysis``), fp32 and under
``torch.autocast`` (float16 on CUDA, bfloat16 on CPU) alternating batch by
batch, with the peak GPU memory of one fp32 batch. CVTHead runs its
driven frame with the avatar cached (the animation use) on the stand-in
head files (``stage_timing.py --standin-head``); MaskINT one decoding
pass over a 16-frame clip (tokenizer and HED not built); ORFNT one frame
128 -> 256, source encoders included.
With ``--fomm`` / ``--tpsmm`` (official checkouts) the motion-transfer
comparison of ``motion_transfer_speed.py`` runs on the same device after.

``--dry-run`` runs the same code on the CPU with the demo configs, batch 1,
one round: a check that the command works, not a measurement.
"""
import argparse
import json
import os.path as osp
import statistics
import sys
import tempfile
from typing import Dict, List, Optional

import torch

from mmhuman_ext.utils.atomic_io import atomic_write_text
from mmhuman_ext.utils.model_analysis import (Subject, make_subject,
                                              peak_memory_mib,
                                              time_alternating)

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import motion_transfer_speed  # noqa: E402
from stage_timing import standin_head_options  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# name: (full config, batch, dry-run config, options for both)
METHODS = dict(
    ppt=('configs/ppt/ppt-s_4xb32-300e_coco-256x192.py', 32,
         'configs/demo/ppt-s-tiny_1xb16-60e_synthcoco-128x96.py', {}),
    transfusion=('configs/transfusion/transfusion_4xb4-20e_h36m-256x256.py',
                 4, 'configs/demo/transfusion-tiny_1xb8-40e_synthmv-'
                 '128x128.py', {}),
    pstmo=('configs/pstmo/pstmo-s_1xb160-80e_h36m-cpn-243f.py', 64,
           'configs/demo/pstmo-s-d64_1xb64-4e_synthh36m-det-27f.py', {}),
    cvthead=('configs/cvthead/cvthead-s1_2xb8-200e_vox1-256x256.py', 1,
             'configs/demo/cvthead-tiny_1xb4-20e_synthheads-64x64.py',
             {'model.dummy_cached_source': True}),
    maskint=('configs/maskint/maskint-base_8xb8-100e_videos-16f-384x672.py',
             1, 'configs/demo/maskint-tiny_1xb8-200e_synthvideos512-8f-'
             '64x96.py',
             {'model.data_preprocessor.tokenizer': None,
              'model.data_preprocessor.structure_detector': None}),
    orfnt=('configs/motion_transfer/'
           'orfnt-s4-blender-sr_1xb8-200ki_ted-128to256.py', 1,
           'configs/demo/orfnt-tiny-s4-blender-sr_1xb4-600i_puppets-'
           '64to128.py', {'model.vgg': None}),
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cuda')
    parser.add_argument('--methods', nargs='+', choices=list(METHODS),
                        default=list(METHODS))
    parser.add_argument('--warmup', type=int, default=10)
    parser.add_argument('--repeats', type=int, default=50)
    parser.add_argument('--fomm', help='official FOMM checkout')
    parser.add_argument('--tpsmm', help='official TPSMM checkout')
    parser.add_argument('--dry-run', action='store_true',
                        help='CPU, demo configs, batch 1, one round')
    parser.add_argument('--out', help='write the figures to this JSON file')
    return parser.parse_args(argv)


def amp_subject(subject: Subject, device: torch.device) -> Subject:
    """``subject`` run under autocast (float16 on CUDA, bfloat16 on CPU)."""
    dtype = torch.float16 if device.type == 'cuda' else torch.bfloat16

    def forward(model, inputs):
        with torch.autocast(device.type, dtype=dtype):
            return subject.forward(model, inputs)

    return Subject(f'{subject.name} amp', subject.model, subject.make_inputs,
                   forward, views=subject.views)


def method_subject(name: str, dry_run: bool, head_options: dict
                   ) -> Subject:
    config, _, demo, options = METHODS[name]
    if name == 'cvthead':
        options = dict(options, **head_options)
    return make_subject(osp.join(ROOT, demo if dry_run else config),
                        name=name, cfg_options=options)


def time_method(subject: Subject, batch: int, warmup: int, repeats: int,
                device: torch.device) -> Dict[str, object]:
    """fp32 and AMP of one model alternating; samples/s and peak memory."""
    pair = [subject, amp_subject(subject, device)]
    time_alternating(pair, batch, warmup, repeats, device)
    row = dict(batch=batch, views_per_sample=subject.views)
    for key, s in zip(('fp32', 'amp'), pair):
        median = statistics.median(s.times)
        row[key] = dict(ms_per_batch=1000 * median,
                        samples_per_s=batch / median,
                        ms_per_batch_min=1000 * min(s.times))
    row['amp_speedup'] = statistics.median(
        a / b for a, b in zip(pair[0].times, pair[1].times))
    if device.type == 'cuda':
        row['fp32']['peak_memory_mib'] = peak_memory_mib(subject, batch,
                                                         device)
    return row


def describe_device(device: torch.device) -> str:
    if device.type == 'cuda':
        return (f'{torch.cuda.get_device_name(device)}, torch '
                f'{torch.__version__}, CUDA {torch.version.cuda}')
    return (f'CPU ({torch.get_num_threads()} threads), torch '
            f'{torch.__version__}')


def motion_transfer_comparison(args, device: torch.device
                               ) -> Optional[dict]:
    """``motion_transfer_speed.py`` on ``device`` with the given official
    checkouts, or None without any."""
    if not (args.fomm or args.tpsmm):
        return None
    argv = ['--device', str(device), '--threads',
            str(torch.get_num_threads()), '--rounds', str(args.repeats),
            '--warmup', str(args.warmup)]
    for kind in ('fomm', 'tpsmm'):
        if getattr(args, kind):
            argv += [f'--{kind}', getattr(args, kind)]
    return motion_transfer_speed.main(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.dry_run:
        args.device, args.warmup, args.repeats = 'cpu', 0, 1
    device = torch.device(args.device)
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('--device cuda: no CUDA device visible to torch; '
                         'use --dry-run to check the command on the CPU')
    torch.backends.cudnn.benchmark = True
    print(describe_device(device))
    rows: List[dict] = []
    with tempfile.TemporaryDirectory() as head_dir:
        head_options = (standin_head_options(head_dir)
                        if 'cvthead' in args.methods else {})
        for name in args.methods:
            subject = method_subject(name, args.dry_run, head_options)
            batch = 1 if args.dry_run else METHODS[name][1]
            row = dict(method=name, **time_method(
                subject, batch, args.warmup, args.repeats, device))
            rows.append(row)
            print(f'{name:<12} batch {batch:>3}  fp32 '
                  f'{row["fp32"]["ms_per_batch"]:>9.2f} ms '
                  f'({row["fp32"]["samples_per_s"]:>8.1f}/s)  amp '
                  f'{row["amp"]["ms_per_batch"]:>9.2f} ms '
                  f'({row["amp"]["samples_per_s"]:>8.1f}/s)  x'
                  f'{row["amp_speedup"]:.2f}')
            subject.model.cpu()
            del subject
            if device.type == 'cuda':
                torch.cuda.empty_cache()
    result = dict(device=describe_device(device), dry_run=args.dry_run,
                  warmup=args.warmup, repeats=args.repeats, methods=rows)
    comparison = motion_transfer_comparison(args, device)
    if comparison is not None:
        result['motion_transfer_comparison'] = comparison
    if args.out:
        atomic_write_text(args.out, json.dumps(result, indent=2))
    return result


if __name__ == '__main__':
    main()
