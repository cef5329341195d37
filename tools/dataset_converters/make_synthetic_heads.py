"""Write the built-in CVTHead data: a stand-in head model in the FLAME file
format (``flame/generic_model.pkl``, ``flame/landmark_embedding.npy``,
``flame/hierarchy.npz``), stand-ins of the hair/shoulder deformation files
(``flame/linear_hair.pth``, ``flame/mean_deform.pt``, ``flame/u_full.pt``)
and VoxCeleb-layout videos rendered from them.

    python tools/dataset_converters/make_synthetic_heads.py \
        [--out DIR] [--subdivisions 4] [--frames 12] ...

Without ``--out`` the data go to the cache folder
(``$MMHUMAN_EXT_DATA/synthetic/``, default ``~/.cache/mmhuman_ext``), never
into the working directory. Deterministic; an existing complete folder with
the same arguments is re-used. The demo configs name their own folder
(``synthetic/cvthead_demo_heads/`` in the cache), which tools/train.py and
tools/test.py write on first use.
"""
import argparse

from mmhuman_ext.datasets.synthetic.heads import ensure_synthetic_heads


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', help='target folder (default: the cache)')
    p.add_argument('--subdivisions', type=int, default=4,
                   help='icosphere level of the head mesh (4: 2562 vertices)')
    p.add_argument('--train-subjects', type=int, default=6)
    p.add_argument('--test-subjects', type=int, default=2)
    p.add_argument('--videos', type=int, default=2, help='per subject')
    p.add_argument('--frames', type=int, default=12, help='per video')
    p.add_argument('--size', type=int, default=256, help='frame side')
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args(argv)
    root = ensure_synthetic_heads(a.out, a.subdivisions, a.train_subjects,
                                  a.test_subjects, a.videos, a.frames,
                                  a.size, a.seed)
    print(root)


if __name__ == '__main__':
    main()
