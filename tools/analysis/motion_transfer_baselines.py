"""Scores of motion-transfer predictions that need no training on a
config's test set: what a trained model must beat.

    python tools/analysis/motion_transfer_baselines.py CONFIG \
        [--baselines copy_source densepose_warp driving_frame \
                     driving_frame_lowres] \
        [--cfg-options ...]

* ``copy_source``: the output is the source image unchanged (no motion);
* ``densepose_warp``: the source image warped by the correspondence of the
  two DensePose maps
  (:func:`mmhuman_ext.geometry.densepose_flow.densepose_correspondence_flow`),
  no learning:
  what exact surface correspondence alone gives, without inpainting the
  uncovered background, the hair or the clothes outside the IUV map;
* ``driving_frame``: the output is the ground-truth driving frame (the best
  a model can score with the configured metrics; AKD / MKR then measure the
  keypoint detector alone);
* ``driving_frame_lowres``: the driving frame shrunk to the model's input
  size (``model.data_preprocessor.in_size``) and enlarged back: what the
  resolution path alone costs a perfect model.

The source-based predictions also give their flow (``pred_flow``: zero for
copying) and the source mask moved with them (``pred_mask``), the driving
ones the driving mask, for ``MotionTransferBranchMetric``.

The config's ``test_dataloader`` and ``test_evaluator`` are used as they
are; only the model is replaced.
"""
import argparse
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction

BASELINES = ('copy_source', 'densepose_warp', 'driving_frame',
             'driving_frame_lowres')


def densepose_warp(src_img: torch.Tensor, src_iuv: torch.Tensor,
                   drv_iuv: torch.Tensor, src_mask=None) -> dict:
    """``src_img (3, H, W)`` (and ``src_mask (1, H, W)``) moved by the
    DensePose correspondence flow of its IUV map to ``drv_iuv`` (both ``(3,
    H, W)``), through the project's flow warp (integer offsets: pixels are
    copied). Returns ``img``, ``mask`` (when given) and ``flow (2, H, W)``
    (normalised units)."""
    from mmhuman_ext.geometry.densepose_flow import \
        densepose_correspondence_flow
    from mmhuman_ext.models.layers.flow_warp import (
        pixel_flow_to_normalized, warp_by_flow)
    flow, _ = densepose_correspondence_flow(src_iuv.numpy(), drv_iuv.numpy())
    flow = pixel_flow_to_normalized(torch.from_numpy(flow).float()[None])
    out = dict(flow=flow[0], img=warp_by_flow(
        src_img.float()[None], flow)[0].round().to(src_img.dtype))
    if src_mask is not None:
        out['mask'] = warp_by_flow(src_mask.float()[None], flow)[0]
    return out


def through_resolution(img: torch.Tensor, in_size: int) -> torch.Tensor:
    """``img (C, H, W)`` float shrunk to the network input ``in_size``
    (area, as the data preprocessor) and enlarged back (bilinear)."""
    size = img.shape[-2:]
    small = F.interpolate(img[None].float(), size=(in_size, in_size),
                          mode='area')
    return F.interpolate(small, size=size, mode='bilinear',
                         align_corners=False)[0]


def baseline_prediction(inputs: dict, baseline: str,
                        in_size: Optional[int] = None) -> dict:
    """The ``baseline``'s output sample for one packed sample's ``inputs``:
    ``pred_img (3, H, W)`` in [-1, 1], ``pred_mask`` where the sample has
    masks, ``pred_flow`` (normalised) for the two source-based ones.
    ``driving_frame_lowres`` needs the network input size ``in_size``."""
    to_pred = (lambda img: img.float() / 127.5 - 1)
    src_mask = inputs.get('source_mask')
    drv_mask = inputs.get('driving_mask')
    if baseline == 'copy_source':
        out = dict(pred_img=to_pred(inputs['source_img']),
                   pred_flow=torch.zeros(2, *inputs['source_img'].shape[1:]),
                   pred_mask=src_mask)
    elif baseline == 'driving_frame':
        out = dict(pred_img=to_pred(inputs['driving_img']),
                   pred_mask=drv_mask)
    elif baseline == 'driving_frame_lowres':
        out = dict(pred_img=to_pred(through_resolution(
            inputs['driving_img'], in_size)))
        if drv_mask is not None:
            out['pred_mask'] = through_resolution(drv_mask, in_size)
    else:
        warp = densepose_warp(inputs['source_img'], inputs['source_iuv'],
                              inputs['driving_iuv'], src_mask)
        out = dict(pred_img=to_pred(warp['img']), pred_flow=warp['flow'],
                   pred_mask=warp.get('mask'))
    return {k: v for k, v in out.items() if v is not None}


def baseline_scores(cfg: Config, baseline: str) -> dict:
    """Run ``cfg.test_evaluator`` with the ``baseline`` predictions."""
    from mmengine.evaluator import Evaluator
    from mmengine.runner import Runner
    from tqdm import tqdm
    in_size = cfg.get('model', {}).get('data_preprocessor', {}).get(
        'in_size')
    if baseline == 'driving_frame_lowres' and in_size is None:
        raise ValueError('driving_frame_lowres needs '
                         'model.data_preprocessor.in_size in the config')
    loader = Runner.build_dataloader(cfg.test_dataloader)
    evaluator = Evaluator(cfg.test_evaluator)
    evaluator.dataset_meta = getattr(loader.dataset, 'metainfo', None)
    for batch in tqdm(loader, desc=baseline):
        inputs = batch['inputs']
        if isinstance(inputs, dict):  # default_collate: stacked fields
            inputs = [{k: v[i] for k, v in inputs.items()}
                      for i in range(len(inputs['source_img']))]
        outs = [baseline_prediction(x, baseline, in_size) for x in inputs]
        evaluator.process(outs, batch)
    return evaluator.evaluate(len(loader.dataset))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('--baselines', nargs='+', choices=BASELINES,
                   help='default: all (driving_frame_lowres only when the '
                   'config has a model input size)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    a = p.parse_args(argv)
    from mmhuman_ext.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(a.config)
    if a.cfg_options:
        cfg.merge_from_dict(a.cfg_options)
    baselines = a.baselines or [
        b for b in BASELINES if b != 'driving_frame_lowres'
        or cfg.get('model', {}).get('data_preprocessor', {}).get('in_size')]
    results = {b: baseline_scores(cfg, b) for b in baselines}
    for name, scores in results.items():
        print(name + ': ' + ', '.join(f'{k} {v:.4f}'
                                      for k, v in scores.items()))
    return results


if __name__ == '__main__':
    main()
