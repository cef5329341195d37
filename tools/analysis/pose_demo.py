"""Summarise a trained top-down pose demo: the config's test metric of the
trained model against the same model untrained, and a picture of the trained
model's predictions on held-out images.

    python tools/analysis/pose_demo.py CONFIG WORK_DIR [--num 8]

``WORK_DIR`` is the work dir of ``tools/train.py CONFIG``; its
``last_checkpoint`` names the trained weights. Both models run the config's
test dataloader and evaluator (for the demo: mmpose's ``CocoMetric`` on the
validation split, which training never sees); the untrained one is the
model built with the config's seed (``randomness``). Written into
``WORK_DIR``: ``demo_predictions.png`` (the first ``--num`` validation images
with the predicted skeletons in the detected boxes) and ``demo_summary.json``
(both metric dicts). The last line printed is the summary, e.g.::

    demo: COCO AP 0.468 after 16 epochs (untrained 0.000); predictions on \
8 held-out images: work_dirs/demo/demo_predictions.png
"""
import argparse
import copy
import json
import os.path as osp
from collections import OrderedDict

import cv2
import numpy as np
from mmengine.config import Config
from mmengine.runner import Runner

from mmhuman_ext.registry import DATASETS
from mmhuman_ext.utils.atomic_io import atomic_write_image, atomic_write_text
from mmhuman_ext.utils.checkpoint import load_checkpoint_file
from mmhuman_ext.utils.setup_env import register_all_modules


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('work_dir', help='the work dir of tools/train.py')
    parser.add_argument('--num', type=int, default=8,
                        help='held-out images in the picture')
    parser.add_argument('--bbox-thr', type=float, default=0.3,
                        help='detected boxes drawn from this score on')
    parser.add_argument('--metric', default='coco/AP',
                        help='the metric of the summary line')
    return parser.parse_args(argv)


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint that ``work_dir/last_checkpoint`` names."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise FileNotFoundError(
            f'{marker} not found: expected the work dir of a finished '
            f'tools/train.py run (it names the last checkpoint)')
    with open(marker) as f:
        path = f.read().strip()
    if not osp.isfile(path):
        raise FileNotFoundError(f'{marker} names {path}, which is missing')
    return path


def test_metrics(cfg: Config, checkpoint, work_dir: str, name: str) -> dict:
    """The config's test loop on ``checkpoint`` (``None``: untrained)."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.load_from = checkpoint
    cfg.resume = False
    cfg.experiment_name = name
    return Runner.from_cfg(cfg).test()


def held_out_images(cfg: Config, num: int, bbox_thr: float):
    """``[(img_path, boxes (N, 4) xyxy)]`` of the first ``num`` images of the
    test split, with their detected boxes of score >= ``bbox_thr``."""
    dataset = DATASETS.build(dict(cfg.test_dataloader.dataset, pipeline=[]))
    boxes = OrderedDict()
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        found = boxes.setdefault(info['img_path'], [])
        if len(boxes) > num:
            del boxes[info['img_path']]
            break
        if float(np.max(info.get('bbox_score', 1.0))) >= bbox_thr:
            found.append(np.asarray(info['bbox'], np.float32).reshape(4))
    return [(path, np.stack(b) if b else np.zeros((0, 4), np.float32))
            for path, b in boxes.items()]


def draw_predictions(cfg: Config, checkpoint: str, images, cols: int = 4,
                     scale: float = 2.0) -> np.ndarray:
    """Tile the images with the predicted skeletons: BGR uint8."""
    from mmpose.apis import inference_topdown
    from mmpose.structures import merge_data_samples
    from mmpose.visualization import PoseLocalVisualizer

    from mmhuman_ext.apis.pose_inference import init_pose_model
    model = init_pose_model(cfg, checkpoint, device='cpu')
    visualizer = PoseLocalVisualizer(
        name='pose_demo', radius=2, line_width=1)
    visualizer.set_dataset_meta(model.dataset_meta)
    tiles = []
    for path, boxes in images:
        bgr = cv2.imread(path)
        if len(boxes):
            sample = merge_data_samples(inference_topdown(
                model, bgr, bboxes=boxes, bbox_format='xyxy'))
            visualizer.add_datasample(
                'pred', bgr[..., ::-1], data_sample=sample, draw_gt=False,
                draw_bbox=True, kpt_thr=0.3, show=False)
            drawn = visualizer.get_image()[..., ::-1]
        else:
            drawn = bgr
        tiles.append(cv2.resize(drawn, None, fx=scale, fy=scale))
    blank = np.zeros_like(tiles[0])
    tiles += [blank] * (-len(tiles) % cols)
    return np.concatenate([
        np.concatenate(tiles[r:r + cols], 1)
        for r in range(0, len(tiles), cols)
    ], 0)


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    checkpoint = last_checkpoint(args.work_dir)
    epoch = load_checkpoint_file(
        checkpoint, map_location='cpu').get('meta', {}).get('epoch')
    eval_dir = osp.join(args.work_dir, 'demo_eval')
    trained = test_metrics(cfg, checkpoint, eval_dir, 'demo_trained')
    untrained = test_metrics(cfg, None, eval_dir, 'demo_untrained')
    for name, metrics in (('trained', trained), ('untrained', untrained)):
        if args.metric not in metrics:
            raise KeyError(f'--metric {args.metric!r} is not among the '
                           f'{name} metrics {sorted(metrics)}')
    picture = osp.join(args.work_dir, 'demo_predictions.png')
    images = held_out_images(cfg, args.num, args.bbox_thr)
    atomic_write_image(picture, draw_predictions(cfg, checkpoint, images))
    atomic_write_text(
        osp.join(args.work_dir, 'demo_summary.json'),
        json.dumps(dict(checkpoint=checkpoint, epoch=epoch, trained=trained,
                        untrained=untrained), indent=2, default=float))
    label = args.metric.replace('coco/', 'COCO ')
    after = f' after {epoch} epochs' if epoch is not None else ''
    print(f'demo: {label} {trained[args.metric]:.3f}{after} (untrained '
          f'{untrained[args.metric]:.3f}); predictions on {len(images)} '
          f'held-out images: {picture}')


if __name__ == '__main__':
    main()
