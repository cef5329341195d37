"""Animate a source image with the poses of a driving video (ORFNT).

    python tools/misc/motion_transfer.py CONFIG CKPT --source IMG \
        --driving VIDEO_OR_IUV_DIR --out DIR [--source-iuv FILE] \
        [--densepose-model MODEL.pt] [--comparison] [--fps 25]

``--driving`` is a folder of per-frame DensePose IUV maps (.png / .npz), a
video folder of the dataset layout (``<video>/iuv/``), or, with
``--densepose-model`` (a TorchScript DensePose model), a video file or a
folder of RGB frames. The source's IUV is ``--source-iuv``, else the
``iuv/`` map beside the source's ``frames/`` folder, else computed with
``--densepose-model``. Writes ``DIR/frames/%06d.png``, ``DIR/animation.mp4``
and, with ``--comparison``, ``DIR/comparison.mp4`` (source | driving
DensePose | result).
"""
import argparse


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--source', required=True, help='source image')
    p.add_argument('--driving', required=True,
                   help='IUV folder, video folder, or video / frames with '
                   '--densepose-model')
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--source-iuv', help='DensePose IUV file of the source')
    p.add_argument('--iuv-channel-order', default='IUV_cv2',
                   choices=('IUV_cv2', 'IUV_rgb'))
    p.add_argument('--densepose-model',
                   help='TorchScript DensePose model for RGB inputs')
    p.add_argument('--comparison', action='store_true',
                   help='also write comparison.mp4')
    p.add_argument('--fps', type=float, default=25)
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--device', default='cpu')
    return p.parse_args(argv)


def main(argv=None):
    from mmhuman_ext.apis.motion_transfer import (MotionTransferer,
                                                  motion_transfer_video)
    a = parse_args(argv)
    transferer = MotionTransferer.from_config(a.config, a.checkpoint,
                                              a.device)
    paths = motion_transfer_video(
        transferer, a.source, a.driving, a.out, source_iuv=a.source_iuv,
        channel_order=a.iuv_channel_order,
        densepose_model=a.densepose_model, fps=a.fps,
        batch_size=a.batch_size, comparison=a.comparison)
    for key, path in paths.items():
        print(f'{key}: {path}')


if __name__ == '__main__':
    main()
