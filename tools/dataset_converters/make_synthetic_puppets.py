"""Write the built-in motion-transfer data: puppet videos with their true
DensePose IUV maps, masks and OpenPose-18 keypoints, in the TED / TaiChi
layout read by DensePoseVideoPairDataset.

    python tools/dataset_converters/make_synthetic_puppets.py \
        [--out DIR] [--train 16] [--test 4] [--frames 32]

Without ``--out`` the data go to the cache folder
(``$MMHUMAN_EXT_DATA/synthetic/``, default ``~/.cache/mmhuman_ext``), never
into the working directory. Deterministic; an existing complete folder with
the same arguments is re-used. SyntheticPuppetDataset generates its folder
on first use.
"""
import argparse

from mmhuman_ext.datasets.synthetic.puppets import ensure_puppets


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', help='target folder (default: the cache)')
    p.add_argument('--train', type=int, default=16, help='training videos')
    p.add_argument('--test', type=int, default=4, help='test videos')
    p.add_argument('--frames', type=int, default=32, help='per video')
    p.add_argument('--size', type=int, default=256, help='frame side')
    p.add_argument('--pairs', type=int, default=50,
                   help='rows of animation_pairs_<split>.csv')
    p.add_argument('--format', choices=('frames', 'stacked'),
                   default='frames')
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args(argv)
    print(ensure_puppets(a.out, a.train, a.test, a.frames, a.size, a.seed,
                         a.pairs, a.format))


if __name__ == '__main__':
    main()
