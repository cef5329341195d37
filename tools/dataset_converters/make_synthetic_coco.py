"""Write the built-in synthetic COCO-style pose data to a folder.

    python tools/dataset_converters/make_synthetic_coco.py --out data/synthcoco

The folder then has the layout of COCO (``annotations/``, ``train/``,
``val/``, ``person_detection_results/``); see
:mod:`mmhuman_ext.datasets.synthetic.coco_figures`.
"""
import argparse

from mmhuman_ext.datasets.synthetic.coco_figures import ensure_coco_figures


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--num-train', type=int, default=600)
    parser.add_argument('--num-val', type=int, default=100)
    parser.add_argument(
        '--img-size', type=int, nargs=2, default=(256, 192),
        metavar=('WIDTH', 'HEIGHT'))
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    root = ensure_coco_figures(
        args.out,
        num_train=args.num_train,
        num_val=args.num_val,
        img_size=tuple(args.img_size),
        seed=args.seed)
    print(root)


if __name__ == '__main__':
    main()
