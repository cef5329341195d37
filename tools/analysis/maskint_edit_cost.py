"""Every network pass of a MaskINT edit against per-frame ControlNet: FLOPs
at full size (attention counted) and CPU seconds, one clip.

    # FLOP table (shapes only: the networks are built on the meta device)
    python tools/analysis/maskint_edit_cost.py \
        configs/maskint/maskint-edit-hed_random-fullwidth-384x672.py --flops
    # CPU timing of the same networks at a small size, interleaved rounds
    python tools/analysis/maskint_edit_cost.py \
        configs/maskint/maskint-edit-hed_random-fullwidth-384x672.py \
        --time --resolution 64 96 --repeats 3

A clip of ``--frames`` N (16) with S DDIM steps (the editor's 50) under
classifier-free guidance and K decoding passes (the interpolator's 32):

* MaskINT: HED on N frames, S joint steps of the 2 keyframes (ControlNet +
  U-Net on 2 x 2 samples, extended attention), VAE decode of 2, VQ encode
  of 2 keyframes + N structure maps, K transformer passes (N - 2 frames
  queried), VQ decode of N;
* per-frame ControlNet: HED on N frames, N x S steps of one frame (2
  samples), VAE decode of N.

Each unit is counted (``--flops``: ``torch.utils.flop_counter`` under the
math SDPA backend, so attention products count) or timed (``--time``: one
warm-up, then ``--repeats`` rounds running every unit once, in the same
order, so both methods see the same machine load; a method's seconds in a
round are the sum of its units times their counts, and the ratio is the
median of the per-round ratios). The text encoder (two prompts per clip)
is left out of both.
"""
import argparse
import contextlib
import json
import statistics
import time

import torch
from mmengine.config import Config, DictAction


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument('--flops', action='store_true')
    mode.add_argument('--time', action='store_true')
    p.add_argument('--frames', type=int, default=16)
    p.add_argument('--resolution', type=int, nargs=2,
                   help='frame size (default: the config\'s)')
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--out', help='write the figures as JSON')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p.parse_args(argv)


def build_units(pipeline, frames: int, size, device) -> dict:
    """``name -> (callable, count per clip for MaskINT, for per-frame
    ControlNet)``; each callable runs one unit on random inputs."""
    editor = pipeline.keyframe_editor
    transformer = pipeline.interpolator.transformer
    h, w = size
    f = pipeline.tokenizer.downsample_factor
    lat = (editor.unet.config.in_channels, h // editor.vae_scale,
           w // editor.vae_scale)
    dim = editor.unet.config.cross_attention_dim
    steps = editor.num_inference_steps
    passes = pipeline.num_steps or \
        pipeline.interpolator.test_cfg['num_steps']
    editor.scheduler.set_timesteps(steps)  # on the CPU (meta: shapes only)
    t = editor.scheduler.timesteps[0]
    embeds = torch.zeros(1, 77, dim, device=device)
    video = torch.rand(frames, 3, h, w, device=device)
    tokens = torch.zeros(1, frames, h // f, w // f, dtype=torch.long,
                         device=device)

    def transformer_pass():
        # forward(query_mask=the non-key frames), written with a slice so
        # that it also runs on the meta device
        x = transformer.features(tokens, tokens)[:, 1:-1]
        transformer.head(transformer.norm(x))

    def step(num_keyframes: int):
        latents = torch.randn(num_keyframes, *lat, device=device)
        cond = embeds.expand(2 * num_keyframes, -1, -1)
        control = torch.rand(2 * num_keyframes, 3, h, w, device=device)

        def run():
            editor.attn_processor.num_frames = num_keyframes
            editor.denoise_step(latents, t, cond, control)

        return run

    def vae_decode():
        editor.decode(torch.randn(1, *lat, device=device))

    return {
        'HED, per frame': (lambda: pipeline.detect(pipeline.structure,
                                                   video[:1]), frames,
                           frames),
        'ControlNet + U-Net step, 2 keyframes jointly (4 samples)':
        (step(2), steps, 0),
        'ControlNet + U-Net step, 1 frame (2 samples)':
        (step(1), 0, frames * steps),
        'VAE decode, per frame': (vae_decode, 2, frames),
        'VQ encode, per frame': (lambda: pipeline.tokenizer.encode(
            video[:1] * 2 - 1), 2 + frames, 0),
        'MaskINT transformer pass, whole clip': (transformer_pass, passes,
                                                 0),
        # _decode: decode() without its token range check (meta: no values)
        'VQ decode, per frame': (lambda: pipeline.tokenizer._decode(
            tokens[0, :1]), frames, 0),
    }


def build_pipeline(args, device):
    from mmhuman_ext.registry import MODELS
    from mmhuman_ext.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    with device if device.type == 'meta' else contextlib.nullcontext():
        pipeline = MODELS.build(cfg.model)
    return pipeline.eval()


@torch.no_grad()
def count(args) -> dict:
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode
    device = torch.device('meta')
    pipeline = build_pipeline(args, device)
    size = tuple(args.resolution or pipeline.resolution)
    rows = {}
    for name, (fn, n_maskint, n_per_frame) in build_units(
            pipeline, args.frames, size, device).items():
        counter = FlopCounterMode(display=False)
        with sdpa_kernel(SDPBackend.MATH), counter:
            fn()
        rows[name] = dict(unit=counter.get_total_flops(), maskint=n_maskint,
                          per_frame=n_per_frame)
    return dict(size=size, rows=rows)


@torch.no_grad()
def measure(args) -> dict:
    device = torch.device('cpu')
    pipeline = build_pipeline(args, device)
    size = tuple(args.resolution or pipeline.resolution)
    units = build_units(pipeline, args.frames, size, device)
    seconds = {name: [] for name in units}
    for r in range(args.repeats + 1):
        for name, (fn, _, _) in units.items():
            start = time.perf_counter()
            fn()
            if r:
                seconds[name].append(time.perf_counter() - start)
        print(f'round {r}/{args.repeats} done', flush=True)
    rows = {
        name: dict(unit=statistics.median(seconds[name]), maskint=a,
                   per_frame=b, rounds=seconds[name])
        for name, (_, a, b) in units.items()
    }
    ratios = []
    for r in range(args.repeats):
        totals = [
            sum(row['rounds'][r] * row[key] for row in rows.values())
            for key in ('maskint', 'per_frame')
        ]
        ratios.append(totals[1] / totals[0])
    return dict(size=size, rows=rows, round_ratios=ratios,
                ratio=statistics.median(ratios),
                threads=torch.get_num_threads())


def report(out: dict, what: str) -> None:
    scale, unit = (1e12, 'TFLOPs') if what == 'flops' else (1, 's')
    print(f'{out["size"][0]}x{out["size"][1]}, per clip; {unit}')
    print(f'{"unit":<58}{"each":>10}{"MaskINT":>10}{"per-frame":>10}')
    totals = [0., 0.]
    for name, row in out['rows'].items():
        a, b = row['unit'] * row['maskint'], row['unit'] * row['per_frame']
        totals[0] += a
        totals[1] += b
        print(f'{name:<58}{row["unit"] / scale:>10.4g}'
              f'{row["maskint"]:>5}x {a / scale:<8.4g}'
              f'{row["per_frame"]:>5}x {b / scale:<8.4g}')
    print(f'{"total":<58}{"":>10}{totals[0] / scale:>10.4g}'
          f'{totals[1] / scale:>10.4g}')
    ratio = out.get('ratio', totals[1] / totals[0])
    print(f'per-frame ControlNet / MaskINT: {ratio:.2f}x')
    out['totals'] = totals


def main(argv=None):
    args = parse_args(argv)
    out = count(args) if args.flops else measure(args)
    report(out, 'flops' if args.flops else 'time')
    if args.out:
        from mmhuman_ext.utils.atomic_io import atomic_write_text
        atomic_write_text(args.out, json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
