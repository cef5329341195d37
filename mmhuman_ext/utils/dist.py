"""Distributed training on machines without a GPU.

mmengine's ``init_dist('pytorch')`` calls ``torch.cuda.set_device``, which
fails without a GPU, and its DDP wrapper defaults to ``device_ids=[rank]``.
On such machines we start the process group ourselves with gloo (mmengine
then skips its own ``init_dist``) and wrap the model with
``device_ids=None``. With a GPU nothing changes: NCCL and mmengine's set-up.
"""
import os

import torch
import torch.distributed as torch_dist


def setup_cpu_distributed(cfg, launcher: str) -> bool:
    """Prepare ``cfg`` for multi-process training on CPU.

    Args:
        cfg (Config): the run's config, changed in place.
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.

    Returns:
        bool: whether the CPU path was taken.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if launcher != 'pytorch':
        raise RuntimeError(
            f'--launcher {launcher} without a GPU is not supported; use '
            'tools/dist_train.sh (--launcher pytorch), which runs on CPU '
            'with the gloo backend.')
    for var in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        if var not in os.environ:
            raise RuntimeError(
                f'--launcher pytorch needs ${var}; start the processes with '
                'torchrun or tools/dist_train.sh.')
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    return True


def shutdown_distributed() -> None:
    """Wait for every rank, then close the process group.

    Call after a run finishes normally. A process that exits with its gloo
    group still open can abort in the interpreter's teardown ("terminate
    called without an active exception"), failing the whole launch.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
