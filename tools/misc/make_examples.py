"""Write the example inputs of every tools/infer.py mode.

    python tools/misc/make_examples.py [--out DIR] [--random-checkpoints]

Writes pictures, a short video, a multi-view capture with its cameras.json,
a CVTHead data root (source and driving videos), a motion-transfer puppet
pair and a CLIP tokenizer folder into DIR (default
``$MMHUMAN_EXT_DATA/examples``, else ``~/.cache/mmhuman_ext/examples``),
once; see ``docs/inference.md`` for the commands that run on them and the
file formats. ``--random-checkpoints`` also writes random-weight checkpoints
of the demo configs into ``DIR/checkpoints/random_<config>.pth``, so that
every command runs before anything is trained (their outputs are noise).
"""
import argparse
import os.path as osp

#: demo configs the documented commands use, and the part of the model a
#: checkpoint holds ('' = all of it)
DEMO_CONFIGS = {
    'configs/demo/ppt-s-tiny_1xb16-60e_synthcoco-128x96.py': '',
    'configs/demo/pstmo-s-d64_1xb64-4e_synthh36m-det-27f.py': '',
    'configs/demo/transfusion-tiny_1xb8-40e_synthmv-128x128.py': '',
    'configs/demo/cvthead-tiny-s2_1xb4-2e_synthheads-64x64.py': '',
    'configs/demo/maskint-edit-tiny_random-64x96.py': 'interpolator',
    'configs/demo/orfnt-tiny-s4-blender-sr_1xb4-600i_puppets-64to128.py': '',
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', help='folder (default: <data>/examples)')
    p.add_argument(
        '--random-checkpoints',
        action='store_true',
        help='also write random-weight checkpoints of the demo configs')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config

    from mmhuman_ext.apis.examples import (ensure_examples,
                                           save_random_checkpoint)
    from mmhuman_ext.datasets.layout import generate_builtin_data
    from mmhuman_ext.utils import register_all_modules
    register_all_modules()
    root = ensure_examples(args.out)
    print(f'examples: {root}')
    if not args.random_checkpoints:
        return
    for config, module in DEMO_CONFIGS.items():
        cfg = Config.fromfile(config)
        generate_builtin_data(cfg, splits=('test', ))  # model files it reads
        name = osp.splitext(osp.basename(config))[0]
        path = osp.join(root, 'checkpoints', f'random_{name}.pth')
        if not osp.isfile(path):
            save_random_checkpoint(cfg, path, module)
        print(f'random weights: {path}')


if __name__ == '__main__':
    main()
