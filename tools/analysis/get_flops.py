"""Parameters, trainable parameters and FLOPs of a config's model.

    python tools/analysis/get_flops.py CONFIG [--shape H W] [--batch-size 1]
        [--views V] [--math-attention]

``--math-attention`` counts under the math SDPA backend: torch's counter
does not see the fused CPU attention kernels. Multi-view models get
``--views`` crops per sample (default: the config's ``num_views``).
"""
import argparse

from mmengine.config import DictAction

from mmhuman_ext.utils.model_analysis import (count_flops, count_parameters,
                                              make_subject)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file, or py:FILE.py:FUNC')
    parser.add_argument('--shape', type=int, nargs='+',
                        help='input shape H W (or C H W) per sample')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--views', type=int,
                        help='views per sample of a multi-view model')
    parser.add_argument('--math-attention', action='store_true',
                        help='count attention products on CPU too')
    args = parser.parse_args(argv)
    kwargs = dict(views=args.views)
    if not args.config.startswith('py:'):
        kwargs.update(shape=args.shape, cfg_options=args.cfg_options)
    subject = make_subject(args.config, **kwargs)
    counts = count_parameters(subject.model)
    flops = count_flops(subject, args.batch_size,
                        args.math_attention) / args.batch_size
    print(f'config:               {args.config}')
    print(f'parameters:           {counts["params"]:,}')
    print(f'trainable parameters: {counts["trainable"]:,}')
    # models with several networks (e.g. ORFNT) list their parts
    breakdown = getattr(subject.model, 'parameter_breakdown', None)
    for name, count in (breakdown() if breakdown else {}).items():
        print(f'  {name + ":":<20}{count:,}')
    print(f'FLOPs per sample:     {flops / 1e9:.3f} G '
          f'({flops / 2e9:.3f} GMACs)')
    if subject.views > 1:
        print(f'views per sample:     {subject.views} '
              f'({flops / 2e9 / subject.views:.3f} GMACs per view)')


if __name__ == '__main__':
    main()
