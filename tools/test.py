"""Evaluate a checkpoint, dump predictions, draw pictures, write result files.

    python tools/test.py CONFIG CHECKPOINT [--out metrics.json]
        [--dump predictions.pkl] [--show-dir DIR]
        [--outfile-prefix PREFIX] [--format-only] [--fuse-conv-bn]
        [--partial-load]
    bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [args]

``--outfile-prefix`` makes the metrics write the benchmark's result files
(e.g. ``PREFIX.keypoints.json`` for COCO); with ``--format-only`` they only
write them (test-dev style: no ground truth, no scores).

The checkpoint must fill every tensor of the model and hold no other;
``--partial-load`` evaluates one that does not (the counts are logged).
"""
import argparse
import json
import os
import sys

from mmengine.config import Config, DictAction

from mmhuman_ext.datasets.layout import check_dataset_files
from mmhuman_ext.utils import (register_all_modules, setup_cpu_distributed,
                               shutdown_distributed)
from mmhuman_ext.utils.atomic_io import atomic_write_text
from mmhuman_ext.utils.run import (build_runner, check_writable,
                                   guard_checkpoint_fit, run_explained,
                                   set_work_dir, warn_unused_keys)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='checkpoint file (omit to test the initial '
                        'weights)')
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument('--out', help='write the metrics to this JSON file')
    parser.add_argument('--dump', help='dump the predictions to this .pkl')
    parser.add_argument('--show-dir', help='save pictures of predictions')
    parser.add_argument('--show', action='store_true',
                        help='show pictures in a window')
    parser.add_argument('--interval', type=int, default=1,
                        help='draw every n-th sample')
    parser.add_argument('--outfile-prefix',
                        help='write the benchmark result files here')
    parser.add_argument('--format-only', action='store_true',
                        help='only write result files (needs '
                        '--outfile-prefix), no evaluation')
    parser.add_argument('--fuse-conv-bn', action='store_true',
                        help='fold BatchNorm into the convolutions before '
                        'testing (same outputs, faster CNN)')
    parser.add_argument('--partial-load', action='store_true',
                        help='evaluate a checkpoint that misses some of the '
                        "model's tensors or holds others")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    parser.add_argument('--launcher',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if args.format_only and not args.outfile_prefix:
        parser.error('--format-only needs --outfile-prefix')
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def _evaluators(cfg):
    evaluator = cfg.test_evaluator
    return evaluator if isinstance(evaluator, list) else [evaluator]


def merge_args(cfg, args):
    """Apply the command-line options to ``cfg``."""
    set_work_dir(cfg, args.work_dir, args.config)
    cfg.launcher = args.launcher
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        hook = cfg.default_hooks.get('visualization')
        if hook is None:
            sys.exit(f'{args.config} has no default_hooks.visualization; '
                     '--show/--show-dir need one')
        hook.update(enable=True, show=args.show, interval=args.interval)
        if args.show_dir:
            hook.out_dir = args.show_dir
    if args.outfile_prefix:
        for evaluator in _evaluators(cfg):
            evaluator['outfile_prefix'] = args.outfile_prefix
            if args.format_only:
                evaluator['format_only'] = True
    if args.fuse_conv_bn:
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [
            dict(type='mmhuman_ext.FuseConvBNHook')
        ]
    if args.dump:
        if not args.dump.endswith(('.pkl', '.pickle')):
            sys.exit(f'--dump {args.dump}: the file must end with .pkl')
        cfg.test_evaluator = _evaluators(cfg) + [
            dict(type='DumpResults', out_file_path=args.dump)
        ]
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    for option in ('out', 'dump', 'outfile_prefix'):
        if getattr(args, option):
            check_writable(getattr(args, option),
                           '--' + option.replace('_', '-'))
    cfg = merge_args(Config.fromfile(args.config), args)
    register_all_modules(init_default_scope=False)
    warn_unused_keys(cfg, args.config, args.cfg_options)
    check_dataset_files(cfg, splits=('test', ))
    setup_cpu_distributed(cfg, args.launcher)
    runner = build_runner(cfg, args.config)
    guard_checkpoint_fit(
        runner, allow_partial=args.partial_load, strict=True,
        hint='To evaluate it anyway, pass --partial-load.')
    metrics = run_explained(runner, 'test', args.config)
    if args.out and runner.rank == 0:
        atomic_write_text(
            args.out,
            json.dumps({k: float(v) if hasattr(v, '__float__') else v
                        for k, v in metrics.items()}, indent=2))
    shutdown_distributed()


if __name__ == '__main__':
    main()
