"""Throughput, latency and peak memory of one or more configs' models.

    python tools/analysis/benchmark.py CONFIG [CONFIG ...] [--device cpu]
        [--batch-size 32] [--warmup 3] [--repeats 10] [--shape H W]
        [--names A B] [--fuse-conv-bn] [--matmul-reference]
        [--out results.json]

Several configs are timed in one run, alternating one batch each per round,
so that their ratio (last column, relative to the first) holds on a noisy
shared machine. A CONFIG may also be ``py:FILE.py:FUNC`` for code outside the
repository (``FUNC(batch_size) -> (model, inputs)``), e.g. an official
implementation. Peak memory is measured in a fresh process per model.

Multi-view models (``MultiViewTopdownPoseEstimator``) get ``--views`` crops
per sample (default: the config's ``num_views``); ``views/s`` is samples/s
times the views per sample (``FUNC.views`` for ``py:`` subjects, or
``--views``). ``--math-attention`` counts FLOPs under the math SDPA backend
so that CPU attention products are included.

``--onnx`` also exports every single-input model (top-down 2D pose,
lifting) to ONNX (:mod:`mmhuman_ext.apis.onnx_export`) and times it in
onnxruntime (CPU, the same thread count and inputs) in the same rounds, so
the ONNX rows' ratio is onnxruntime against PyTorch on one machine load.
"""
import argparse
import json
import subprocess
import sys

import numpy as np
import torch
from mmcv.cnn import fuse_conv_bn
from mmengine.config import DictAction

from mmhuman_ext.utils.atomic_io import atomic_write_text
from mmhuman_ext.utils.model_analysis import (Subject, count_flops,
                                              make_subject, matmul_gflops,
                                              peak_memory_mib,
                                              ratios_to_first, summarize,
                                              time_alternating)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--names', nargs='+', help='labels for the configs')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--threads', type=int,
                        help='torch CPU threads (default: torch default)')
    parser.add_argument('--shape', type=int, nargs='+',
                        help='input shape H W (or C H W) per sample')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='applied to every config')
    parser.add_argument('--views', type=int,
                        help='views per sample of multi-view models')
    parser.add_argument('--math-attention', action='store_true',
                        help='count FLOPs under the math SDPA backend')
    parser.add_argument('--fuse-conv-bn', action='store_true',
                        help='fold BatchNorm into the convolutions of every '
                        'model (as tools/test.py --fuse-conv-bn)')
    parser.add_argument('--matmul-reference', action='store_true',
                        help="also measure the device's fp32 matmul rate")
    parser.add_argument('--onnx', action='store_true',
                        help='also time each model exported to ONNX in '
                        'onnxruntime (CPU)')
    parser.add_argument('--no-memory', action='store_true',
                        help='skip the peak-memory measurement')
    parser.add_argument('--memory-probe', action='store_true',
                        help=argparse.SUPPRESS)
    parser.add_argument('--out', help='write the figures to this JSON file')
    return parser.parse_args(argv)


def _build(args, spec, name=None):
    if spec.startswith('py:'):
        subject = make_subject(spec, name=name, views=args.views)
    else:
        subject = make_subject(spec, name=name, shape=args.shape,
                               cfg_options=args.cfg_options, views=args.views)
    if args.fuse_conv_bn:
        fuse_conv_bn(subject.model)
    return subject


class OrtModel(torch.nn.Module):
    """An onnxruntime session called like a model in tensor mode."""

    def __init__(self, session):
        super().__init__()
        self.session = session
        self.input_name = session.get_inputs()[0].name

    def forward(self, inputs, data_samples=None, mode='tensor'):
        array = np.ascontiguousarray(inputs.numpy(), np.float32)
        return self.session.run(None, {self.input_name: array})


def _onnx_subject(subject: Subject) -> Subject:
    """``subject``'s model exported to ONNX, in an onnxruntime session
    with torch's thread count."""
    from mmhuman_ext.apis.onnx_export import export_onnx, ort_session
    example = subject.make_inputs(2)
    if not isinstance(example, torch.Tensor):
        raise SystemExit(f'--onnx: {subject.name} takes several inputs; '
                         'ONNX export covers single-input models')
    data = export_onnx(subject.model, example)['onnx']
    session = ort_session(data, threads=torch.get_num_threads())
    return Subject(f'ort: {subject.name}', OrtModel(session),
                   subject.make_inputs, subject.forward, views=subject.views)


def _memory_in_fresh_process(args, spec):
    cmd = [sys.executable, __file__, spec, '--memory-probe', '--device',
           args.device, '--batch-size', str(args.batch_size)]
    if args.threads:
        cmd += ['--threads', str(args.threads)]
    if args.shape:
        cmd += ['--shape'] + [str(s) for s in args.shape]
    if args.views:
        cmd += ['--views', str(args.views)]
    if args.fuse_conv_bn:
        cmd.append('--fuse-conv-bn')
    if args.cfg_options:
        cmd += ['--cfg-options'] + [f'{k}={v}'
                                    for k, v in args.cfg_options.items()]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return float(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if args.memory_probe:
        subject = _build(args, args.configs[0])
        print(peak_memory_mib(subject, args.batch_size, device))
        return
    names = args.names or args.configs
    if len(names) != len(args.configs):
        sys.exit('--names needs one label per config')
    subjects = [_build(args, c, n) for c, n in zip(args.configs, names)]
    specs = list(args.configs)
    backends = ['pytorch'] * len(subjects)
    flops = [count_flops(s, 1, args.math_attention) for s in subjects]
    if args.onnx:
        if args.device != 'cpu':
            sys.exit('--onnx times onnxruntime on the CPU: use --device cpu')
        onnx_subjects = [_onnx_subject(s) for s in subjects]
        subjects += onnx_subjects
        specs += list(args.configs)
        backends += ['onnxruntime'] * len(onnx_subjects)
        flops += flops  # the same network
    print(f'device {device}, {torch.get_num_threads()} threads, batch '
          f'{args.batch_size}, {args.warmup} warm-up + {args.repeats} timed '
          'rounds, alternating'
          + (', BatchNorm fused into convs' if args.fuse_conv_bn else '')
          + (', PyTorch and onnxruntime' if args.onnx else ''))
    time_alternating(subjects, args.batch_size, args.warmup, args.repeats,
                     device)
    ratios = ratios_to_first(subjects)
    reference = matmul_gflops(device) if args.matmul_reference else None
    rows = []
    for s, f, r, spec, backend in zip(subjects, flops, ratios, specs,
                                      backends):
        row = dict(name=s.name, config=spec, backend=backend,
                   gflops_per_sample=f / 1e9,
                   speed_ratio_to_first=r, **summarize(s, args.batch_size))
        row['effective_gflops_per_s'] = row['throughput'] * f / 1e9
        if not args.no_memory and backend == 'pytorch':
            row['peak_memory_mib'] = (
                peak_memory_mib(s, args.batch_size, device)
                if device.type == 'cuda' else
                _memory_in_fresh_process(args, spec))
        rows.append(row)
    multi = any(row['views_per_sample'] > 1 for row in rows)
    header = (f'{"model":<28}{"samples/s":>11}'
              + (f'{"views/s":>9}' if multi else '') +
              f'{"ms/batch":>10}{"GFLOPs":>9}{"GFLOP/s":>9}{"peak MiB":>10}'
              f'{"ratio":>7}')
    print(header)
    for row in rows:
        mem = row.get('peak_memory_mib')
        print(f'{row["name"][:27]:<28}{row["throughput"]:>11.1f}'
              + (f'{row["views_per_s"]:>9.1f}' if multi else '') +
              f'{row["latency_ms"]:>10.1f}{row["gflops_per_sample"]:>9.2f}'
              f'{row["effective_gflops_per_s"]:>9.1f}'
              f'{(f"{mem:.0f}" if mem is not None else "-"):>10}'
              f'{row["speed_ratio_to_first"]:>7.2f}')
    if reference is not None:
        print(f'fp32 matmul reference on {device}: {reference:.1f} GFLOP/s')
    if args.out:
        atomic_write_text(args.out, json.dumps(
            dict(device=str(device), threads=torch.get_num_threads(),
                 fuse_conv_bn=args.fuse_conv_bn,
                 batch_size=args.batch_size, repeats=args.repeats,
                 matmul_gflops=reference, models=rows), indent=2))


if __name__ == '__main__':
    main()
