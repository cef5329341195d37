"""What tools/train.py and tools/test.py share: work dir and runner set-up."""
import os.path as osp
import sys


def set_work_dir(cfg, work_dir, config_path: str) -> None:
    """``work_dir`` if given, else the config's, else
    ``./work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config_path))[0])


def build_runner(cfg, config_path: str):
    """The config's runner (``runner_type`` or mmengine's ``Runner``).

    An unknown component type exits with the scopes searched and close
    matches instead of mmengine's bare ``KeyError``.
    """
    from mmengine.runner import Runner

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
