"""Picture strip of MaskINT interpolation on one validation clip.

    python tools/misc/maskint_interpolation_strip.py CONFIG CKPT \
        [--ablation CONFIG2 CKPT2] [--index 0] [--out strip.png]

Rows, one column per frame: the source frames, their structure maps, the
keyframes given to the model, MaskINT's interpolation (and the ablation's),
linear blending of the keyframes, and the VQ reconstruction of the ground
truth (the upper bound). Frames are taken from the config's validation
dataset (frames tokenised online); the PNG is written atomically.
"""
import argparse

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.runner import load_checkpoint

from mmhuman_ext.evaluation.metrics.frame_interpolation_metric import \
    keyframe_baselines
from mmhuman_ext.registry import DATASETS, MODELS
from mmhuman_ext.utils import register_all_modules
from mmhuman_ext.utils.atomic_io import atomic_write_image


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--ablation', nargs=2, metavar=('CONFIG', 'CKPT'),
                        help='a second model, shown as its own row')
    parser.add_argument('--index', type=int, default=0,
                        help='validation item to show')
    parser.add_argument('--out', default='maskint_strip.png')
    return parser.parse_args(argv)


def _model(config: str, checkpoint: str):
    cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model).eval()
    load_checkpoint(model, checkpoint, map_location='cpu')
    return cfg, model


def _row(frames: torch.Tensor, label: str) -> np.ndarray:
    """``(N, 3, H, W)`` in [-1, 1] -> one labelled BGR row."""
    imgs = ((frames.clamp(-1, 1) + 1) * 127.5).round().byte().permute(
        0, 2, 3, 1).numpy()[..., ::-1]
    row = np.concatenate([np.pad(i, ((0, 0), (0, 2), (0, 0)),
                                 constant_values=255) for i in imgs], 1)
    bar = np.full((row.shape[0], 150, 3), 255, np.uint8)
    cv2.putText(bar, label, (4, row.shape[0] // 2 + 4),
                cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return np.pad(np.concatenate([bar, row], 1), ((0, 2), (0, 0), (0, 0)),
                  constant_values=255)


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    cfg, model = _model(args.config, args.checkpoint)
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    batch = default_collate([dataset[args.index]])
    models = [('MaskINT', model)]
    if args.ablation:
        models.append(('no structure', _model(*args.ablation)[1]))
    with torch.no_grad():
        data = model.data_preprocessor(batch)
        preds = [(name, m(**m.data_preprocessor(batch),
                          mode='predict')[0]) for name, m in models]
    first = preds[0][1]
    gt, given = first['gt_frames'], first['given']
    frames = data['inputs']['frames'][0]
    maps = batch['inputs'].get('structure_maps')
    if maps is not None:
        maps = maps[0].float().expand(-1, 3, -1, -1) / 127.5 - 1
    keys = torch.where(given[:, None, None, None], gt, torch.ones_like(gt))
    rows = [_row(frames, 'source')]
    if maps is not None:
        rows.append(_row(maps, 'structure'))
    rows.append(_row(keys, 'keyframes'))
    rows += [_row(p['pred_frames'], name) for name, p in preds]
    rows.append(_row(keyframe_baselines(gt, given)['linear'], 'linear blend'))
    rows.append(_row(first['recon_frames'], 'VQ recon.'))
    atomic_write_image(args.out, np.concatenate(rows, 0))
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
