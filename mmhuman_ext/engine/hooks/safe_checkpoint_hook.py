"""Checkpoint saving that never loses the last good checkpoint, and a stop
at the first non-finite loss.

mmengine's ``CheckpointHook`` deletes the checkpoint that falls out of
``max_keep_ckpts`` (and the previous best) *before* writing the new one, so a
save that fails (full disk, quota) can leave no checkpoint at all and a
``last_checkpoint`` naming a missing file. :class:`SafeCheckpointHook` keeps
the same options and file names but orders every save as

1. write the new file (atomically: temporary file, then rename),
2. point ``<work_dir>/last_checkpoint`` at it (atomically),
3. delete what is no longer kept.

A failed write raises :class:`CheckpointSaveError` naming the path and the
reason, with everything on disk as before. Hidden partial files of the atomic
writer left by a killed run (``.epoch_3.pth.a1b2c3d4.tmp``) are removed before
each save. Weights holding NaN / inf are never saved (neither as the latest
nor as the best checkpoint), and a non-finite validation score never becomes
the best.
"""
import math
import os.path as osp
from collections import deque

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook, Hook
from mmengine.model import is_model_wrapper

from mmhuman_ext.registry import HOOKS
from mmhuman_ext.utils.atomic_io import (atomic_write_text,
                                         remove_stale_partial_files)


class CheckpointSaveError(OSError):
    """A checkpoint could not be written; the files on disk are unchanged."""


class NonFiniteTrainingError(FloatingPointError):
    """Training produced a NaN / inf loss or weights."""


def last_saved_checkpoint(runner) -> str:
    """The last checkpoint this run saved (or resumed from), for messages."""
    path = runner.message_hub.get_info('last_ckpt')
    if path:
        return str(path)
    marker = osp.join(runner.work_dir, 'last_checkpoint')
    if osp.isfile(marker):
        with open(marker) as f:
            return f.read().strip() + ' (from last_checkpoint)'
    return 'none saved yet'


def _first_non_finite(model) -> str:
    """Name of the first floating-point tensor of ``model`` holding NaN or
    inf, or ``''``."""
    if is_model_wrapper(model):
        model = model.module
    for name, tensor in model.state_dict().items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            return name
    return ''


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments) with the save order and
    checks of the module docstring."""

    def before_train(self, runner) -> None:
        from mmhuman_ext.utils.compat import apply_compat
        apply_compat()  # atomic LocalBackend writes
        super().before_train(runner)

    def _unit(self):
        return 'epoch' if self.by_epoch else 'iteration'

    def _refuse_non_finite_weights(self, runner, step) -> None:
        name = _first_non_finite(runner.model)
        if name:
            raise NonFiniteTrainingError(
                f'weights hold NaN/inf at {self._unit()} {step} (first: '
                f'{name}); not saving them. Last good checkpoint: '
                f'{last_saved_checkpoint(runner)}')

    def _remove(self, path, runner) -> None:
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):  # deepspeed checkpoints
            self.file_backend.rmtree(path)
        else:
            return
        runner.logger.info(f'Removed {path} (no longer kept)')

    def _write(self, runner, filename, what, last_good, **kwargs) -> str:
        """``runner.save_checkpoint`` into ``out_dir``; a failure raises
        :class:`CheckpointSaveError` naming the path, the reason and
        ``last_good``."""
        path = self.file_backend.join_path(self.out_dir, filename)
        if is_main_process():
            for stale in remove_stale_partial_files(self.out_dir):
                runner.logger.warning(
                    f'Removed {stale}: a partial checkpoint of an earlier run '
                    'that was stopped while writing')
        try:
            runner.save_checkpoint(
                self.out_dir,
                filename,
                self.file_client_args,
                backend_args=self.backend_args,
                **kwargs)
        except Exception as exc:
            raise CheckpointSaveError(
                f'could not save the {what} checkpoint {path}: '
                f'{type(exc).__name__}: {exc}. Nothing was deleted; the last '
                f'saved checkpoint is {last_good}') from exc
        return path

    def _save_checkpoint_with_step(self, runner, step, meta):
        self._refuse_non_finite_weights(runner, step)
        hub = runner.message_hub
        last_good = last_saved_checkpoint(runner)
        previous = dict(
            last_ckpt=hub.get_info('last_ckpt'),
            keep_ckpt_ids=hub.get_info('keep_ckpt_ids'))
        expired = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            ids = list(self.keep_ckpt_ids) + [step]
            expired = ids[:-self.max_keep_ckpts]
            self.keep_ckpt_ids = deque(ids[-self.max_keep_ckpts:],
                                       self.max_keep_ckpts)
            hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        path = self.file_backend.join_path(self.out_dir, filename)
        # the checkpoint records the state after this save
        hub.update_info('last_ckpt', path)
        try:
            self._write(
                runner,
                filename,
                'latest',
                last_good,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                **self.args)
        except CheckpointSaveError:
            for key, value in previous.items():
                if value is not None:
                    hub.update_info(key, value)
                else:
                    hub.runtime_info.pop(key, None)
            if self.max_keep_ckpts > 0:
                self.keep_ckpt_ids = deque(previous['keep_ckpt_ids'] or [],
                                           self.max_keep_ckpts)
            raise
        self.last_ckpt = path
        if not is_main_process():
            return
        atomic_write_text(osp.join(runner.work_dir, 'last_checkpoint'), path)
        for old in expired:
            self._remove(
                self.file_backend.join_path(self.out_dir,
                                            self.filename_tmpl.format(old)),
                runner)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        if not self.save_best:
            return
        if 'auto' in self.key_indicators:
            self._init_rule(self.rules, [list(metrics.keys())[0]])
        step = runner.epoch if self.by_epoch else runner.iter
        meta = dict(epoch=runner.epoch, iter=runner.iter)
        hub = runner.message_hub
        single = len(self.key_indicators) == 1
        updated = False
        for key, rule in zip(self.key_indicators, self.rules):
            score = metrics[key]
            if score is None:
                continue
            if not math.isfinite(float(score)):
                runner.logger.warning(
                    f'{key} = {score} at {self._unit()} {step} is not '
                    'finite; the best checkpoint is unchanged')
                continue
            score_key = 'best_score' if single else f'best_score_{key}'
            best = hub.get_info(score_key, self.init_value_map[rule])
            if not self.is_better_than[key](score, best):
                continue
            self._refuse_non_finite_weights(runner, step)
            old = self.best_ckpt_path if single else \
                self.best_ckpt_path_dict[key]
            name = f'best_{key}_{self.filename_tmpl.format(step)}'.replace(
                '/', '_')
            path = self._write(
                runner,
                name,
                'best',
                old or 'none',
                save_optimizer=False,
                save_param_scheduler=False,
                meta=meta,
                by_epoch=False)
            hub.update_info(score_key, score)
            if single:
                self.best_ckpt_path = path
                hub.update_info('best_ckpt', path)
            else:
                self.best_ckpt_path_dict[key] = path
                hub.update_info(f'best_ckpt_{key}', path)
            updated = True
            runner.logger.info(
                f'The best checkpoint with {score:0.4f} {key} at '
                f'{self._unit()} {step} is saved to {name}.')
            if old and old != path and is_main_process():
                self._remove(old, runner)
        # save the latest again so that it records the new best
        if updated and self.last_ckpt is not None:
            self._save_checkpoint_with_step(runner, step, meta)


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training at the first iteration whose loss is NaN or inf.

    The error names the epoch, the iteration and the last good checkpoint;
    it runs before the checkpoint hook, so the broken weights are never
    saved.
    """

    priority = 'ABOVE_NORMAL'

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if not outputs:
            return
        bad = {}
        for key, value in outputs.items():
            if 'loss' not in key or not isinstance(
                    value, (torch.Tensor, float, int)):
                continue
            value = torch.as_tensor(value).detach()
            if not torch.isfinite(value).all():
                bad[key] = value.float().mean().item()
        if bad:
            raise NonFiniteTrainingError(
                f'non-finite loss {bad} at epoch {runner.epoch + 1}, '
                f'iteration {batch_idx + 1} of the epoch (iteration '
                f'{runner.iter + 1} overall); training stopped. Last good '
                f'checkpoint: {last_saved_checkpoint(runner)}. Lower the '
                'learning rate, enable gradient clipping or check the data '
                'of this batch.')
