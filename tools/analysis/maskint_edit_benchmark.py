"""Network evaluations and wall time per clip: MaskINT against per-frame
ControlNet editing, with the same networks, in one run.

    python tools/analysis/maskint_edit_benchmark.py CONFIG [--frames 16]
        [--repeats 3] [--device cpu] [--out results.json]

CONFIG holds a ``MaskINTEditPipeline`` as ``model`` (e.g.
configs/demo/maskint-edit-tiny_random-64x96.py: tiny random networks, no
files). Both methods edit the same random ``--frames`` clip at the config's
resolution with random prompt embeddings:

* MaskINT: structure maps, the 2 keyframes jointly (``2 x steps x 2``
  U-Net + ControlNet evaluations under guidance), VQ encode, K transformer
  passes, VQ decode;
* per-frame ControlNet: structure maps and every frame edited on its own by
  the same editor (``frames x steps x 2`` evaluations), VAE decode.

One warm-up edit each, then ``--repeats`` rounds alternating the two (so the
ratio holds on a shared machine); the median seconds are reported, the time
ratio is the median of the per-round ratios, and MaskINT's seconds per
stage are those of the last round. Model loading is excluded.
"""
import argparse
import json
import time

import numpy as np
import torch
from mmengine.config import Config, DictAction


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('--frames', type=int, default=16)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--device', default='cpu')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', help='write the figures as JSON')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p.parse_args(argv)


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def per_frame_controlnet(pipeline, frames, prompt_embeds, generator):
    """Edit every frame on its own (no shared noise or attention across
    frames): the per-frame ControlNet baseline. Returns (frames, NFE)."""
    editor = pipeline.keyframe_editor
    editor.reset_counter()
    structure = pipeline.detect(pipeline.structure, frames)
    out = torch.cat([
        editor.edit(s[None], prompt_embeds=prompt_embeds,
                    negative_prompt_embeds=torch.zeros_like(prompt_embeds),
                    generator=generator) for s in structure
    ])
    return out, editor.num_evaluations


def run(args):
    from mmhuman_ext.registry import MODELS
    from mmhuman_ext.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    pipeline = MODELS.build(cfg.model).to(device).eval()
    h, w = pipeline.resolution
    gen = torch.Generator().manual_seed(args.seed)
    frames = torch.rand(args.frames, 3, h, w, generator=gen).to(device)
    dim = pipeline.keyframe_editor.unet.config.cross_attention_dim
    embeds = torch.randn(1, 77, dim, generator=gen).to(device)

    def maskint():
        res = pipeline.edit(frames, prompt_embeds=embeds,
                            negative_prompt_embeds=torch.zeros_like(embeds))
        return res['num_evaluations'], res

    def per_frame():
        g = torch.Generator(device).manual_seed(args.seed)
        _, nfe = per_frame_controlnet(pipeline, pipeline.resize_frames(frames),
                                      embeds, g)
        return nfe, None

    methods = dict(maskint=maskint, per_frame_controlnet=per_frame)
    times = {k: [] for k in methods}
    info = {}
    with torch.no_grad():
        for name, fn in methods.items():  # warm-up
            info[name] = fn()
            print(f'warm-up {name} done', flush=True)
        for i in range(args.repeats):
            for name, fn in methods.items():
                _sync(device)
                start = time.perf_counter()
                info[name] = fn()
                _sync(device)
                times[name].append(time.perf_counter() - start)
                print(f'round {i + 1}/{args.repeats} {name}: '
                      f'{times[name][-1]:.2f} s', flush=True)
    res = info['maskint'][1]
    out = dict(
        config=args.config,
        frames=args.frames,
        resolution=[h, w],
        device=str(device),
        threads=torch.get_num_threads(),
        keyframes=res['keyframes'],
        maskint=dict(
            seconds=float(np.median(times['maskint'])),
            nfe_diffusion=res['nfe_diffusion'],
            nfe_transformer=res['nfe_transformer'],
            stage_seconds={
                k[8:-2]: round(v, 4)
                for k, v in res.items()
                if k.startswith('runtime_') and k != 'runtime_s'
            }),
        per_frame_controlnet=dict(
            seconds=float(np.median(times['per_frame_controlnet'])),
            nfe_diffusion=info['per_frame_controlnet'][0]))
    out['nfe_ratio'] = out['per_frame_controlnet']['nfe_diffusion'] / \
        res['nfe_diffusion']
    # ratio within each round (the two ran back to back), then the median:
    # robust to the load of a shared machine drifting between rounds
    out['time_ratio'] = float(np.median(
        np.array(times['per_frame_controlnet']) / np.array(times['maskint'])))
    out['round_seconds'] = times
    return out


def main(argv=None):
    args = parse_args(argv)
    out = run(args)
    m, p = out['maskint'], out['per_frame_controlnet']
    print(f'{out["frames"]} frames at {out["resolution"][0]}x'
          f'{out["resolution"][1]} on {out["device"]} '
          f'({out["threads"]} threads), median of {args.repeats}')
    print(f'{"method":<24}{"U-Net+CN evals":>16}{"transformer":>13}'
          f'{"seconds":>10}')
    print(f'{"MaskINT":<24}{m["nfe_diffusion"]:>16}'
          f'{m["nfe_transformer"]:>13}{m["seconds"]:>10.3f}')
    print(f'{"per-frame ControlNet":<24}{p["nfe_diffusion"]:>16}'
          f'{0:>13}{p["seconds"]:>10.3f}')
    print(f'MaskINT stages (s): {m["stage_seconds"]}')
    print(f'ratio per-frame / MaskINT: {out["nfe_ratio"]:.1f}x U-Net+CN '
          f'evaluations, {out["time_ratio"]:.2f}x time (median of the '
          'per-round ratios)')
    if args.out:
        from mmhuman_ext.utils.atomic_io import atomic_write_text
        atomic_write_text(args.out, json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
