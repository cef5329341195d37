"""Draw frames of a motion-transfer video with their DensePose maps and
masks, to check prepared data (e.g. a converted DensePose dump).

    python tools/misc/show_motion_transfer_data.py data/ted/test/VIDEO \
        --frames 0 8 16 24 --out show.png [--iuv-channel-order IUV_cv2]

One row per frame: RGB | IUV parts (hue = part id) | U | V | mask (black
when the video has no mask file). ``VIDEO`` is a video folder of the
dataset layout (``frames/`` or ``<video>.mp4`` and ``iuv/``).
"""
import argparse
import os.path as osp

import cv2
import numpy as np


def draw(video_dir: str, frames, channel_order: str = 'IUV_cv2',
         scale: float = 1.0) -> np.ndarray:
    """The RGB picture of the module docstring for frames ``frames``."""
    from mmhuman_ext.apis.motion_transfer import iuv_visual
    from mmhuman_ext.datasets.motion_transfer_inputs import (find_iuv_file,
                                                             read_iuv,
                                                             read_mask)
    from mmhuman_ext.utils.video import FrameSource
    name = osp.basename(osp.normpath(video_dir))
    source = None
    for path in (osp.join(video_dir, 'frames'),
                 osp.join(video_dir, name + '.mp4'),
                 osp.join(osp.dirname(osp.normpath(video_dir)),
                          name + '.mp4')):
        if osp.exists(path):
            source = FrameSource(path)
            break
    if source is None:
        raise FileNotFoundError(f'{video_dir}: no frames/ folder or '
                                f'{name}.mp4')
    stems = source.stems()
    rows = []
    for t, rgb in zip(frames, source.read(frames)):
        path = find_iuv_file(osp.join(video_dir, 'iuv'), stems[t])
        if path is None:
            raise FileNotFoundError(f'{video_dir}/iuv: no map for frame {t}')
        iuv = read_iuv(path, channel_order)
        mask_path = osp.join(video_dir, 'mask', stems[t] + '.png')
        mask = read_mask(mask_path) if osp.isfile(mask_path) else \
            np.zeros(rgb.shape[:2], np.float32)

        def grey(a):
            return np.repeat((a * 255).astype(np.uint8)[..., None], 3, 2)

        panels = [rgb, iuv_visual(iuv), grey(iuv[..., 1]), grey(iuv[..., 2]),
                  grey(mask)]
        h, w = rgb.shape[:2]
        rows.append(np.concatenate(
            [cv2.resize(p, (w, h), interpolation=cv2.INTER_NEAREST)
             for p in panels], 1))
    img = np.concatenate(rows, 0)
    if scale != 1:
        img = cv2.resize(img, None, fx=scale, fy=scale,
                         interpolation=cv2.INTER_AREA)
    return img


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('video_dir')
    p.add_argument('--frames', type=int, nargs='+', default=[0])
    p.add_argument('--out', required=True, help='output PNG')
    p.add_argument('--iuv-channel-order', default='IUV_cv2',
                   choices=('IUV_cv2', 'IUV_rgb'))
    p.add_argument('--scale', type=float, default=1.0)
    a = p.parse_args(argv)
    from mmhuman_ext.utils.atomic_io import atomic_write_image
    img = draw(a.video_dir, a.frames, a.iuv_channel_order, a.scale)
    atomic_write_image(a.out, img[..., ::-1])
    print(a.out)


if __name__ == '__main__':
    main()
