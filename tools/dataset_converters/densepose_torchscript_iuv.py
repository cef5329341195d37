"""Extract per-frame DensePose IUV maps with a TorchScript DensePose model
(no detectron2 needed at run time: torch and OpenCV only).

    python tools/dataset_converters/densepose_torchscript_iuv.py \
        densepose_rcnn_R_101_FPN_DL_s1x.ts.pt data/ted/train/VIDEO/frames \
        data/ted/train/VIDEO/iuv [--min-score 0.8] [--device cuda]

The frames may be a folder of images, a video file or a stacked PNG; the
IUV maps are written as ``<out>/<frame stem>.png`` (``[I, U*255, V*255]``
by cv2, ``iuv_channel_order='IUV_cv2'``), one per frame, empty where no
person scores ``--min-score``.

The model file is a ``torch.jit`` module exported once where detectron2 is
installed (``docs/motion_transfer.md#data`` shows the wrapper). It takes one
float32 image ``(3, H, W)`` in 0..255, BGR (``--rgb`` for RGB models), and
returns the detections and the raw DensePose chart head outputs, either as a
dict with these keys or as a tuple in this order:

* ``pred_boxes`` ``(N, 4)`` XYXY in image pixels, ``scores`` ``(N,)``;
* ``coarse_segm`` ``(N, 2, S, S)``, ``fine_segm`` ``(N, 25, S, S)``,
  ``u`` and ``v`` ``(N, 25, S, S)`` (DensePose's chart predictor output).

The highest-scoring box is kept; its outputs are resized to the box and
pasted into the frame as DensePose does
(:class:`mmhuman_ext.datasets.densepose_charts.TorchScriptDensePose`).
"""
import argparse
import os
import os.path as osp

from tqdm import tqdm

from mmhuman_ext.datasets.densepose_charts import TorchScriptDensePose
from mmhuman_ext.datasets.motion_transfer_inputs import write_iuv_png
from mmhuman_ext.utils.video import FrameSource


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('model', help='TorchScript DensePose model (.pt)')
    p.add_argument('frames', help='frame folder, video file or stacked PNG')
    p.add_argument('out_dir', help='the iuv/ folder of the video')
    p.add_argument('--min-score', type=float, default=0.8)
    p.add_argument('--rgb', action='store_true',
                   help='the model takes RGB (default BGR, as detectron2)')
    p.add_argument('--out-size', type=int, nargs=2, metavar=('H', 'W'),
                   help='resize the maps (nearest) to this size, e.g. the '
                   'dataset crops when the frames are the originals')
    p.add_argument('--device', default='cpu')
    a = p.parse_args(argv)
    densepose = TorchScriptDensePose(a.model, a.device, a.rgb, a.min_score,
                                     a.out_size)
    source = FrameSource(a.frames)
    stems = source.stems()
    os.makedirs(a.out_dir, exist_ok=True)
    for t, frame in enumerate(tqdm(source, total=len(stems),
                                   desc='DensePose (TorchScript)')):
        write_iuv_png(osp.join(a.out_dir, stems[t] + '.png'),
                      densepose(frame))
    print(f'{len(stems)} IUV maps written to {a.out_dir}')


if __name__ == '__main__':
    main()
