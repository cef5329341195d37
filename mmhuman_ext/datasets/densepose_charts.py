"""Turning DensePose chart predictions into full-frame IUV maps.

DensePose (detectron2) predicts, per detected person box, a part label map
and U, V maps *of the box's size*; ``apply_net.py dump`` stores them as
``labels (h, w)`` and ``uv (2, h, w)`` with ``pred_boxes_XYXY`` and
``scores``. A frame's IUV map is the box result pasted at the box's integer
corner ``(int(x0), int(y0))`` (DensePose's own convention) and clipped to the
frame. When several people are found, the highest-scoring box is kept.

:func:`chart_to_box` reproduces DensePose's conversion of the raw head
outputs (coarse / fine segmentation and per-part U, V at the head's
resolution, e.g. 112x112) to the box size, for exported models that return
raw outputs; :class:`TorchScriptDensePose` runs such a model (a
``torch.jit`` file) on frames.
"""
import os.path as osp
from typing import Dict, Tuple

import numpy as np
import torch
import torch.nn.functional as F


def best_box(scores) -> int:
    """Index of the highest-scoring detection."""
    scores = np.asarray(scores, np.float64).ravel()
    if scores.size == 0:
        raise ValueError('no detection')
    return int(scores.argmax())


def paste_box_iuv(labels: np.ndarray, uv: np.ndarray, box_xyxy,
                  frame_hw: Tuple[int, int]) -> np.ndarray:
    """Paste one box's DensePose result into an empty frame.

    Args:
        labels: ``(h, w)`` part ids 0..24 of the box.
        uv: ``(2, h, w)`` U, V in [0, 1] of the box.
        box_xyxy: ``(x0, y0, x1, y1)`` in frame pixels.
        frame_hw: ``(H, W)`` of the frame.

    Returns:
        np.ndarray: ``(H, W, 3)`` float32 I, U, V; zeros outside the box and
        on background pixels.
    """
    labels = np.asarray(labels)
    uv = np.asarray(uv, np.float32)
    if labels.ndim != 2 or uv.shape != (2, ) + labels.shape:
        raise ValueError(f'labels (h, w) and uv (2, h, w) expected, got '
                         f'{labels.shape} and {uv.shape}')
    H, W = frame_hw
    out = np.zeros((H, W, 3), np.float32)
    x0, y0 = int(box_xyxy[0]), int(box_xyxy[1])
    h, w = labels.shape
    fx0, fy0 = max(x0, 0), max(y0, 0)
    fx1, fy1 = min(x0 + w, W), min(y0 + h, H)
    if fx1 <= fx0 or fy1 <= fy0:
        return out
    sl = (slice(fy0 - y0, fy1 - y0), slice(fx0 - x0, fx1 - x0))
    lab = labels[sl].astype(np.float32)
    fg = lab > 0
    out[fy0:fy1, fx0:fx1, 0] = lab
    out[fy0:fy1, fx0:fx1, 1] = uv[0][sl] * fg
    out[fy0:fy1, fx0:fx1, 2] = uv[1][sl] * fg
    return out


def resize_iuv(iuv: np.ndarray, size_hw: Tuple[int, int]) -> np.ndarray:
    """Nearest resize of an IUV map ``(H, W, 3)`` to ``(h, w)``: labels and
    U, V are never blended across part borders."""
    import cv2
    h, w = size_hw
    return cv2.resize(iuv, (w, h), interpolation=cv2.INTER_NEAREST)


def chart_to_box(coarse_segm: torch.Tensor, fine_segm: torch.Tensor,
                 u: torch.Tensor, v: torch.Tensor, box_xyxy):
    """One box's raw DensePose chart outputs -> ``labels (h, w)`` and
    ``uv (2, h, w)`` at the box size (``w = max(int(x1 - x0), 1)``).

    Args:
        coarse_segm: ``(2, S, S)`` person / background logits.
        fine_segm: ``(25, S, S)`` part logits.
        u, v: ``(25, S, S)`` per-part coordinates.
    """
    x0, y0, x1, y1 = [float(b) for b in box_xyxy]
    w, h = max(int(x1 - x0), 1), max(int(y1 - y0), 1)

    def resize(t):
        return F.interpolate(t[None].float(), (h, w), mode='bilinear',
                             align_corners=False)[0]

    fine = resize(fine_segm).argmax(0)
    person = resize(coarse_segm).argmax(0) > 0
    labels = fine * person
    uv = torch.stack([resize(u), resize(v)])  # (2, 25, h, w)
    uv = uv.gather(1, labels[None, None].expand(2, 1, h, w))[:, 0]
    uv = uv.clamp(0, 1) * (labels > 0)
    return labels.to(torch.uint8).numpy(), uv.numpy()


OUTPUT_KEYS = ('pred_boxes', 'scores', 'coarse_segm', 'fine_segm', 'u', 'v')


class TorchScriptDensePose:
    """DensePose IUV maps of RGB frames from a TorchScript DensePose model.

    The model takes one float32 image ``(3, H, W)`` in 0..255 (BGR unless
    ``rgb``) and returns a dict with, or a tuple in the order of,
    :data:`OUTPUT_KEYS`: ``pred_boxes (N, 4)`` XYXY, ``scores (N,)``,
    ``coarse_segm (N, 2, S, S)``, ``fine_segm (N, 25, S, S)``, ``u`` and
    ``v`` ``(N, 25, S, S)`` (``docs/motion_transfer.md#data`` shows how to
    export one from detectron2).

    Args:
        path (str): the ``.pt`` file.
        device (str): 'cpu' or 'cuda'.
        rgb (bool): the model takes RGB.
        min_score (float): boxes below it are ignored (0.8).
        out_size (tuple, optional): ``(h, w)`` of the returned maps (nearest
            resize); default the frame size.
    """

    def __init__(self, path: str, device: str = 'cpu', rgb: bool = False,
                 min_score: float = 0.8, out_size=None):
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'TorchScript DensePose model {path} not found; export one '
                'with the wrapper in docs/motion_transfer.md#data')
        self.model = torch.jit.load(path, map_location=device).eval()
        self.device, self.rgb, self.min_score = device, rgb, min_score
        self.out_size = tuple(out_size) if out_size else None

    def outputs(self, image_rgb: np.ndarray) -> Dict[str, torch.Tensor]:
        """The model's outputs by name for one RGB uint8 frame."""
        img = image_rgb if self.rgb else image_rgb[..., ::-1]
        x = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)
        with torch.no_grad():
            out = self.model(x.float().to(self.device))
        if isinstance(out, dict):
            missing = [k for k in OUTPUT_KEYS if k not in out]
            if missing:
                raise KeyError(f'the DensePose model output has no {missing};'
                               f' expected {list(OUTPUT_KEYS)}')
            return {k: out[k].cpu() for k in OUTPUT_KEYS}
        if len(out) != len(OUTPUT_KEYS):
            raise ValueError(f'the DensePose model returned {len(out)} '
                             f'tensors; expected {list(OUTPUT_KEYS)}')
        return {k: v.cpu() for k, v in zip(OUTPUT_KEYS, out)}

    def __call__(self, image_rgb: np.ndarray) -> np.ndarray:
        """Full-frame IUV ``(H, W, 3)`` (I, U, V) of one RGB uint8 frame:
        the best box above ``min_score``, or an empty map."""
        out = self.outputs(image_rgb)
        hw = image_rgb.shape[:2]
        scores = out['scores'].float().numpy().reshape(-1)
        keep = np.nonzero(scores >= self.min_score)[0]
        if len(keep) == 0:
            return np.zeros((self.out_size or tuple(hw)) + (3, ), np.float32)
        k = keep[best_box(scores[keep])]
        box = out['pred_boxes'][k].float().numpy()
        labels, uv = chart_to_box(out['coarse_segm'][k], out['fine_segm'][k],
                                  out['u'][k], out['v'][k], box)
        iuv = paste_box_iuv(labels, uv, box, hw)
        return resize_iuv(iuv, self.out_size) if self.out_size else iuv
