"""Keep-ratio schedule of PPT's token pruning.

During training the keep ratio of every
:class:`~mmhuman_ext.models.layers.HumanTokenIdentification` in the model
follows, per iteration (the official PPT code, after EViT)::

    r_t = 1                                        epoch < warmup
    r_t = r + (1 - r) * (1 + cos(pi * t / T)) / 2  until warmup + decay
    r_t = r                                        after that

with ``t`` the iterations since the end of the warm-up and ``T`` the
iterations of ``decay`` epochs. With the defaults (10 warm-up epochs, 100
decay epochs, r = 0.7): r_t = 1 up to epoch 10, 0.85 at epoch 60 and 0.7 from
epoch 110 on. Validation and test always use r. The value is logged as
``keep_ratio`` in the training log.

r is the keep ratio the model was built with (``model.head.keep_ratio`` in
the PPT configs), so one config value, or ``--cfg-options
model.head.keep_ratio=0.8``, sets both the schedule's target and the test
ratio. The hook's ``final_ratio`` may repeat it, but a different value is an
error rather than a silent override.
"""
import math
from typing import List, Optional

from mmengine.hooks import Hook

from mmhuman_ext.models.layers.token_pruning import (HumanTokenIdentification,
                                                     check_keep_ratio)
from mmhuman_ext.registry import HOOKS


def scheduled_keep_ratio(epoch: int,
                         iter_in_epoch: int,
                         iters_per_epoch: int,
                         final_ratio: float,
                         warmup_epochs: int = 10,
                         decay_epochs: int = 100) -> float:
    """Keep ratio at iteration ``iter_in_epoch`` of 0-based ``epoch``."""
    if epoch < warmup_epochs:
        return 1.0
    if epoch >= warmup_epochs + decay_epochs:
        return final_ratio
    done = (epoch - warmup_epochs) * iters_per_epoch + iter_in_epoch
    progress = done / (decay_epochs * iters_per_epoch)
    return final_ratio + (1 - final_ratio) * 0.5 * (
        1 + math.cos(math.pi * progress))


@HOOKS.register_module()
class KeepRatioScheduleHook(Hook):
    """Set the HTI keep ratio before every train iteration and val/test.

    Args:
        final_ratio (float, optional): Target r in (0, 1]. Leave it unset:
            r is the keep ratio the model was built with (all its HTI
            modules must agree); a value given here must equal it.
        warmup_epochs (int): Epochs at r = 1. Defaults to 10.
        decay_epochs (int): Epochs of the cosine decay. Defaults to 100.
    """

    priority = 'NORMAL'

    def __init__(self,
                 final_ratio: Optional[float] = None,
                 warmup_epochs: int = 10,
                 decay_epochs: int = 100):
        if final_ratio is not None:
            final_ratio = check_keep_ratio(final_ratio)
        if warmup_epochs < 0 or decay_epochs < 1:
            raise ValueError(f'KeepRatioScheduleHook needs warmup_epochs >= 0 '
                             f'and decay_epochs >= 1, got {warmup_epochs} '
                             f'and {decay_epochs}')
        self.explicit_ratio = final_ratio
        self.final_ratio = final_ratio
        self.warmup_epochs = warmup_epochs
        self.decay_epochs = decay_epochs
        self._modules: List[HumanTokenIdentification] = []

    def before_run(self, runner) -> None:
        self._modules = [
            m for m in runner.model.modules()
            if isinstance(m, HumanTokenIdentification)
        ]
        if not self._modules:
            raise RuntimeError(
                'KeepRatioScheduleHook found no HumanTokenIdentification '
                'module in the model; remove the hook from custom_hooks or '
                'use a model with token pruning (e.g. PPTHead).')
        ratios = sorted({m.keep_ratio for m in self._modules})
        if len(ratios) > 1:
            raise ValueError(
                f'the model\'s token-pruning modules have different keep '
                f'ratios {ratios}; KeepRatioScheduleHook needs one')
        if self.explicit_ratio is not None and \
                self.explicit_ratio != ratios[0]:
            raise ValueError(
                f'KeepRatioScheduleHook.final_ratio={self.explicit_ratio} '
                f'disagrees with the model\'s keep ratio {ratios[0]}: the '
                'model\'s value (e.g. model.head.keep_ratio) is the one that '
                'counts; remove final_ratio from the hook')
        self.final_ratio = ratios[0]

    def _set(self, ratio: float) -> None:
        for module in self._modules:
            module.keep_ratio = ratio

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch=None) -> None:
        ratio = scheduled_keep_ratio(runner.epoch, batch_idx,
                                     len(runner.train_dataloader),
                                     self.final_ratio, self.warmup_epochs,
                                     self.decay_epochs)
        self._set(ratio)
        runner.message_hub.update_scalar('train/keep_ratio', ratio)

    def before_val_epoch(self, runner) -> None:
        self._set(self.final_ratio)

    def before_test_epoch(self, runner) -> None:
        self._set(self.final_ratio)
