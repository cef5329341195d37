"""Save pictures of what a config's pipeline feeds the model.

    python tools/misc/browse_dataset.py CONFIG [--split train] [--num 20]
        [--out-dir work_dirs/browse]

Each picture shows the network input (after augmentation) with the target
keypoints, and beside it the target heatmaps (their maximum over joints)
blended onto the input when the pipeline makes heatmaps.
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np
from mmengine.config import Config, DictAction
from mmengine.utils import ProgressBar

from mmhuman_ext.registry import DATASETS
from mmhuman_ext.utils import register_all_modules
from mmhuman_ext.utils.atomic_io import atomic_write_image


def _to_bgr(inputs) -> np.ndarray:
    img = inputs.detach().cpu().numpy()
    if img.ndim == 4:  # several views or frames: side by side
        img = np.concatenate(list(img), axis=2)
    return np.ascontiguousarray(img.transpose(1, 2, 0)).astype(np.uint8)


def render_sample(sample) -> np.ndarray:
    """One picture for one packed sample (``inputs`` + ``data_samples``)."""
    img = _to_bgr(sample['inputs'])
    data_sample = sample['data_samples']
    gt = getattr(data_sample, 'gt_instances', None)
    canvas = img.copy()
    if gt is not None and 'transformed_keypoints' in gt:
        kpts = np.asarray(gt.transformed_keypoints).reshape(-1, 2)
        vis = np.asarray(gt.get('keypoints_visible',
                                np.ones(len(kpts)))).reshape(-1)
        for (x, y), v in zip(kpts, vis):
            if v > 0:
                cv2.circle(canvas, (int(round(x)), int(round(y))), 2,
                           (0, 255, 0) if v > 0.5 else (0, 165, 255), -1)
    fields = getattr(data_sample, 'gt_fields', None)
    if fields is None or 'heatmaps' not in fields:
        return canvas
    heat = np.asarray(fields.heatmaps).max(axis=0)
    heat = cv2.resize(heat, (img.shape[1], img.shape[0]))
    heat = cv2.applyColorMap(
        np.clip(heat * 255, 0, 255).astype(np.uint8), cv2.COLORMAP_JET)
    return np.concatenate([canvas, cv2.addWeighted(img, 0.5, heat, 0.5, 0)],
                          axis=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--split', default='train',
                        choices=['train', 'val', 'test'])
    parser.add_argument('--num', type=int, default=20)
    parser.add_argument('--out-dir', default='work_dirs/browse')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    register_all_modules(init_default_scope=True)
    dataset = DATASETS.build(cfg[f'{args.split}_dataloader'].dataset)
    num = min(args.num, len(dataset))
    os.makedirs(args.out_dir, exist_ok=True)
    progress = ProgressBar(num)
    for idx in range(num):
        atomic_write_image(
            osp.join(args.out_dir, f'{args.split}_{idx:04d}.jpg'),
            render_sample(dataset[idx]))
        progress.update()
    print(f'\nwrote {num} pictures to {args.out_dir}')


if __name__ == '__main__':
    main()
