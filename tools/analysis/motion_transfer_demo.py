"""Evaluate a trained motion-transfer checkpoint against the same model
untrained, and draw its pictures and a video.

    python tools/analysis/motion_transfer_demo.py CONFIG CHECKPOINT \
        [--out metrics.json] [--show-dir DIR] [--num 6]

Both models run the config's test dataloader and test evaluator (e.g.
self-reconstruction L1 and AKD / MKR); ``motion_transfer_baselines.py`` gives
the references that need no training (copy the source, warp it by the
DensePose correspondence, the driving frame) on the same set. With
``--show-dir``:

* ``orfnt_demo_reconstruction.png``: rows source, driving, untrained,
  trained over ``--num`` test frames;
* ``orfnt_demo_animation.png``: rows source, driving, output for one pair of
  the config's animation pairs CSV (another video's poses);
* ``orfnt_demo.mp4``: source | driving | output over that driving video.
"""
import argparse
import json
import os
import os.path as osp

import cv2
import numpy as np
import torch
from mmengine.config import Config

from mmhuman_ext.registry import DATASETS, MODELS
from mmhuman_ext.utils import register_all_modules
from mmhuman_ext.utils.atomic_io import atomic_write_image, atomic_write_text
from mmhuman_ext.utils.checkpoint import load_checkpoint_file


def build_model(cfg, checkpoint=None, seed=0):
    """The config's model with random weights (``seed``) or a checkpoint's."""
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    if checkpoint is not None:
        state = load_checkpoint_file(checkpoint, map_location='cpu')
        model.load_state_dict(state.get('state_dict', state))
    return model.eval()


def evaluate(cfg, model):
    """``cfg.test_evaluator`` on ``cfg.test_dataloader`` with ``model``."""
    from mmengine.evaluator import Evaluator
    from mmengine.runner import Runner
    from tqdm import tqdm
    loader = Runner.build_dataloader(cfg.test_dataloader)
    evaluator = Evaluator(cfg.test_evaluator)
    evaluator.dataset_meta = getattr(loader.dataset, 'metainfo', None)
    for batch in tqdm(loader, leave=False):
        with torch.no_grad():
            evaluator.process(model.test_step(batch), batch)
    return evaluator.evaluate(len(loader.dataset))


def to_rgb(img):
    """[-1, 1] float or uint8 ``(3, H, W)`` -> uint8 ``(H, W, 3)``."""
    img = torch.as_tensor(img).detach().cpu()
    if img.dtype != torch.uint8:
        img = ((img.float() + 1) * 127.5).round().clamp(0, 255).byte()
    return img.permute(1, 2, 0).numpy()


def tile(rows, size):
    """Rows of RGB images -> one image, every tile ``size x size``."""
    def fit(x):
        return cv2.resize(x, (size, size), interpolation=cv2.INTER_AREA)
    return np.concatenate(
        [np.concatenate([fit(x) for x in row], 1) for row in rows], 0)


def batch_of(samples):
    return dict(inputs={k: torch.stack([s['inputs'][k] for s in samples])
                        for k in samples[0]['inputs']},
                data_samples=[s['data_samples'] for s in samples])


def pictures(cfg, trained, untrained, show_dir, num=6):
    from mmhuman_ext.apis.motion_transfer import write_video
    os.makedirs(show_dir, exist_ok=True)
    size = trained.out_size
    test = cfg.test_dataloader.dataset
    recon = DATASETS.build(test)
    picks = np.linspace(0, len(recon) - 1, num).round().astype(int)
    samples = [recon[int(i)] for i in picks]
    with torch.no_grad():
        out_t = trained.test_step(batch_of(samples))
        out_u = untrained.test_step(batch_of(samples))
    rows = [[to_rgb(s['inputs']['source_img']) for s in samples],
            [to_rgb(s['inputs']['driving_img']) for s in samples],
            [to_rgb(o.pred_img) for o in out_u],
            [to_rgb(o.pred_img) for o in out_t]]
    atomic_write_image(osp.join(show_dir, 'orfnt_demo_reconstruction.png'),
                       tile(rows, size)[..., ::-1])
    anim = DATASETS.build(dict(test, mode='animation', max_test_frames=None))
    first = anim.get_data_info(0)
    idx = [i for i in range(len(anim))
           if anim.get_data_info(i)['video_id'] == first['video_id'] and
           anim.get_data_info(i)['source_video_id'] ==
           first['source_video_id']]
    frames = []
    for start in range(0, len(idx), 8):
        chunk = [anim[i] for i in idx[start:start + 8]]
        with torch.no_grad():
            outs = trained.test_step(batch_of(chunk))
        frames += [(to_rgb(s['inputs']['source_img']),
                    to_rgb(s['inputs']['driving_img']), to_rgb(o.pred_img))
                   for s, o in zip(chunk, outs)]
    picked = frames[::max(1, len(frames) // num)][:num]
    atomic_write_image(osp.join(show_dir, 'orfnt_demo_animation.png'),
                       tile([list(r) for r in zip(*picked)], size)[..., ::-1])
    write_video(osp.join(show_dir, 'orfnt_demo.mp4'),
                (tile([list(f)], size) for f in frames), fps=8)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', help='write the metrics as JSON')
    parser.add_argument('--show-dir', help='write pictures and a video')
    parser.add_argument('--num', type=int, default=6)
    args = parser.parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    trained = build_model(cfg, args.checkpoint)
    untrained = build_model(cfg)
    results = dict(trained=evaluate(cfg, trained),
                   untrained=evaluate(cfg, untrained))
    for name, scores in results.items():
        print(f'{name}: ' + ', '.join(f'{k} {v:.4f}'
                                      for k, v in scores.items()))
    if args.out:
        atomic_write_text(args.out, json.dumps(results, indent=1))
    if args.show_dir:
        pictures(cfg, trained, untrained, args.show_dir, args.num)
    return results


if __name__ == '__main__':
    main()
