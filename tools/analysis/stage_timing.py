"""Time per frame / per pass and the share of each stage, for CVTHead's
driven frame and the MaskINT interpolator's decoding pass (CPU).

    python tools/analysis/stage_timing.py cvthead CONFIG [--standin-head] \\
        [--rounds 5] [--warmup 1] [--threads 1] [--cfg-options ...]
    python tools/analysis/stage_timing.py maskint CONFIG \\
        [--rounds 1] [--warmup 0] [--threads 1] [--cfg-options ...]

``cvthead`` alternates, frame by frame, a driven frame with the avatar
cached (FLAME, the cached f_H offsets, projection, splat, U-Net: what
``HeadAnimator.render`` runs) and the same frame re-encoding the source
every time (f_H, FLAME for source and driver, encoder, transformer, spiral
decoder, splat, U-Net), on the model's dummy inputs (batch 1, random
weights). ``maskint`` times one decoding pass of the interpolation
transformer over a 16-frame clip (the non-key frames queried), on the
token grid of the config. Stage times come from forward hooks on the
stage's modules in the timed rounds; "other" is the rest of the frame
(projection, window partitioning, glue).
``--standin-head`` builds CVTHead on the built-in stand-in head files
(FLAME-format mesh, hierarchy, hair model; written to a temporary folder)
with the ROME encoder initialisation and the loss networks left out, for
random-weight timing without the licensed FLAME files.
"""
import argparse
import json
import statistics
import tempfile
from typing import Dict, List

import torch
from mmengine.config import DictAction

from mmhuman_ext.utils.atomic_io import atomic_write_text
from mmhuman_ext.utils.model_analysis import (StageTimer, Subject,
                                              subject_from_config,
                                              time_alternating)

# CVTHead options -> the stand-in head file (key of the paths that
# make_standin_head_model returns) they take
STANDIN_HEAD_FILES = {
    'model.flame.model_path': 'flame',
    'model.generator.hierarchy.path': 'hierarchy',
    'model.hair_deformer.net_ckpt': 'net',
    'model.hair_deformer.mean_path': 'mean',
    'model.hair_deformer.basis_path': 'basis',
}
CVTHEAD_STANDIN_OPTIONS = {
    'model.generator.encoder.init_ckpt': None,
    'model.loss_vgg': None,
    'model.loss_id': None
}
CVTHEAD_STAGES = {
    'f_H (hair / shoulder offsets)': ['hair_deformer'],
    'FLAME': ['flame'],
    'encoder': ['generator.encoder'],
    'vertex transformer': ['generator.vertex_transformer'],
    'spiral decoder + descriptor head': ['generator.upsampler',
                                         'generator.descriptor_head'],
    'point splat': ['generator.rasterizer'],
    'U-Net': ['generator.renderer'],
}


def maskint_stages(transformer) -> Dict[str, List[str]]:
    """Stage -> module paths of a ``MaskINT`` model's transformer."""
    t = 'transformer'
    layers: Dict[str, List[str]] = {}
    for i, kind in enumerate(transformer.layer_pattern):
        layers.setdefault(kind, []).append(f'{t}.layers.{i}')
    every = [p for paths in layers.values() for p in paths]
    stages = {
        'embedding': [f'{t}.color_embed', f'{t}.structure_embed'],
        'conv down / up': [f'{t}.downsample', f'{t}.upsample',
                           f'{t}.up_act'],
    }
    for kind, paths in layers.items():
        stages[f'{len(paths)} {kind} layers'] = paths
    stages['  of all layers: qkv + out projection'] = [
        f'{p}.{m}' for p in every for m in ('qkv', 'proj')]
    stages['  of all layers: MLP'] = [
        f'{p}.{m}' for p in every for m in ('fc1', 'act', 'fc2')]
    stages['norm + head (queried tokens)'] = [f'{t}.norm', f'{t}.head']
    return stages


def standin_head_options(head_dir: str) -> dict:
    """Write the stand-in head files into ``head_dir``; the CVTHead config
    options that use them."""
    from mmhuman_ext.datasets.synthetic.heads import make_standin_head_model
    paths = make_standin_head_model(head_dir)
    return dict(CVTHEAD_STANDIN_OPTIONS, **{
        key: paths[name]
        for key, name in STANDIN_HEAD_FILES.items()
    })


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('method', choices=('cvthead', 'maskint'))
    parser.add_argument('config')
    parser.add_argument('--rounds', type=int)
    parser.add_argument('--warmup', type=int)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--standin-head', action='store_true',
                        help='cvthead: the built-in stand-in head files')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--out', help='write the figures to this JSON file')
    return parser.parse_args(argv)


def cvthead_subjects(base: Subject) -> List[Subject]:
    """The cached-avatar frame and the re-encoding frame of one model."""
    model = base.model

    def inputs_with(cached):

        def make_inputs(batch_size):
            model.dummy_cached_source = cached
            return model.dummy_inputs(batch_size)

        return make_inputs

    return [
        Subject('driven frame, avatar cached', model, inputs_with(True),
                base.forward),
        Subject('driven frame, source re-encoded', model, inputs_with(False),
                base.forward)
    ]


def _with_stage_times(forward, stages, calls: List[dict]):
    """``forward`` that appends each call's seconds per stage to
    ``calls``."""

    def timed(model, inputs):
        with StageTimer(model, stages) as timer:
            out = forward(model, inputs)
        calls.append(timer.seconds)
        return out

    return timed


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    options = dict(args.cfg_options or {})
    with tempfile.TemporaryDirectory() as head_dir:
        if args.standin_head:
            options = dict(standin_head_options(head_dir), **options)
        base = subject_from_config(args.config, cfg_options=options)
    if args.method == 'cvthead':
        subjects = cvthead_subjects(base)
        stages = CVTHEAD_STAGES
        rounds = args.rounds or 5
        warmup = 1 if args.warmup is None else args.warmup
    else:
        base.name = 'decoding pass'
        subjects = [base]
        stages = maskint_stages(base.model.transformer)
        rounds = args.rounds or 1
        warmup = args.warmup or 0
    # every call runs under its subject's stage hooks (a few clock reads
    # per hooked module); the timed rounds' calls are the last `rounds`
    calls = {s.name: [] for s in subjects}
    for s in subjects:
        s.forward = _with_stage_times(s.forward, stages, calls[s.name])
    time_alternating(subjects, 1, warmup, rounds, torch.device('cpu'))
    print(f'CPU, {torch.get_num_threads()} threads, batch 1, {warmup} '
          f'warm-up + {rounds} timed rounds' +
          (', alternating' if len(subjects) > 1 else ''))
    results = []
    for s in subjects:
        total = sum(s.times)
        seconds: Dict[str, float] = {}
        for call in calls[s.name][-rounds:]:
            for k, v in call.items():
                if v > 0:
                    seconds[k] = seconds.get(k, 0.0) + v / rounds
        top = sum(v for k, v in seconds.items() if not k.startswith(' '))
        seconds['other'] = max(total / rounds - top, 0.0)
        res = dict(name=s.name, seconds=s.times,
                   median_s=statistics.median(s.times), best_s=min(s.times),
                   stage_seconds=seconds,
                   stage_share={k: v * rounds / total
                                for k, v in seconds.items()})
        results.append(res)
        print(f'{s.name}: median {1000 * res["median_s"]:.0f} ms (best '
              f'{1000 * res["best_s"]:.0f} ms) over {len(s.times)} rounds; '
              'mean per round by stage:')
        for k, v in seconds.items():
            print(f'  {k:<40}{1000 * v:>10.1f} ms '
                  f'{100 * res["stage_share"][k]:>6.1f} %')
    if len(subjects) == 2:
        ratios = [b / a for a, b in zip(subjects[0].times, subjects[1].times)]
        print('re-encoding / cached time per round: ' +
              ' '.join(f'{r:.1f}' for r in ratios) +
              f' (median {statistics.median(ratios):.1f})')
        results[1]['time_ratio_to_cached'] = statistics.median(ratios)
    if args.out:
        atomic_write_text(args.out, json.dumps(
            dict(method=args.method, config=args.config,
                 threads=torch.get_num_threads(), results=results),
            indent=2))
    return results


if __name__ == '__main__':
    main()
