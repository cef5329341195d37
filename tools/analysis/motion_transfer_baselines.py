"""Scores of trivial motion-transfer predictions on a config's test set:
what a trained model must beat.

    python tools/analysis/motion_transfer_baselines.py CONFIG \
        [--baselines copy_source driving_frame] [--cfg-options ...]

* ``copy_source``: the output is the source image unchanged (no motion);
* ``driving_frame``: the output is the ground-truth driving frame (the best
  a model can score with the configured metrics; AKD / MKR then measure the
  keypoint detector alone).

The config's ``test_dataloader`` and ``test_evaluator`` are used as they
are; only the model is replaced.
"""
import argparse

from mmengine.config import Config, DictAction

BASELINES = dict(copy_source='source_img', driving_frame='driving_img')


def baseline_scores(cfg: Config, baseline: str) -> dict:
    """Run ``cfg.test_evaluator`` with the ``baseline`` predictions."""
    from mmengine.evaluator import Evaluator
    from mmengine.runner import Runner
    from tqdm import tqdm
    key = BASELINES[baseline]
    loader = Runner.build_dataloader(cfg.test_dataloader)
    evaluator = Evaluator(cfg.test_evaluator)
    evaluator.dataset_meta = getattr(loader.dataset, 'metainfo', None)
    for batch in tqdm(loader, desc=baseline):
        inputs = batch['inputs']
        imgs = inputs[key] if isinstance(inputs, dict) else [
            x[key] for x in inputs]
        outs = [dict(pred_img=img.float() / 127.5 - 1) for img in imgs]
        evaluator.process(outs, batch)
    return evaluator.evaluate(len(loader.dataset))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('--baselines', nargs='+', choices=list(BASELINES),
                   default=list(BASELINES))
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    a = p.parse_args(argv)
    from mmhuman_ext.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(a.config)
    if a.cfg_options:
        cfg.merge_from_dict(a.cfg_options)
    results = {b: baseline_scores(cfg, b) for b in a.baselines}
    for name, scores in results.items():
        print(name + ': ' + ', '.join(f'{k} {v:.4f}'
                                      for k, v in scores.items()))
    return results


if __name__ == '__main__':
    main()
