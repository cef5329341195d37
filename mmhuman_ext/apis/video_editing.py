"""Text-driven video editing with MaskINT (structure maps, joint keyframe
diffusion, masked-token interpolation) from a config and a stage-2
checkpoint.

    editor = VideoEditor.from_config(
        'configs/maskint/maskint-edit_hed_384x672.py', 'maskint.pth')
    result = editor.edit_video('in.mp4', 'a wolf', progress=True)
    save_edit(result, 'out_dir', fps=editor.last_fps)
"""
import io
import os
import os.path as osp
from typing import Dict, Optional

import numpy as np
import torch
from torch import Tensor

from mmhuman_ext.utils.atomic_io import atomic_write_bytes, atomic_write_image
from mmhuman_ext.utils.video import (FrameSource, VideoWriter, is_video_file,
                                     video_info)


def read_frames(path: str, start: int = 0, interval: int = 1,
                max_frames: int = 0) -> Tensor:
    """Frames ``(L, 3, H, W)`` in [0, 1] of a video file or frame folder,
    from ``start`` every ``interval`` frames (at most ``max_frames``; 0:
    all)."""
    if not (osp.isdir(path) or osp.isfile(path)):
        raise FileNotFoundError(f'input video {path} does not exist (a video '
                                'file or a folder of frame images)')
    source = FrameSource(path)
    inds = list(range(start, len(source), interval))
    if max_frames:
        inds = inds[:max_frames]
    if len(inds) < 2:
        raise ValueError(f'{path}: {len(source)} frames; editing needs at '
                         f'least 2 from frame {start} every {interval}')
    frames = np.stack(source.read(inds))
    return torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255.


def to_uint8(frames: Tensor) -> np.ndarray:
    """``(L, 3, H, W)`` in [0, 1] -> ``(L, H, W, 3)`` uint8 RGB."""
    return (frames.clamp(0, 1) * 255).round().byte().permute(
        0, 2, 3, 1).cpu().numpy()


def save_edit(result: Dict, out_dir: str, fps: float = 10.,
              name: str = 'edited', gif: bool = True) -> Dict[str, str]:
    """Write ``out_dir/{name}/00000.png ...``, ``{name}.mp4`` (PyAV) and
    ``{name}.gif``, plus the stage-1 keyframes as ``keyframes/*.png``. Every
    file is written atomically.

    Returns:
        dict: paths written (``frames``, ``mp4``, ``gif``).
    """
    from PIL import Image
    frames = to_uint8(result['pred_frames'])
    frame_dir = osp.join(out_dir, name)
    os.makedirs(frame_dir, exist_ok=True)
    for i, frame in enumerate(frames):
        atomic_write_image(osp.join(frame_dir, f'{i:05d}.png'),
                           frame[..., ::-1])
    key_dir = osp.join(out_dir, 'keyframes')
    os.makedirs(key_dir, exist_ok=True)
    for idx, frame in zip(result['keyframes'],
                          to_uint8(result['keyframe_pixels'])):
        atomic_write_image(osp.join(key_dir, f'{idx:05d}.png'),
                           frame[..., ::-1])
    paths = dict(frames=frame_dir, mp4=osp.join(out_dir, f'{name}.mp4'))
    with VideoWriter(paths['mp4'], fps=fps, channel_order='rgb') as writer:
        for frame in frames:
            writer.write(frame)
    if gif:
        buf = io.BytesIO()
        images = [Image.fromarray(f) for f in frames]
        images[0].save(buf, format='GIF', save_all=True,
                       append_images=images[1:], loop=0,
                       duration=int(round(1000 / fps)))
        paths['gif'] = osp.join(out_dir, f'{name}.gif')
        atomic_write_bytes(paths['gif'], buf.getvalue())
    return paths


class VideoEditor:
    """Runs a ``MaskINTEditPipeline``.

    Args:
        pipeline (MaskINTEditPipeline): built pipeline (eval mode is set).
        device (str): 'cpu' or 'cuda'.
    """

    def __init__(self, pipeline, device: str = 'cpu'):
        self.pipeline = pipeline.to(device).eval()
        self.device = device
        self.last_fps = 10.

    @classmethod
    def from_config(cls, config: str, checkpoint: Optional[str] = None,
                    device: str = 'cpu',
                    cfg_options: Optional[dict] = None) -> 'VideoEditor':
        """Build the pipeline of ``config`` (its ``model``) and load the
        stage-2 ``checkpoint`` into its interpolator."""
        from mmengine import Config

        from mmhuman_ext.registry import MODELS
        from mmhuman_ext.utils.setup_env import register_all_modules
        register_all_modules()
        cfg = Config.fromfile(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        pipeline = MODELS.build(cfg.model)
        if checkpoint:
            pipeline.load_interpolator(checkpoint)
        return cls(pipeline, device)

    def edit(self, frames: Tensor, prompt: Optional[str] = None,
             prompt_embeds: Optional[Tensor] = None,
             progress: bool = False) -> Dict:
        """Edit ``frames (L, 3, H, W)`` in [0, 1]; ``progress`` shows a bar
        over the five stages. Returns ``MaskINTEditPipeline.edit``'s
        dict."""
        from tqdm import tqdm

        from mmhuman_ext.models.editors.maskint.edit_pipeline import STAGES
        bar = tqdm(total=len(STAGES), desc='structure', unit='stage',
                   disable=not progress)

        def step(stage: str) -> None:
            bar.update(1)
            following = STAGES.index(stage) + 1
            if following < len(STAGES):
                bar.set_description(STAGES[following])

        try:
            return self.pipeline.edit(frames, prompt=prompt,
                                      prompt_embeds=prompt_embeds,
                                      progress=step)
        finally:
            bar.close()

    def edit_video(self, path: str, prompt: Optional[str] = None,
                   prompt_embeds: Optional[Tensor] = None, start: int = 0,
                   interval: int = 1, max_frames: int = 0,
                   progress: bool = False) -> Dict:
        """Read a video file or frame folder and edit it; the input frame
        rate (divided by ``interval``) is kept in ``last_fps``."""
        if is_video_file(path) and osp.isfile(path):
            self.last_fps = video_info(path)['fps'] / interval
        return self.edit(read_frames(path, start, interval, max_frames),
                         prompt, prompt_embeds, progress)
