"""What tools/train.py and tools/test.py share: work dir and runner set-up,
the reliability hooks, resume look-up, and checks made before a long run."""
import difflib
import logging
import os
import os.path as osp
import re
import sys
import tempfile
from typing import List, Optional, Tuple

from mmengine.logging import print_log
from mmengine.model import is_model_wrapper


def set_work_dir(cfg, work_dir, config_path: str) -> None:
    """``work_dir`` if given, else the config's, else
    ``./work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config_path))[0])


def resolve_load_from(cfg) -> None:
    """``load_from`` may name a work dir: it then means the last checkpoint
    written there (the file named in its ``last_checkpoint``, which
    mmengine's ``CheckpointHook`` updates after every save). A second
    training stage starts from the last weights of the first this way (as
    CVTHead's stage 2 does), whatever its epoch count."""
    folder = cfg.get('load_from')
    if not folder or not (osp.isdir(folder) or folder.endswith('/')):
        return
    marker = osp.join(folder, 'last_checkpoint')
    if not osp.isfile(marker):
        raise FileNotFoundError(
            f'load_from = {folder!r} names a work dir without a '
            'last_checkpoint file: no checkpoint has been saved there yet '
            '(train the previous stage into that work dir first)')
    with open(marker) as f:
        path = f.read().strip()
    if not osp.isabs(path) and not osp.isfile(path):
        path = osp.join(folder, osp.basename(path))
    if not osp.isfile(path):
        raise FileNotFoundError(f'{marker} names {path!r}, which does not '
                                'exist')
    cfg.load_from = path


def build_runner(cfg, config_path: str):
    """The config's runner (``runner_type`` or mmengine's ``Runner``);
    ``load_from`` may name a work dir (:func:`resolve_load_from`).

    An unknown component type exits with the scopes searched and close
    matches instead of mmengine's bare ``KeyError``.
    """
    from mmengine.runner import Runner
    resolve_load_from(cfg)

    from mmhuman_ext.registry import RUNNERS
    from mmhuman_ext.utils.errors import explain_unknown_type
    try:
        if 'runner_type' in cfg:
            return RUNNERS.build(cfg)
        return Runner.from_cfg(cfg)
    except KeyError as exc:
        message = explain_unknown_type(exc)
        if message is None:
            raise
        sys.exit(f'{config_path}: {message}')


# top-level keys that mmengine's Runner (or our tools) read
RUNNER_KEYS = (
    'activation_checkpointing', 'auto_scale_lr', 'cfg', 'compile',
    'custom_hooks', 'custom_imports', 'data_preprocessor', 'default_hooks',
    'default_scope', 'efficient_conv_bn_eval', 'env_cfg', 'experiment_name',
    'find_unused_parameters', 'launcher', 'load_from', 'log_level',
    'log_processor', 'model', 'model_wrapper_cfg', 'optim_wrapper',
    'param_scheduler', 'randomness', 'resume', 'runner_type', 'sync_bn',
    'test_cfg', 'test_dataloader', 'test_evaluator', 'train_cfg',
    'train_dataloader', 'val_cfg', 'val_dataloader', 'val_evaluator',
    'visualizer', 'work_dir')
# settings that only count inside a section: top-level key -> its place
NESTED_KEYS = {
    'max_epochs': 'train_cfg.max_epochs',
    'max_iters': 'train_cfg.max_iters',
    'val_interval': 'train_cfg.val_interval',
    'val_begin': 'train_cfg.val_begin',
    'batch_size': 'train_dataloader.batch_size',
    'num_workers': 'train_dataloader.num_workers',
    'lr': 'optim_wrapper.optimizer.lr',
}


_MISSING = object()


def _nested(cfg, dotted: str):
    node = cfg
    for part in dotted.split('.'):
        try:
            node = node[part]
        except (KeyError, TypeError, AttributeError):
            return _MISSING
    return node


def unused_key_warnings(cfg, options=None) -> List[str]:
    """Warnings for top-level config keys that nothing reads.

    * a key that is not a runner key but close to one (``load_form`` ->
      ``load_from``, ``custom_hook`` -> ``custom_hooks``);
    * a setting that only counts inside a section (``max_epochs`` ->
      ``train_cfg.max_epochs``) when that section holds another value or
      none. Configs may keep such values as variables (``max_epochs = 20``,
      ``train_cfg = dict(max_epochs=max_epochs)``): then both agree and
      nothing is said; nor when ``options`` (the ``--cfg-options``) set the
      section's value, which then differs from the variable on purpose.
    """
    warnings = []
    for key in cfg.keys():
        if key in RUNNER_KEYS or key.startswith('_'):
            continue
        if key in NESTED_KEYS:
            place = NESTED_KEYS[key]
            if place in (options or {}):
                continue
            value = _nested(cfg, place)
            if value is _MISSING or value != cfg[key]:
                found = 'is not set' if value is _MISSING else \
                    f'is {value!r}'
                warnings.append(
                    f'top-level {key} = {cfg[key]!r} is not read by the '
                    f'runner; {place} {found} and is what counts. Did you '
                    f'mean {place}?')
            continue
        close = difflib.get_close_matches(key, RUNNER_KEYS, n=1, cutoff=0.8)
        if close:
            warnings.append(f'config key {key!r} is not read by anything; '
                            f'did you mean {close[0]!r}?')
    return warnings


def warn_unused_keys(cfg, config_path: str, options=None) -> None:
    """Log :func:`unused_key_warnings` of ``cfg`` (``options``: the
    ``--cfg-options`` merged into it)."""
    for message in unused_key_warnings(cfg, options):
        print_log(f'{config_path}: {message}', logger='current',
                  level=logging.WARNING)


def use_reliability_hooks(cfg) -> None:
    """:class:`~mmhuman_ext.engine.hooks.SafeCheckpointHook` in place of
    mmengine's ``CheckpointHook`` (write, then delete; never NaN weights) and
    :class:`~mmhuman_ext.engine.hooks.NonFiniteLossHook` in ``custom_hooks``.
    """
    hooks = cfg.get('default_hooks') or {}
    checkpoint = hooks.get('checkpoint')
    if checkpoint is None:  # the runner would add mmengine's
        cfg.default_hooks = dict(
            hooks, checkpoint=dict(type='mmhuman_ext.SafeCheckpointHook',
                                   interval=1))
    elif str(checkpoint.get('type', '')).split('.')[-1] == 'CheckpointHook':
        checkpoint['type'] = 'mmhuman_ext.SafeCheckpointHook'
    custom = list(cfg.get('custom_hooks') or [])
    if not any(
            str(h.get('type', '')).split('.')[-1] == 'NonFiniteLossHook'
            for h in custom):
        custom.append(dict(type='mmhuman_ext.NonFiniteLossHook'))
    cfg.custom_hooks = custom


def find_resume_checkpoint(work_dir: str) -> Tuple[Optional[str], str]:
    """The checkpoint ``--resume`` continues from, and what was found.

    Reads ``<work_dir>/last_checkpoint``. When the path it names is gone but
    a file of that name lies in ``work_dir`` (the work dir was moved or
    copied), that file is used.

    Returns:
        tuple: the checkpoint path (None when the work dir holds none) and a
        sentence for the log.

    Raises:
        FileNotFoundError: ``last_checkpoint`` names a checkpoint that exists
            neither there nor in ``work_dir``.
    """
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None, (f'--resume: nothing to resume in {work_dir} (no '
                      'last_checkpoint file); training starts from scratch')
    with open(marker) as f:
        saved = f.read().strip()
    if saved and osp.isfile(saved):
        return saved, f'--resume: resuming from {saved}'
    here = osp.join(work_dir, osp.basename(saved)) if saved else ''
    if here and osp.isfile(here):
        return here, (f'--resume: resuming from {here} ({marker} names '
                      f'{saved}, which is gone: the work dir was moved)')
    raise FileNotFoundError(
        f'--resume: {marker} names the checkpoint {saved!r}, which exists '
        f'neither there nor in {work_dir}; pass one with --resume PATH')


def check_writable(path: str, option: str) -> None:
    """Exit at once when ``path`` cannot be written (before a long run)."""
    if osp.isdir(path):
        sys.exit(f'{option} {path}: is a folder; give a file name')
    folder = osp.dirname(osp.abspath(path))
    if osp.exists(folder) and not osp.isdir(folder):
        sys.exit(f'{option} {path}: cannot write into {folder}, it is a '
                 'file; nothing was evaluated')
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        sys.exit(f'{option} {path}: cannot write into {folder} '
                 f'({exc.strerror or exc}); nothing was evaluated')


PARTIAL_LOAD_HINT = 'To use it anyway, pass --partial-load.'


class CheckpointMismatchError(ValueError):
    """A checkpoint fills too few of a model's tensors (another model)."""


def checkpoint_fit(model, state_dict: dict) -> Tuple[int, int, List[str]]:
    """How many of ``model``'s tensors ``state_dict`` fills.

    Returns:
        tuple: (loaded, model tensors, names whose shapes differ).
    """
    own = model.state_dict()
    mismatched = [
        k for k, v in state_dict.items()
        if k in own and tuple(own[k].shape) != tuple(v.shape)
    ]
    loaded = sum(1 for k in state_dict if k in own) - len(mismatched)
    return loaded, len(own), mismatched


def model_state_of(checkpoint: dict) -> dict:
    """The tensors of a checkpoint (its ``state_dict``, or the dict itself
    for a plain state dict), with a ``module.`` prefix (DDP) removed."""
    state = checkpoint.get('state_dict', checkpoint)
    return {re.sub(r'^module\.', '', k): v for k, v in state.items()
            if hasattr(v, 'shape')}


def check_checkpoint_fit(model,
                         checkpoint: dict,
                         filename: str,
                         allow_partial: bool = False,
                         min_fraction: float = 0.5,
                         hint: str = PARTIAL_LOAD_HINT,
                         strict: bool = False) -> str:
    """The report on how ``checkpoint`` fits ``model`` (one sentence for the
    log), after refusing a checkpoint that fills fewer than
    ``min_fraction`` of the model's tensors (with ``strict``: that misses
    any model tensor or holds any other) unless ``allow_partial``.

    The one check of every tool and API that loads weights (training's
    ``load_from``, ``tools/test.py``, ``tools/infer.py``, the inferencers,
    the ONNX export); ``hint`` ends the error message.

    Raises:
        CheckpointMismatchError: too few tensors fit.
    """
    state = model_state_of(checkpoint)
    if is_model_wrapper(model):
        model = model.module
    loaded, total, mismatched = checkpoint_fit(model, state)
    unused = len(state) - loaded - len(mismatched)
    message = (f'{filename}: loaded {loaded} of the model\'s {total} '
               f'tensors ({len(mismatched)} of another shape, {unused} '
               'checkpoint tensors not in the model)')
    if mismatched:
        message += f'; shapes differ for e.g. {mismatched[:3]}'
    inexact = strict and (loaded < total or unused > 0)
    if inexact:
        own = model.state_dict()
        missing = [k for k in own if k not in state]
        extra = [k for k in state if k not in own]
        if missing:
            message += f'; missing e.g. {missing[:3]}'
        if extra:
            message += f'; not in the model e.g. {extra[:3]}'
    below = total and loaded < min_fraction * total
    if (below or inexact) and not allow_partial:
        raise CheckpointMismatchError(message + (
            f'. Fewer than {min_fraction:.0%} of the tensors fit: this '
            'checkpoint is not for this model (wrong config?). '
            if below else '. Every tensor of the model must come from '
            'the checkpoint, and no other. ') + hint)
    return message


def load_model_weights(model,
                       checkpoint,
                       allow_partial: bool = False,
                       hint: str = PARTIAL_LOAD_HINT,
                       filename: Optional[str] = None) -> dict:
    """Load a checkpoint into ``model`` after :func:`check_checkpoint_fit`
    (the report goes to the log); tensors that do not fit are left as they
    are (mmengine's non-strict load, which logs them).

    Args:
        model (nn.Module): The model.
        checkpoint (str | dict): A checkpoint file (read with the project's
            restricted loader) or a loaded checkpoint / state dict.
        allow_partial (bool): Load a checkpoint that fills fewer than half
            of the model's tensors (``--partial-load``).
        hint (str): How to override, at the end of the refusal.
        filename (str, optional): Name in the messages when ``checkpoint``
            is a dict.

    Returns:
        dict: The checkpoint (``meta`` included when it has one).
    """
    from mmengine.runner.checkpoint import _load_checkpoint_to_model

    from .checkpoint import load_checkpoint_file
    if not isinstance(checkpoint, dict):
        filename = str(checkpoint)
        checkpoint = load_checkpoint_file(checkpoint, map_location='cpu')
    message = check_checkpoint_fit(
        model,
        checkpoint,
        filename or 'checkpoint',
        allow_partial=allow_partial,
        hint=hint)
    print_log(message, logger='current')
    _load_checkpoint_to_model(model, checkpoint, strict=False)
    return checkpoint


def guard_checkpoint_fit(runner,
                         allow_partial: bool = False,
                         min_fraction: float = 0.5,
                         hint: str = PARTIAL_LOAD_HINT,
                         strict: bool = False) -> None:
    """Make ``runner.load_checkpoint`` (``load_from``, ``tools/test.py``)
    log how many of the model's tensors the checkpoint filled, and refuse a
    checkpoint that does not fit (:func:`check_checkpoint_fit`)."""
    original = runner.load_checkpoint

    def load_checkpoint(filename, *args, **kwargs):
        checkpoint = original(filename, *args, **kwargs)
        runner.logger.info(
            check_checkpoint_fit(runner.model, checkpoint, filename,
                                 allow_partial, min_fraction, hint, strict))
        return checkpoint

    runner.load_checkpoint = load_checkpoint


def run_explained(runner, method: str, config_path: str):
    """``runner.train()`` / ``runner.test()``; an unknown component met
    while building (a pipeline transform, a metric) exits with the scopes
    searched and close matches, like an unknown model."""
    from mmhuman_ext.utils.errors import explain_unknown_type
    try:
        return getattr(runner, method)()
    except KeyError as exc:
        message = explain_unknown_type(exc)
        if message is None:
            raise
        sys.exit(f'{config_path}: {message}')
