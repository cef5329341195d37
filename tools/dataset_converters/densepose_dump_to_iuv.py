"""Convert a detectron2 DensePose ``apply_net.py dump`` file into per-frame
IUV maps in the motion-transfer layout.

    # with detectron2 + DensePose, once per video (frames extracted as PNG):
    python projects/DensePose/apply_net.py dump \
        configs/densepose_rcnn_R_101_FPN_DL_s1x.yaml model_final.pkl \
        data/ted/train/VIDEO/frames --output VIDEO.pkl
    # here (no detectron2 needed):
    python tools/dataset_converters/densepose_dump_to_iuv.py VIDEO.pkl \
        data/ted/train/VIDEO/iuv [--format png|npz]

For every image of the dump the highest-scoring box is kept and its labels
and U, V are pasted into a frame-sized map at ``pred_boxes_XYXY``
(:func:`mmhuman_ext.datasets.densepose_charts.paste_box_iuv`); frames
without a detection get an empty map. The output is
``<out>/<frame stem>.png`` holding ``[I, U*255, V*255]`` written by cv2
(``iuv_channel_order='IUV_cv2'``) or ``.npz`` with ``I``, ``U``, ``V``.

The dump is read without detectron2 and without running code from it: its
DensePose result classes resolve to inert stand-ins (tensors and numbers
only), through :class:`~mmhuman_ext.utils.safe_pickle.RestrictedUnpickler`
for pickle files and ``torch.load(weights_only=True)`` for the zip files
that current DensePose writes (``torch.save``). Old dumps (a
``DensePoseResult`` per image whose ``results`` are ``(shape, base64 PNG)``
pairs of ``[I, U*255, V*255]``) are decoded here too, so neither detectron2
nor DensePose is imported at all.
"""
import argparse
import base64
import io
import os
import os.path as osp
import zipfile
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
import torch
from tqdm import tqdm

from mmhuman_ext.datasets.densepose_charts import (best_box, paste_box_iuv,
                                                   resize_iuv)
from mmhuman_ext.utils.atomic_io import atomic_write_bytes
from mmhuman_ext.utils.safe_pickle import DATA_PICKLE, RestrictedUnpickler

# DensePose result classes a dump may hold (module paths of several
# DensePose versions); each resolves to an inert stand-in.
RESULT_CLASSES = [
    ('densepose.structures.chart_result', 'DensePoseChartResult'),
    ('densepose.structures.chart_result',
     'DensePoseChartResultWithConfidences'),
    ('densepose.structures', 'DensePoseChartResult'),
    ('densepose.structures', 'DensePoseChartResultWithConfidences'),
    ('densepose.data.structures', 'DensePoseResult'),
    ('densepose.structures', 'DensePoseResult'),
]


class DensePoseResultStandIn:
    """Inert holder of a pickled DensePose result's attributes."""

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2:  # (dict, slots)
            state = {**(state[0] or {}), **(state[1] or {})}
        self.__dict__.update(state if isinstance(state, dict) else
                             dict(state=state))


def _stand_in(module: str, name: str) -> type:
    """A stand-in class per DensePose class (torch needs distinct types)."""
    return type(name, (DensePoseResultStandIn, ), {'__module__': module})


STAND_INS = {key: _stand_in(*key) for key in RESULT_CLASSES}


class DensePoseDumpUnpickler(RestrictedUnpickler):
    """The project's restricted unpickler for data pickles (numpy, tensors,
    plain containers) plus the DensePose result classes (as stand-ins)."""

    def __init__(self, file, source: str):
        super().__init__(file, source, allowed={**DATA_PICKLE, **STAND_INS},
                         what='tensors, numpy arrays and DensePose results')


def load_dump(path: str) -> List[dict]:
    """The list of per-image dicts of an ``apply_net.py dump`` file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'DensePose dump {path} not found')
    if zipfile.is_zipfile(path):
        from mmhuman_ext.utils.checkpoint import mmengine_checkpoint_globals
        allowed = mmengine_checkpoint_globals() + [
            (cls, f'{m}.{n}') for (m, n), cls in STAND_INS.items()]
        with torch.serialization.safe_globals(allowed):
            data = torch.load(path, map_location='cpu', weights_only=True)
    else:
        with open(path, 'rb') as f:
            data = DensePoseDumpUnpickler(f, source=path).load()
    if not isinstance(data, list) or not all(isinstance(d, dict)
                                             for d in data):
        raise ValueError(f'{path}: expected a list of per-image dicts '
                         '(file_name, scores, pred_boxes_XYXY, '
                         'pred_densepose) as apply_net.py dump writes')
    return data


def _numpy(x) -> np.ndarray:
    return x.cpu().numpy() if torch.is_tensor(x) else np.asarray(x)


def decode_legacy_result(shape, data: str) -> np.ndarray:
    """``(3, h, w)`` uint8 ``[I, U*255, V*255]`` of an old DensePose
    result: a base64 string of a PNG whose pixels hold the three channels."""
    from PIL import Image
    with Image.open(io.BytesIO(base64.decodebytes(data.encode()))) as im:
        arr = np.asarray(im.convert('RGB'), np.uint8)
    return np.moveaxis(arr, -1, 0).reshape(shape)


def box_result(result) -> Tuple[np.ndarray, np.ndarray]:
    """``labels (h, w)`` and ``uv (2, h, w)`` of one box result: a chart
    result (``labels``, ``uv`` in [0, 1]) or an old ``(shape, base64 PNG)``
    pair."""
    if isinstance(result, (tuple, list)) and len(result) == 2:
        shape, data = result
        iuv = decode_legacy_result(tuple(shape), data) if isinstance(
            data, str) else np.asarray(data).reshape(shape)
        return iuv[0], iuv[1:3].astype(np.float32) / 255
    state = getattr(result, '__dict__', {})
    if 'labels' in state and 'uv' in state:
        return _numpy(state['labels']), _numpy(state['uv']).astype(np.float32)
    raise ValueError(f'unknown DensePose result {type(result).__name__}: '
                     'expected labels/uv or a (shape, PNG data) pair')


def entry_to_iuv(entry: dict, frame_hw: Tuple[int, int]) -> np.ndarray:
    """Full-frame IUV ``(H, W, 3)`` of one dump entry: its best box pasted
    (an empty map when nothing was detected)."""
    scores = entry.get('scores')
    results = entry.get('pred_densepose')
    if scores is None or results is None or len(_numpy(scores)) == 0:
        return np.zeros(frame_hw + (3, ), np.float32)
    boxes = _numpy(entry['pred_boxes_XYXY'])
    results = getattr(results, 'results', results)  # old DensePoseResult
    k = best_box(_numpy(scores))
    if len(results) != len(boxes):
        raise ValueError(f'{entry.get("file_name")}: {len(boxes)} boxes but '
                         f'{len(results)} DensePose results')
    labels, uv = box_result(results[k])
    return paste_box_iuv(labels, uv, boxes[k], frame_hw)


def save_iuv(path: str, iuv: np.ndarray) -> None:
    """``.png`` (``[I, U*255, V*255]`` by cv2) or ``.npz``, atomically."""
    if path.endswith('.npz'):
        buf = io.BytesIO()
        np.savez_compressed(buf, I=iuv[..., 0].astype(np.uint8),
                            U=iuv[..., 1].astype(np.float32),
                            V=iuv[..., 2].astype(np.float32))
        atomic_write_bytes(path, buf.getvalue())
    else:
        from mmhuman_ext.datasets.motion_transfer_inputs import write_iuv_png
        write_iuv_png(path, iuv)


def convert(dump: str, out_dir: str, fmt: str = 'png',
            frame_size: Optional[Tuple[int, int]] = None,
            out_size: Optional[Tuple[int, int]] = None) -> Dict[str, str]:
    """Write one IUV file per dump entry; returns ``{frame file: IUV file}``.

    Args:
        frame_size: ``(H, W)`` of the frames; default read from each entry's
            ``file_name``.
        out_size: ``(H, W)`` of the written maps (nearest resize), e.g. the
            256-px crops the dataset reads when DensePose ran on the
            original frames; default the frame size.
    """
    written = {}
    for entry in tqdm(load_dump(dump), desc='DensePose -> IUV'):
        name = entry.get('file_name')
        if name is None:
            raise KeyError(f'{dump}: an entry has no file_name')
        hw = frame_size
        if hw is None:
            img = cv2.imread(name, cv2.IMREAD_UNCHANGED)
            if img is None:
                raise FileNotFoundError(
                    f'{dump}: cannot read frame {name} to get its size; pass '
                    '--frame-size H W')
            hw = img.shape[:2]
        iuv = entry_to_iuv(entry, tuple(hw))
        if out_size is not None:
            iuv = resize_iuv(iuv, out_size)
        stem = osp.splitext(osp.basename(name))[0]
        path = osp.join(out_dir, f'{stem}.{fmt}')
        save_iuv(path, iuv)
        written[name] = path
    return written


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('dump', help='apply_net.py dump output (.pkl)')
    p.add_argument('out_dir', help='folder of the IUV files (the iuv/ '
                   'folder of a video)')
    p.add_argument('--format', choices=('png', 'npz'), default='png')
    p.add_argument('--frame-size', type=int, nargs=2, metavar=('H', 'W'),
                   help='frame size (default: read each frame)')
    p.add_argument('--out-size', type=int, nargs=2, metavar=('H', 'W'),
                   help='resize the maps (nearest) to this size')
    a = p.parse_args(argv)
    os.makedirs(a.out_dir, exist_ok=True)
    written = convert(a.dump, a.out_dir, a.format,
                      tuple(a.frame_size) if a.frame_size else None,
                      tuple(a.out_size) if a.out_size else None)
    print(f'{len(written)} IUV maps written to {a.out_dir}')


if __name__ == '__main__':
    main()
