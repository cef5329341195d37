"""Average the logged losses over all processes."""
import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook

from mmhuman_ext.registry import HOOKS


@HOOKS.register_module()
class AverageLogVarsHook(Hook):
    """Make the logged losses those of the whole batch, not of rank 0's part.

    mmengine logs each process's own ``log_vars``; with N processes rank 0's
    loss covers 1/N of the batch. This hook all-reduces the scalars in
    place before :class:`RuntimeInfoHook` records them (it runs first, at
    ``HIGHEST`` priority), so a run with N processes logs the same losses as
    one process with the same total batch. It does nothing in one process.
    """

    priority = 'HIGHEST'

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        world_size = get_world_size()
        if world_size == 1 or not outputs:
            return
        keys = sorted(outputs)
        values = torch.stack(
            [torch.as_tensor(outputs[k], dtype=torch.float64).detach().cpu()
             for k in keys])
        all_reduce(values, op='mean')
        for key, value in zip(keys, values):
            outputs[key] = value.to(torch.float32)
