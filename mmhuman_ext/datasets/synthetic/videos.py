"""Built-in videos for MaskINT: textured shapes and figures moving with
known motion over a textured background.

:func:`write_synthetic_videos` writes the on-disk layout that
:class:`~mmhuman_ext.datasets.VideoFramesClipDataset` reads for real
videos (``docs/maskint.md``, "Data")::

    root/frames/<video_id>/00000.png ...   RGB frames
    root/edges/<video_id>/00000.png ...    structure maps (Canny, 8-bit)
    root/flow/<video_id>.npz               forward flow ``flow`` float16
                                           (L-1, 2, H, W), pixels (dx, dy)
    root/videos/<video_id>.mp4             (optional, ``mp4=True``)
    root/train.json, root/val.json         {"videos": [{video_id, num_frames,
                                           fps, frames, structure, ...}]}
    root/prompts.json                      {video_id: [5 prompts]}

Each video pans a camera at a constant velocity over a wall (gentle
shading by two low-frequency colour gratings, flat coloured props on it)
and moves 2-3 objects over it (discs, boxes and "figures": a head disc over
a body box), each with its own colour and stripes that move with it, each
translating at a constant velocity that reflects at the frame border. The
flow of a pixel is the displacement of the topmost object covering it in
frame t, or the camera's on the wall. Shapes are drawn with a one-pixel
soft edge (exact analytic coverage), so motion is sub-pixel smooth.

Deterministic: video ``i`` of split ``s`` draws from
``numpy.random.default_rng([seed, s, i])``; :func:`ensure_synthetic_videos`
writes the data once into a cache folder.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
import torch
from tqdm import tqdm

from .cache import ensure_generated

VERSION = 'v3'
COLOURS = {
    'red': (220, 40, 40), 'green': (40, 190, 60), 'blue': (40, 80, 230),
    'yellow': (235, 210, 40), 'magenta': (210, 50, 200),
    'cyan': (40, 200, 210), 'orange': (240, 130, 30), 'white': (245, 245,
                                                                245),
}
KINDS = ('disc', 'box', 'figure')
SPLITS = ('train', 'val')


def _reflect(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Triangle wave: ``x`` folded into ``[lo, hi]`` (bouncing motion)."""
    span = hi - lo
    y = np.mod(x - lo, 2 * span)
    return lo + np.where(y > span, 2 * span - y, y)


def _coverage(dist: np.ndarray) -> np.ndarray:
    """Soft inside-ness from a signed distance (negative inside)."""
    return np.clip(0.5 - dist, 0., 1.)


def _object_alpha(kind: str, size: float, dx: np.ndarray,
                  dy: np.ndarray) -> np.ndarray:
    """Coverage of an object of ``kind`` / ``size`` at offsets ``(dx, dy)``
    from its centre."""
    def box(hw, hh, oy=0.):
        return _coverage(np.maximum(np.abs(dx) - hw, np.abs(dy - oy) - hh))

    def disc(r, oy=0.):
        return _coverage(np.sqrt(dx**2 + (dy - oy)**2) - r)

    if kind == 'disc':
        return disc(size)
    if kind == 'box':
        return box(size, 0.7 * size)
    return np.maximum(disc(0.45 * size, -0.9 * size),
                      box(0.45 * size, 0.8 * size, 0.45 * size))


def _sample_video(rng: np.random.Generator, num_frames: int,
                  size: Tuple[int, int]) -> dict:
    H, W = size
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    gratings = []
    for _ in range(2):
        angle = rng.uniform(0, np.pi)
        gratings.append(dict(
            direction=np.array([np.cos(angle), np.sin(angle)]),
            freq=rng.uniform(0.02, 0.06), phase=rng.uniform(0, 2 * np.pi),
            colour=rng.uniform(5, 15, 3)))
    pan_angle = rng.uniform(0, 2 * np.pi)
    pan = rng.uniform(0.5, 1.2) * np.array([np.cos(pan_angle),
                                            np.sin(pan_angle)])
    swept = pan * num_frames  # the wall area ever in view
    lo, hi = np.minimum(0, swept), np.maximum(0, swept) + [W, H]
    props = []
    for _ in range(int(rng.integers(8, 15))):
        half = rng.uniform(0.06, 0.16, 2) * [W, H]
        centre = rng.uniform(lo, hi)
        props.append(dict(centre=centre, half=half,
                          colour=rng.uniform(20, 235, 3)))
    objects = []
    names = list(COLOURS)
    for _ in range(int(rng.integers(2, 4))):
        kind = KINDS[int(rng.integers(len(KINDS)))]
        obj_size = rng.uniform(0.12, 0.2) * min(H, W)
        speed = rng.uniform(0.6, 1.8)
        angle = rng.uniform(0, 2 * np.pi)
        colour = names[int(rng.integers(len(names)))]
        objects.append(dict(
            kind=kind, size=obj_size, colour=colour,
            start=rng.uniform([obj_size, obj_size],
                              [W - obj_size, H - obj_size]),
            velocity=speed * np.array([np.cos(angle), np.sin(angle)]),
            stripe_period=rng.uniform(5, 9),
            stripe_angle=rng.uniform(0, np.pi)))
    t = np.arange(num_frames + 1, dtype=np.float64)
    for obj in objects:
        m = obj['size']
        obj['centres'] = np.stack([
            _reflect(obj['start'][0] + obj['velocity'][0] * t, m, W - m),
            _reflect(obj['start'][1] + obj['velocity'][1] * t, m, H - m)
        ], 1)
    return dict(gratings=gratings, base=rng.uniform(70, 150, 3), pan=pan,
                props=props, objects=objects, xx=xx, yy=yy)


def _background(video: dict, t: int) -> np.ndarray:
    """The wall seen by a camera panned by ``t * pan``: gratings and
    flat props in world coordinates."""
    wx = video['xx'] + video['pan'][0] * t
    wy = video['yy'] + video['pan'][1] * t
    img = np.broadcast_to(video['base'], wx.shape + (3, )).copy()
    for g in video['gratings']:
        wave = np.sin(g['freq'] * (g['direction'][0] * wx +
                                   g['direction'][1] * wy) + g['phase'])
        img += wave[..., None] * g['colour']
    for prop in video['props']:
        dist = np.maximum(
            np.abs(wx - prop['centre'][0]) - prop['half'][0],
            np.abs(wy - prop['centre'][1]) - prop['half'][1])
        alpha = _coverage(dist)[..., None]
        img = img * (1 - alpha) + prop['colour'] * alpha
    return img


def _render(video: dict, t: int) -> Tuple[np.ndarray, np.ndarray]:
    """Frame ``t`` as uint8 ``(H, W, 3)`` and its forward flow ``(2, H, W)``
    to frame ``t + 1``."""
    xx, yy = video['xx'], video['yy']
    img = _background(video, t)
    flow = np.broadcast_to(-video['pan'][:, None, None],
                           (2, ) + xx.shape).copy()
    for obj in video['objects']:
        cx, cy = obj['centres'][t]
        dx, dy = xx - cx, yy - cy
        alpha = _object_alpha(obj['kind'], obj['size'], dx, dy)[..., None]
        a = obj['stripe_angle']
        stripes = np.sin(2 * np.pi / obj['stripe_period'] *
                         (np.cos(a) * dx + np.sin(a) * dy))
        colour = np.array(COLOURS[obj['colour']], float)
        texture = colour * (0.8 + 0.2 * np.clip(stripes * 3, -1, 1))[...,
                                                                     None]
        img = img * (1 - alpha) + texture * alpha
        inside = alpha[..., 0] > 0.5
        flow[:, inside] = (obj['centres'][t + 1] -
                           obj['centres'][t])[:, None]
    return np.clip(np.round(img), 0, 255).astype(np.uint8), flow


def _prompts(video: dict) -> List[str]:
    things = [f"a {o['colour']} {o['kind']}" for o in video['objects']]
    listed = ', '.join(things[:-1]) + f' and {things[-1]}'
    return [
        f'{listed} moving over a wavy wall',
        f'{listed} in van gogh style',
        f'{listed} on ice in snowy day',
        f'{listed} under galaxy',
        f'{listed} in the dark night',
    ]


def _write_mp4(path: str, frames: List[np.ndarray], fps: int) -> None:
    import av
    tmp = path + '.tmp.mp4'
    with av.open(tmp, 'w') as container:
        stream = container.add_stream('libx264', rate=fps)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = 'yuv420p'
        stream.options = {'crf': '12'}
        for frame in frames:
            for packet in stream.encode(
                    av.VideoFrame.from_ndarray(frame, format='rgb24')):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    os.replace(tmp, path)


def write_synthetic_videos(root: str,
                           num_videos: Dict[str, int],
                           num_frames: int = 48,
                           frame_size: Tuple[int, int] = (64, 96),
                           fps: int = 24,
                           mp4: bool = False,
                           seed: int = 0) -> None:
    """Write the videos of every split into ``root`` (layout in the module
    docstring). ``num_videos``: videos per split name."""
    from mmhuman_ext.models.editors.maskint.structure import \
        CannyEdgeDetector
    detector = CannyEdgeDetector()
    prompts = {}
    for s, (split, count) in enumerate(num_videos.items()):
        entries = []
        for i in tqdm(range(count), desc=f'synthetic videos ({split})'):
            video_id = f'{split}_{i:04d}'
            video = _sample_video(np.random.default_rng([seed, s, i]),
                                  num_frames, frame_size)
            frames, flows = zip(*(_render(video, t)
                                  for t in range(num_frames)))
            edges = detector(
                torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2) / 255.)
            for sub in ('frames', 'edges'):
                os.makedirs(osp.join(root, sub, video_id))
            for t, frame in enumerate(frames):
                name = f'{t:05d}.png'
                cv2.imwrite(osp.join(root, 'frames', video_id, name),
                            frame[..., ::-1])
                cv2.imwrite(osp.join(root, 'edges', video_id, name),
                            (edges[t, 0] * 255).round().byte().numpy())
            os.makedirs(osp.join(root, 'flow'), exist_ok=True)
            np.savez_compressed(osp.join(root, 'flow', f'{video_id}.npz'),
                                flow=np.stack(flows[:-1]).astype(np.float16))
            entry = dict(video_id=video_id, num_frames=num_frames, fps=fps,
                         frames=f'frames/{video_id}',
                         structure=f'edges/{video_id}',
                         flow=f'flow/{video_id}.npz')
            if mp4:
                os.makedirs(osp.join(root, 'videos'), exist_ok=True)
                _write_mp4(osp.join(root, 'videos', f'{video_id}.mp4'),
                           list(frames), fps)
                entry['video'] = f'videos/{video_id}.mp4'
            entries.append(entry)
            prompts[video_id] = _prompts(video)
        with open(osp.join(root, f'{split}.json'), 'w') as f:
            json.dump(dict(videos=entries), f, indent=1)
    with open(osp.join(root, 'prompts.json'), 'w') as f:
        json.dump(prompts, f, indent=1)


def ensure_synthetic_videos(root: Optional[str] = None,
                            num_train: int = 64,
                            num_val: int = 8,
                            num_frames: int = 48,
                            frame_size: Tuple[int, int] = (64, 96),
                            mp4: bool = False,
                            seed: int = 0) -> str:
    """Write the synthetic videos once (into ``root`` or a cache folder
    keyed by the arguments) and return the folder."""
    params = dict(version=VERSION, num_train=num_train, num_val=num_val,
                  num_frames=num_frames, frame_size=list(frame_size),
                  mp4=mp4, seed=seed)
    return ensure_generated(
        'maskint_videos', params, lambda folder: write_synthetic_videos(
            folder, dict(train=num_train, val=num_val), num_frames,
            tuple(frame_size), mp4=mp4, seed=seed), root)
