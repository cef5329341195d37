"""Evaluation videos with edit prompts (MaskINT, thesis Table 5.1).

On-disk layout::

    ann_file                 JSON {video_id: [prompt, ...]} (5 per video in
                             the paper; configs/maskint/data/ ships the
                             DAVIS-2017 list, users edit it)
    data_root/{video_id}/    frame images sorted by name (DAVIS:
                             JPEGImages/480p/{video}/00000.jpg ...), or
    data_root/{video_id}.mp4 a video file (any PyAV-readable extension)

One item per (video, prompt): the clip of ``clip_len`` frames from
``start`` with step ``frame_interval``. Every video named in the prompt
file must exist and be long enough; otherwise the dataset raises one error
at construction that names the file, the videos and what was expected.
"""
import json
import os.path as osp
from typing import List, Optional

import numpy as np
import torch
from mmengine.dataset import BaseDataset

from mmhuman_ext.registry import DATASETS
from mmhuman_ext.utils.video import VIDEO_EXTENSIONS, FrameSource


def find_video(data_root: str, video_id: str) -> Optional[str]:
    """``data_root/video_id`` as a frame folder or a video file, or None."""
    folder = osp.join(data_root, video_id)
    if osp.isdir(folder):
        return folder
    for ext in VIDEO_EXTENSIONS:
        if osp.isfile(folder + ext):
            return folder + ext
    return None


@DATASETS.register_module()
class VideoEditBenchmarkDataset(BaseDataset):
    """Args:
        ann_file (str): prompt file (module docstring).
        data_root (str): folder of the videos.
        clip_len (int): frames per clip (16).
        frame_interval (int): step between clip frames.
        start (int): first frame.
        max_prompts (int, optional): keep the first prompts of each video.

    Items: ``inputs (N, 3, H, W)`` float in [0, 1] at the video's size (the
    edit pipeline resizes) and ``data_samples`` dict ``video_id``,
    ``prompt``, ``prompt_index``, ``frame_inds``. Use
    ``collate_fn=dict(type='pseudo_collate')``.
    """

    def __init__(self, ann_file: str, data_root: str, clip_len: int = 16,
                 frame_interval: int = 1, start: int = 0,
                 max_prompts: Optional[int] = None, **kwargs):
        self.clip_len = clip_len
        self.frame_interval = frame_interval
        self.start = start
        self.max_prompts = max_prompts
        kwargs.setdefault('serialize_data', False)
        super().__init__(ann_file=ann_file, data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'prompt file {self.ann_file} does not exist; expected JSON '
                '{video_id: [prompt, ...]}')
        with open(self.ann_file) as f:
            prompts = json.load(f)
        if not isinstance(prompts, dict) or not all(
                isinstance(v, list) and v and all(
                    isinstance(p, str) for p in v)
                for v in prompts.values()):
            raise ValueError(f'{self.ann_file}: expected JSON {{video_id: '
                             '[prompt, ...]}} with at least one prompt string'
                             ' per video')
        needed = self.start + (self.clip_len - 1) * self.frame_interval + 1
        missing, short, data_list = [], [], []
        for video_id, video_prompts in prompts.items():
            path = find_video(self.data_root, video_id)
            if path is None:
                missing.append(video_id)
                continue
            num_frames = len(FrameSource(path))
            if num_frames < needed:
                short.append(f'{video_id} ({num_frames} frames)')
                continue
            inds = list(range(self.start, needed, self.frame_interval))
            for i, prompt in enumerate(video_prompts[:self.max_prompts]):
                data_list.append(
                    dict(video_id=video_id, video_path=path, prompt=prompt,
                         prompt_index=i, frame_inds=inds))
        if missing:
            raise FileNotFoundError(
                f'{self.ann_file} lists {len(missing)} video(s) not found in '
                f'{self.data_root}: {", ".join(missing)}. Each needs a frame '
                f'folder {self.data_root}/<video_id>/ or a video file '
                f'{self.data_root}/<video_id>.mp4; remove the entries or '
                'add the videos.')
        if short:
            raise ValueError(
                f'{self.ann_file}: video(s) shorter than one clip ({needed} '
                f'frames: clip_len={self.clip_len}, frame_interval='
                f'{self.frame_interval}, start={self.start}): '
                f'{", ".join(short)}')
        return data_list

    def prepare_data(self, idx: int) -> dict:
        info = self.get_data_info(idx)
        frames = np.stack(FrameSource(info['video_path']).read(
            info['frame_inds']))
        inputs = torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255.
        sample = {k: info[k] for k in ('video_id', 'prompt', 'prompt_index',
                                       'frame_inds')}
        return self.pipeline(dict(inputs=inputs, data_samples=sample))
