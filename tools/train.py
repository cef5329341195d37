"""Train a model from a config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
    bash tools/dist_train.sh CONFIG NUM_PROCS [args]      # several processes
"""
import argparse
import os
import sys

from mmengine.config import Config, DictAction
from mmengine.logging import print_log

from mmhuman_ext.datasets.layout import check_dataset_files
from mmhuman_ext.utils import (register_all_modules, setup_cpu_distributed,
                               shutdown_distributed)
from mmhuman_ext.utils.run import (build_runner, find_resume_checkpoint,
                                   guard_checkpoint_fit, run_explained,
                                   set_work_dir, use_reliability_hooks,
                                   warn_unused_keys)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint; without a path, from the latest '
        'checkpoint in the work dir')
    parser.add_argument(
        '--amp', action='store_true',
        help='automatic mixed precision (needs a GPU)')
    parser.add_argument(
        '--no-validate', action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate by the actual total batch size')
    parser.add_argument(
        '--partial-load', action='store_true',
        help='let load_from start from a checkpoint that fills fewer than '
        'half of the model\'s tensors')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. train_dataloader.batch_size=8')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Apply the command-line options to ``cfg``."""
    set_work_dir(cfg, args.work_dir, args.config)
    cfg.launcher = args.launcher
    if args.amp:
        from mmengine.device import (is_cuda_available, is_mlu_available,
                                     is_musa_available, is_npu_available)
        if not (is_cuda_available() or is_npu_available()
                or is_mlu_available() or is_musa_available()):
            sys.exit('--amp needs a GPU (CUDA, NPU, MLU or MUSA); this '
                     'machine has none. Train in fp32 on CPU (drop --amp).')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume is not None and args.resume != 'auto':
        cfg.resume, cfg.load_from = True, args.resume
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.auto_scale_lr:
        cfg.setdefault('auto_scale_lr', {})['enable'] = True
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.resume == 'auto':
        found, message = find_resume_checkpoint(cfg.work_dir)
        print_log(message, logger='current')
        cfg.resume, cfg.load_from = found is not None, found
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = merge_args(Config.fromfile(args.config), args)
    register_all_modules(init_default_scope=False)
    warn_unused_keys(cfg, args.config, args.cfg_options)
    use_reliability_hooks(cfg)
    check_dataset_files(cfg)
    setup_cpu_distributed(cfg, args.launcher)
    runner = build_runner(cfg, args.config)
    guard_checkpoint_fit(runner, allow_partial=args.partial_load)
    run_explained(runner, 'train', args.config)
    shutdown_distributed()


if __name__ == '__main__':
    main()
