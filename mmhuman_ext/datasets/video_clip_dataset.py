"""Video clip datasets for MaskINT stage 2.

Both read a JSON annotation file ``{"videos": [entry, ...]}`` relative to
``data_root`` and yield one clip per video per epoch (``test_mode``: the
first ``clips_per_video`` evenly spaced clips, deterministic). The clip
indices are drawn by the ``SampleClipIndices`` transform.

* :class:`VideoFramesClipDataset`: raw videos. An entry holds
  ``video_id``, ``num_frames``, ``fps`` and ``frames`` (a folder of
  images, sorted by name) or ``video`` (an mp4 or any file PyAV decodes;
  read when there is no ``frames``); optionally ``structure`` (a folder
  of precomputed 8-bit structure maps, one per frame).
* :class:`VideoTokenClipDataset`: the offline token cache written by
  ``tools/dataset_converters/maskint_precompute_tokens.py``. An entry holds
  ``video_id``, ``num_frames``, ``fps`` and ``token_path`` (an ``.npz``
  with ``color`` and ``structure``, uint16 ``(L, h, w)``, and ``codebook``,
  the identity of the codebook that made them, which the file's
  ``"codebook"`` must equal; see
  :mod:`mmhuman_ext.models.editors.maskint.codebook`).

A video shorter than one clip at the smallest frame interval is an error
naming the file and the video.
"""
import json
import os.path as osp
from typing import List, Sequence

from mmengine.dataset import BaseDataset

from mmhuman_ext.registry import DATASETS
from .transforms.video_clip_transforms import read_token_codebook


class _VideoClipDataset(BaseDataset):
    """Args:
        ann_file (str): annotation JSON (module docstring).
        clip_len (int): frames per clip N. Defaults to 16.
        frame_intervals (sequence[int]): intervals s drawn per clip.
            Defaults to (1, 2, 4).
        clips_per_video (int): clips per video in ``test_mode``.
        **kwargs: ``data_root``, ``pipeline``, ``test_mode``, ...
    """
    REQUIRED: Sequence[str] = ('video_id', 'num_frames')

    def __init__(self,
                 ann_file: str,
                 clip_len: int = 16,
                 frame_intervals: Sequence[int] = (1, 2, 4),
                 clips_per_video: int = 1,
                 **kwargs):
        if clip_len < 2:
            raise ValueError(f'clip_len must be >= 2, got {clip_len}')
        self.clip_len = clip_len
        self.frame_intervals = tuple(sorted(frame_intervals))
        self.clips_per_video = clips_per_video
        super().__init__(ann_file=ann_file, **kwargs)

    def _entries(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'annotation file {self.ann_file} does not exist; expected '
                'JSON {"videos": [{"video_id", "num_frames", ...}]}')
        with open(self.ann_file) as f:
            data = json.load(f)
        if not isinstance(data, dict) or not isinstance(
                data.get('videos'), list):
            raise ValueError(f'{self.ann_file}: expected a JSON object with '
                             'a "videos" list')
        entries = data['videos']
        self.codebook = data.get('codebook')
        for i, entry in enumerate(entries):
            missing = [k for k in self.REQUIRED if k not in entry]
            if missing:
                raise ValueError(
                    f'{self.ann_file}: video entry {i} '
                    f'({entry.get("video_id", "?")}) lacks {missing}; '
                    f'expected fields {list(self.REQUIRED)}')
            need = (self.clip_len - 1) * self.frame_intervals[0] + 1
            if entry['num_frames'] < need:
                raise ValueError(
                    f'{self.ann_file}: video {entry["video_id"]} has '
                    f'{entry["num_frames"]} frames, shorter than one clip '
                    f'of {self.clip_len} frames at interval '
                    f'{self.frame_intervals[0]} ({need} frames)')
        return entries

    def _path(self, rel: str) -> str:
        return osp.join(self.data_root, rel) if self.data_root else rel

    def _clip_infos(self, info: dict) -> List[dict]:
        info.update(clip_len=self.clip_len,
                    frame_intervals=self.frame_intervals)
        if not self.test_mode:
            return [info]
        return [dict(info, clip_index=c, num_clips=self.clips_per_video)
                for c in range(self.clips_per_video)]


@DATASETS.register_module()
class VideoFramesClipDataset(_VideoClipDataset):
    """Raw video clips (frame folders or PyAV-readable files); see the
    module docstring and :class:`_VideoClipDataset` for the arguments."""

    def load_data_list(self) -> List[dict]:
        data_list = []
        for entry in self._entries():
            if 'frames' not in entry and 'video' not in entry:
                raise ValueError(
                    f'{self.ann_file}: video {entry["video_id"]} needs '
                    '"frames" (a folder of images) or "video" (a video '
                    'file)')
            info = dict(video_id=entry['video_id'],
                        num_frames=int(entry['num_frames']),
                        fps=entry.get('fps'))
            if 'frames' in entry:
                info['frame_dir'] = self._path(entry['frames'])
            else:
                info['video_path'] = self._path(entry['video'])
            if entry.get('structure'):
                info['structure_dir'] = self._path(entry['structure'])
            data_list.extend(self._clip_infos(info))
        return data_list


@DATASETS.register_module()
class VideoTokenClipDataset(_VideoClipDataset):
    """Clips of precomputed colour / structure tokens; see the module
    docstring and :class:`_VideoClipDataset` for the arguments."""
    REQUIRED = ('video_id', 'num_frames', 'token_path')

    def load_data_list(self) -> List[dict]:
        """The clips; every token file must be readable and record the
        codebook that the annotation file records."""
        from mmhuman_ext.models.editors.maskint.codebook import \
            check_codebook_identity
        data_list = []
        for entry in self._entries():
            path = self._path(entry['token_path'])
            check_codebook_identity(
                read_token_codebook(path), self.codebook,
                f'token file {path} (video {entry["video_id"]})',
                f'its annotation file {self.ann_file}', 'write the whole '
                'cache again with maskint_precompute_tokens.py --overwrite')
            data_list += self._clip_infos(dict(
                video_id=entry['video_id'],
                num_frames=int(entry['num_frames']),
                fps=entry.get('fps'), token_path=path))
        return data_list
