"""What the inferencers of :mod:`mmhuman_ext.apis.inferencers` share.

:class:`ResultWriter` writes an inferencer's outputs under the folders that
mmpose's inferencers use (``vis_out_dir``, ``pred_out_dir``): one picture
and one JSON file per input, or, for a video input, one video (PyAV) and
one JSON file holding every frame. Every file is written atomically.
"""
import json
import os.path as osp
from typing import List, Optional

import numpy as np

from mmhuman_ext.utils.atomic_io import atomic_write_image, atomic_write_text
from mmhuman_ext.utils.video import VideoWriter


def dataset_meta_of(model, checkpoint: Optional[dict], cfg) -> dict:
    """Keypoint metainfo for ``model``: the checkpoint's
    ``meta.dataset_meta`` (written by every training run), else the one of
    the config's test dataset class."""
    from mmpose.datasets.datasets.utils import parse_pose_metainfo

    from mmhuman_ext.registry import DATASETS
    meta = (checkpoint or {}).get('meta', {}).get('dataset_meta')
    if meta:
        return meta
    dataset = cfg.test_dataloader.dataset
    metainfo = dataset.get('metainfo')
    if metainfo is None:
        dataset_cls = DATASETS.get(dataset.type)
        if dataset_cls is None:
            raise KeyError(f'the config\'s test dataset type '
                           f'{dataset.type!r} is not registered')
        metainfo = dataset_cls.METAINFO
    return parse_pose_metainfo(dict(metainfo))


def to_jsonable(obj):
    """numpy / torch values -> plain lists and numbers (floats rounded to
    4 decimals) for ``json.dumps``."""
    if hasattr(obj, 'detach'):
        obj = obj.detach().cpu().numpy()
    if isinstance(obj, np.ndarray):
        obj = obj.tolist()
    if isinstance(obj, (np.floating, float)):
        return round(float(obj), 4)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    return obj


class ResultWriter:
    """Writes pictures / videos and predictions of one inferencer call.

    Args:
        vis_out_dir (str): Folder for pictures or the video ('' = none).
        pred_out_dir (str): Folder for JSON predictions ('' = none).
        video_name (str, optional): Set for a video input: frames go into
            ``<vis_out_dir>/<video_name>.mp4`` and predictions into one
            ``<pred_out_dir>/<video_name>.json`` list.
        fps (float): Frame rate of the output video.
    """

    def __init__(self,
                 vis_out_dir: str = '',
                 pred_out_dir: str = '',
                 video_name: Optional[str] = None,
                 fps: float = 25.):
        self.vis_out_dir = vis_out_dir
        self.pred_out_dir = pred_out_dir
        self.video_name = video_name
        self._video: Optional[VideoWriter] = None
        self._frames: List[dict] = []
        self.fps = fps
        self.written: List[str] = []

    def add(self, name: str, prediction: dict,
            picture: Optional[np.ndarray]) -> None:
        """One input's prediction (JSON-able dict) and BGR picture."""
        if self.vis_out_dir and picture is not None:
            if self.video_name is None:
                path = osp.join(self.vis_out_dir, f'{name}.png')
                atomic_write_image(path, picture)
                self.written.append(path)
            else:
                if self._video is None:
                    self._video = VideoWriter(
                        osp.join(self.vis_out_dir, f'{self.video_name}.mp4'),
                        self.fps)
                self._video.write(picture)
        if self.pred_out_dir:
            if self.video_name is None:
                path = osp.join(self.pred_out_dir, f'{name}.json')
                atomic_write_text(path, json.dumps(prediction, indent=1))
                self.written.append(path)
            else:
                self._frames.append(
                    dict(frame_id=len(self._frames), **prediction))

    def close(self) -> None:
        """Finish the video and the per-video JSON file."""
        if self._video is not None:
            self._video.close()
            self.written.append(self._video.path)
            self._video = None
        if self.pred_out_dir and self.video_name is not None and \
                self._frames:
            path = osp.join(self.pred_out_dir, f'{self.video_name}.json')
            atomic_write_text(path, json.dumps(self._frames, indent=1))
            self.written.append(path)
            self._frames = []

    def abort(self) -> None:
        if self._video is not None:
            self._video.abort()
            self._video = None
