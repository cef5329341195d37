"""Frames/s of the ORFNT motion-transfer generator next to the official
First Order Motion Model (FOMM) and Thin-Plate Spline Motion Model (TPSMM)
generators, the models alternating frame by frame in one process.

    python tools/analysis/motion_transfer_speed.py [--config CONFIG] \\
        [--fomm PATH/first-order-model] \\
        [--tpsmm PATH/Thin-Plate-Spline-Motion-Model] \\
        [--size 256] [--rounds 7] [--warmup 1] [--threads 1] \\
        [--profile 3] [--out results.json]

The official code is not part of this repository: ``--fomm`` / ``--tpsmm``
name checkouts of github.com/AliaksandrSiarohin/first-order-model and
github.com/yoyo-nb/Thin-Plate-Spline-Motion-Model; their models are built
from the released ``config/vox-256.yaml`` with random weights. CONFIG
defaults to the released ORFNT 128 -> 256 model
(``configs/motion_transfer/orfnt-s4-blender-sr_1xb8-200ki_ted-128to256.py``).

What one frame costs (batch 1, ``size x size`` frames, eval mode, the
source image fixed, as when one source image drives a video; pose
extraction (DensePose for ORFNT) excluded):

* ``orfnt``: ``ORFNTMotionTransfer.animate`` with the source cache of
  ``encode_source`` (what ``MotionTransferer`` runs per driving frame):
  the driving IUV encoding, MotionNet, both branches' decoders, BlenderNet;
* ``orfnt-uncached``: the same with the source encoders run every frame;
* ``fomm``: the keypoint detector on the driving frame, then the generator
  (dense motion, source encoder, warping, decoder), as the official
  reconstruction loop (source keypoints once per video);
* ``tpsmm``: the keypoint detector on the driving frame, the background
  motion predictor, dense motion and the inpainting network, as the
  official reconstruction loop (source keypoints once per video).

Each round times one frame of every model in turn; reported: median, best
and worst frames/s and the per-round ratios ``orfnt`` frames/s over each
other model's, by the wall clock and by the process's CPU time (on a
shared CPU the second measures the work with less noise from the other
jobs; on a GPU only the wall clock means anything). ``--profile N`` then
profiles N frames of ``orfnt`` (``torch.profiler``, top operators by self
CPU time).
"""
import argparse
import contextlib
import json
import os.path as osp
import statistics
import sys
from typing import Dict, List

import torch
from torch import nn

from mmhuman_ext.utils.atomic_io import atomic_write_text
from mmhuman_ext.utils.model_analysis import (Subject, count_flops,
                                              count_parameters,
                                              time_alternating)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_CONFIG = osp.join(ROOT, 'configs', 'motion_transfer',
                          'orfnt-s4-blender-sr_1xb8-200ki_ted-128to256.py')
# what a checkout of each official repository must hold
OFFICIAL = dict(
    fomm=dict(
        repo='AliaksandrSiarohin/first-order-model',
        files=('modules/generator.py', 'modules/keypoint_detector.py',
               'sync_batchnorm/__init__.py', 'config/vox-256.yaml')),
    tpsmm=dict(
        repo='yoyo-nb/Thin-Plate-Spline-Motion-Model',
        files=('modules/inpainting_network.py',
               'modules/keypoint_detector.py', 'modules/dense_motion.py',
               'modules/bg_motion_predictor.py', 'config/vox-256.yaml')))
# top-level packages of the official repositories (both have 'modules')
OFFICIAL_PACKAGES = ('modules', 'sync_batchnorm')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='ORFNT config (the released 128 -> 256 model)')
    parser.add_argument('--fomm', help='checkout of ' +
                        OFFICIAL['fomm']['repo'])
    parser.add_argument('--tpsmm', help='checkout of ' +
                        OFFICIAL['tpsmm']['repo'])
    parser.add_argument('--size', type=int, default=256,
                        help='frame size (square)')
    parser.add_argument('--rounds', type=int, default=7)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--profile', type=int, default=0, metavar='N',
                        help='profile N frames of orfnt afterwards')
    parser.add_argument('--no-uncached', action='store_true',
                        help='leave out the orfnt-uncached row')
    parser.add_argument('--out', help='write the figures to this JSON file')
    return parser.parse_args(argv)


def check_official(kind: str, root: str) -> str:
    """``root`` if it is a checkout of the official ``kind`` code, else
    SystemExit naming the missing file."""
    info = OFFICIAL[kind]
    if not osp.isdir(root):
        raise SystemExit(f'--{kind} {root}: no such directory (expected a '
                         f'checkout of github.com/{info["repo"]})')
    for rel in info['files']:
        if not osp.isfile(osp.join(root, rel)):
            raise SystemExit(
                f'--{kind} {root}: {rel} not found (expected a checkout '
                f'of github.com/{info["repo"]})')
    return osp.abspath(root)


@contextlib.contextmanager
def official_imports(root: str):
    """Import from ``root`` (both official repositories name their package
    ``modules``): ``root`` first on ``sys.path`` and their packages out of
    ``sys.modules`` before and after."""

    def pop_official():
        return {
            name: sys.modules.pop(name)
            for name in list(sys.modules)
            if name.split('.')[0] in OFFICIAL_PACKAGES
        }

    saved = pop_official()
    sys.path.insert(0, root)
    try:
        yield
    finally:
        sys.path.remove(root)
        pop_official()
        sys.modules.update(saved)


def _vox_config(root: str) -> dict:
    import yaml
    with open(osp.join(root, 'config', 'vox-256.yaml')) as f:
        return yaml.safe_load(f)['model_params']


def _frames(batch_size: int, size: int, seed: int):
    """Source and driving RGB frames ``(B, 3, size, size)`` in [0, 1]."""
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(batch_size, 3, size, size, generator=gen),
            torch.rand(batch_size, 3, size, size, generator=gen))


class FOMMFrame(nn.Module):
    """One driving frame of the official FOMM: ``kp_detector(driving)``,
    then ``generator(source, kp_source, kp_driving)``."""

    def __init__(self, root: str):
        super().__init__()
        cfg = _vox_config(root)
        with official_imports(root):
            from modules.generator import OcclusionAwareGenerator
            from modules.keypoint_detector import KPDetector
            self.kp_detector = KPDetector(**cfg['kp_detector_params'],
                                          **cfg['common_params'])
            self.generator = OcclusionAwareGenerator(
                **cfg['generator_params'], **cfg['common_params'])

    def forward(self, source, kp_source, driving):
        kp_driving = self.kp_detector(driving)
        return self.generator(source, kp_source=kp_source,
                              kp_driving=kp_driving)['prediction']


class TPSMMFrame(nn.Module):
    """One driving frame of the official TPSMM: ``kp_detector(driving)``,
    ``bg_predictor(source, driving)``, ``dense_motion_network`` and
    ``inpainting_network``."""

    def __init__(self, root: str):
        super().__init__()
        cfg = _vox_config(root)
        common = cfg['common_params']
        with official_imports(root):
            from modules.bg_motion_predictor import BGMotionPredictor
            from modules.dense_motion import DenseMotionNetwork
            from modules.inpainting_network import InpaintingNetwork
            from modules.keypoint_detector import KPDetector
            self.kp_detector = KPDetector(**common)
            self.dense_motion_network = DenseMotionNetwork(
                **common, **cfg['dense_motion_params'])
            self.inpainting_network = InpaintingNetwork(
                **cfg['generator_params'], **common)
            self.bg_predictor = (BGMotionPredictor() if common['bg'] else
                                 None)

    def forward(self, source, kp_source, driving):
        kp_driving = self.kp_detector(driving)
        bg_param = (self.bg_predictor(source, driving)
                    if self.bg_predictor is not None else None)
        motion = self.dense_motion_network(
            source_image=source, kp_driving=kp_driving, kp_source=kp_source,
            bg_param=bg_param, dropout_flag=False)
        return self.inpainting_network(source, motion)['prediction']


def official_subject(name: str, model: nn.Module, size: int) -> Subject:
    """Source keypoints once per source (in ``make_inputs``), then one
    driving frame per call."""

    def make_inputs(batch_size):
        source, driving = _frames(batch_size, size, seed=1)
        return source, model.kp_detector(source), driving

    return Subject(name, model.eval(), make_inputs,
                   lambda m, inputs: m(*inputs))


def build_orfnt(config: str) -> nn.Module:
    """The inference model of an ORFNT config, random weights, eval mode
    (no discriminator or VGG: training only)."""
    from mmengine.config import Config

    from mmhuman_ext.registry import MODELS
    from mmhuman_ext.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(config)
    cfg.model.update(discriminator=None, vgg=None, loss_cfg=None)
    return MODELS.build(cfg.model).eval()


def orfnt_inputs(batch_size: int, size: int, num_parts: int = 24):
    """A source image in [-1, 1] and raw source / driving IUV maps (part id
    0..``num_parts``, U, V in [0, 1]), all ``(B, 3, size, size)``."""
    gen = torch.Generator().manual_seed(2)

    def iuv():
        parts = torch.randint(0, num_parts + 1, (batch_size, 1, size, size),
                              generator=gen).float()
        return torch.cat(
            [parts, torch.rand(batch_size, 2, size, size, generator=gen)], 1)

    source = torch.rand(batch_size, 3, size, size, generator=gen) * 2 - 1
    return source, iuv(), iuv()


def orfnt_subject(name: str, model: nn.Module, size: int,
                  cached: bool) -> Subject:
    """``model.animate`` per driving frame, with the source encoded once
    (``cached``) or every frame."""
    num_parts = model.data_preprocessor.num_parts

    def make_inputs(batch_size):
        source, source_iuv, driving_iuv = orfnt_inputs(batch_size, size,
                                                       num_parts)
        cache = model.encode_source(source, source_iuv) if cached else None
        return source, source_iuv, driving_iuv, cache

    def forward(m, inputs):
        source, source_iuv, driving_iuv, cache = inputs
        return m.animate(source, source_iuv, driving_iuv,
                         source_cache=cache)['fake']

    return Subject(name, model, make_inputs, forward)


def profile_top_ops(subject: Subject, frames: int, top: int = 10
                    ) -> List[Dict[str, object]]:
    """The ``top`` operators of ``frames`` frames by self CPU time."""
    from torch.profiler import ProfilerActivity, profile
    inputs = subject.make_inputs(1)
    with torch.inference_mode():
        subject.forward(subject.model, inputs)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(frames):
                subject.forward(subject.model, inputs)
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total,
                    reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    return [
        dict(name=e.key, calls_per_frame=e.count / frames,
             self_ms_per_frame=e.self_cpu_time_total / 1e3 / frames,
             share=e.self_cpu_time_total / total) for e in events[:top]
    ]


def main(argv=None):
    args = parse_args(argv)
    official = {kind: check_official(kind, getattr(args, kind))
                for kind in OFFICIAL if getattr(args, kind)}
    if not osp.isfile(args.config):
        raise SystemExit(f'--config {args.config}: no such file')
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    model = build_orfnt(args.config)
    subjects = [orfnt_subject('orfnt', model, args.size, cached=True)]
    if not args.no_uncached:
        subjects.append(
            orfnt_subject('orfnt-uncached', model, args.size, cached=False))
    builders = dict(fomm=FOMMFrame, tpsmm=TPSMMFrame)
    for kind, root in official.items():
        subjects.append(
            official_subject(kind, builders[kind](root), args.size))
    for s in subjects:
        s.model.to(device)
    params = [count_parameters(s.model)['params'] for s in subjects]
    with torch.inference_mode():
        flops = [count_flops(s, 1) for s in subjects]
    print(f'device {device}, {torch.get_num_threads()} threads, batch 1, '
          f'{args.size}x{args.size} frames, {args.warmup} warm-up + '
          f'{args.rounds} timed rounds, models alternating frame by frame')
    time_alternating(subjects, 1, args.warmup, args.rounds, device)
    rows = []
    clocks = (('wall', 'times'), ('cpu', 'cpu_times'))
    for s, n, f in zip(subjects, params, flops):
        row = dict(name=s.name, params=n, gflops_per_frame=f / 1e9)
        for clock, attr in clocks:
            times, base = getattr(s, attr), getattr(subjects[0], attr)
            ratios = [t / b for b, t in zip(base, times)]
            row[clock] = dict(
                seconds=times, fps_median=1 / statistics.median(times),
                fps_best=1 / min(times), fps_worst=1 / max(times),
                orfnt_speed_ratio_per_round=ratios,
                orfnt_speed_ratio=statistics.median(ratios))
        rows.append(row)
    for clock, _ in clocks:
        print(f'{clock} clock: {"model":<16}{"params":>12}{"GFLOPs":>8}'
              f'{"fps med":>9}{"best":>7}{"worst":>7}  orfnt / model per '
              'round (median)')
        for row in rows:
            r = row[clock]
            print(f'{"":<12}{row["name"]:<16}{row["params"]:>12,}'
                  f'{row["gflops_per_frame"]:>8.1f}{r["fps_median"]:>9.3f}'
                  f'{r["fps_best"]:>7.3f}{r["fps_worst"]:>7.3f}  ' +
                  ' '.join(f'{x:.2f}'
                           for x in r['orfnt_speed_ratio_per_round']) +
                  f' ({r["orfnt_speed_ratio"]:.2f})')
    result = dict(device=str(device), threads=torch.get_num_threads(),
                  size=args.size, rounds=args.rounds, config=args.config,
                  models=rows)
    if args.profile:
        top = profile_top_ops(subjects[0], args.profile)
        result['profile_top_ops'] = top
        print(f'top operators of orfnt by self CPU time ({args.profile} '
              'frames)')
        for op in top:
            print(f'  {op["name"][:40]:<40}{op["self_ms_per_frame"]:>9.1f} '
                  f'ms/frame {100 * op["share"]:>5.1f} % '
                  f'{op["calls_per_frame"]:>6.0f} calls/frame')
    if args.out:
        atomic_write_text(args.out, json.dumps(result, indent=2))
    return result


if __name__ == '__main__':
    main()
