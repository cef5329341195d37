"""Scores of motion-transfer predictions that need no training on a
config's test set: what a trained model must beat.

    python tools/analysis/motion_transfer_baselines.py CONFIG \
        [--baselines copy_source densepose_warp driving_frame] \
        [--cfg-options ...]

* ``copy_source``: the output is the source image unchanged (no motion);
* ``densepose_warp``: the source image warped by the correspondence of the
  two DensePose maps (:func:`densepose_correspondence_flow`), no learning:
  what exact surface correspondence alone gives, without inpainting the
  uncovered background, the hair or the clothes outside the IUV map;
* ``driving_frame``: the output is the ground-truth driving frame (the best
  a model can score with the configured metrics; AKD / MKR then measure the
  keypoint detector alone).

The config's ``test_dataloader`` and ``test_evaluator`` are used as they
are; only the model is replaced.
"""
import argparse

import numpy as np
import torch
from mmengine.config import Config, DictAction
from scipy.spatial import cKDTree

BASELINES = ('copy_source', 'densepose_warp', 'driving_frame')


def densepose_correspondence_flow(src_iuv: np.ndarray,
                                  drv_iuv: np.ndarray) -> np.ndarray:
    """Backward pixel flow ``(2, H, W)`` (x, y) between two IUV maps ``(3,
    H, W)`` (part id 0..24, U, V): a driving pixel of part ``p`` at ``(u,
    v)`` reads the source pixel of part ``p`` with the nearest ``(u, v)``.
    Background pixels and parts the source does not show keep their place
    (zero flow). Integer offsets: the warp copies pixels."""
    h, w = drv_iuv.shape[1:]
    flow = np.zeros((2, h, w), np.int64)
    src_part, drv_part = src_iuv[0].round(), drv_iuv[0].round()
    for part in np.unique(drv_part[drv_part > 0]):
        src_ys, src_xs = np.nonzero(src_part == part)
        drv_ys, drv_xs = np.nonzero(drv_part == part)
        if len(src_ys) == 0:
            continue
        tree = cKDTree(src_iuv[1:, src_ys, src_xs].T)
        _, nearest = tree.query(drv_iuv[1:, drv_ys, drv_xs].T)
        flow[0, drv_ys, drv_xs] = src_xs[nearest] - drv_xs
        flow[1, drv_ys, drv_xs] = src_ys[nearest] - drv_ys
    return flow


def densepose_warp(src_img: torch.Tensor, src_iuv: torch.Tensor,
                   drv_iuv: torch.Tensor) -> torch.Tensor:
    """``src_img (3, H, W)`` moved by :func:`densepose_correspondence_flow`
    of its IUV map to ``drv_iuv`` (both ``(3, H, W)``), through the
    project's flow warp (integer offsets: pixels are copied)."""
    from mmhuman_ext.models.layers.flow_warp import (
        pixel_flow_to_normalized, warp_by_flow)
    flow = densepose_correspondence_flow(src_iuv.numpy(), drv_iuv.numpy())
    flow = pixel_flow_to_normalized(torch.from_numpy(flow).float()[None])
    warped = warp_by_flow(src_img.float()[None], flow)[0]
    return warped.round().to(src_img.dtype)


def baseline_prediction(inputs: dict, baseline: str) -> torch.Tensor:
    """The ``baseline``'s frame ``(3, H, W)`` uint8 for one packed sample's
    ``inputs``."""
    if baseline == 'copy_source':
        return inputs['source_img']
    if baseline == 'driving_frame':
        return inputs['driving_img']
    return densepose_warp(inputs['source_img'], inputs['source_iuv'],
                          inputs['driving_iuv'])


def baseline_scores(cfg: Config, baseline: str) -> dict:
    """Run ``cfg.test_evaluator`` with the ``baseline`` predictions."""
    from mmengine.evaluator import Evaluator
    from mmengine.runner import Runner
    from tqdm import tqdm
    loader = Runner.build_dataloader(cfg.test_dataloader)
    evaluator = Evaluator(cfg.test_evaluator)
    evaluator.dataset_meta = getattr(loader.dataset, 'metainfo', None)
    for batch in tqdm(loader, desc=baseline):
        inputs = batch['inputs']
        if isinstance(inputs, dict):  # default_collate: stacked fields
            inputs = [{k: v[i] for k, v in inputs.items()}
                      for i in range(len(inputs['source_img']))]
        outs = [dict(pred_img=baseline_prediction(x, baseline).float() /
                     127.5 - 1) for x in inputs]
        evaluator.process(outs, batch)
    return evaluator.evaluate(len(loader.dataset))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('--baselines', nargs='+', choices=BASELINES,
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
