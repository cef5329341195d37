"""Built-in motion-transfer data: articulated 2D "puppets" with their true
DensePose IUV maps, masks and OpenPose-18 keypoints.

DensePose, matting and OpenPose cannot run here, so this module renders
videos whose annotations are exact and writes them in the layout read by
:class:`~mmhuman_ext.datasets.DensePoseVideoPairDataset` (the TED / TaiChi /
iPER layout of ``docs/motion_transfer.md#data``)::

    root/{train,test}/<video>/frames/%06d.png   RGB frames (or FOMM's
                                                stacked <split>/<video>.png)
    root/{train,test}/<video>/iuv/%06d.png      [I, U*255, V*255] by cv2
    root/{train,test}/<video>/mask/%06d.png     8-bit alpha
    root/{train,test}/<video>/kps/%06d.json     OpenPose pose_keypoints_2d
    root/animation_pairs_{train,test}.csv       source,driving

A puppet faces the camera (its right side on the image's left). Its body is
24 segments, one per DensePose part id: each limb is a capsule between two
joints split lengthwise into two halves (the two ids DensePose gives that
limb, e.g. 7/9 for the right upper leg), the torso a trapezoid split into
ids 1/2, the head an ellipse split into 23/24, hands 3/4 and feet 5/6. ``U``
runs along a segment (0 at its proximal joint, 1 at its distal one), ``V``
across its half (0 to 1), so texture sampled at (U, V) sticks to the body.
Joint angles follow random sinusoids of time; the torso sways and the figure
drifts. The frame rate is low (a limb turns by up to about half a radian
between frames) and the motion quasi-periodic: the motion is drawn again
until every frame is at least ``MIN_MOTION`` of the frame side away from
frame 0 (mean joint displacement), so a reconstruction test that drives
frame 0 by the other frames has no near-static pair. A hair blob behind the
head belongs to the mask but not to the IUV map, as real hair does. Each
video is one identity: its own colours, stripe texture, proportions and
static background.

Every OpenPose-18 joint carries a disc of a fixed saturated colour
(:data:`MARKER_COLOURS`; textures and backgrounds are muted; radius
``MARKER_RADIUS`` of the frame side, 6 px at 256, so a marker still covers a
few pixels at a 64-px network input), so a colour detector can find the
joints in any image, generated ones included; the keypoint metric uses that
as the ``'markers'`` backend on this data.

Deterministic: every video draws from ``numpy.random.default_rng([seed,
split, index])``; frames are drawn without anti-aliasing.
"""
import csv
import io
import json
import os
import os.path as osp
from typing import Dict, Optional

import cv2
import numpy as np
from tqdm import tqdm

from .cache import ensure_generated

VERSION = 'v2'  # cached copies are keyed by it: bump when the output changes

OPENPOSE18_NAMES = [
    'nose', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist',
    'left_shoulder', 'left_elbow', 'left_wrist', 'right_hip', 'right_knee',
    'right_ankle', 'left_hip', 'left_knee', 'left_ankle', 'right_eye',
    'left_eye', 'right_ear', 'left_ear'
]
# Saturated marker colours (RGB), pairwise >= 128 apart; the body and the
# background use colours with chroma < 60, far from all of them.
MARKER_COLOURS = np.array(
    [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [255, 0, 255],
     [0, 255, 255], [255, 128, 0], [255, 0, 128], [128, 255, 0],
     [0, 255, 128], [128, 0, 255], [0, 128, 255], [128, 0, 0], [0, 128, 0],
     [0, 0, 128], [128, 128, 0], [128, 0, 128], [0, 128, 128]], np.uint8)
SPLITS = ('train', 'test')
MARKER_RADIUS = 6 / 256  # of the frame side
MIN_MOTION = 0.05  # least mean joint displacement from frame 0 / frame side

# (name, proximal joint, distal joint, DensePose ids of the two halves);
# drawn in this order (back to front).
_LIMBS = [
    ('r_thigh', 'right_hip', 'right_knee', (7, 9)),
    ('l_thigh', 'left_hip', 'left_knee', (8, 10)),
    ('r_shin', 'right_knee', 'right_ankle', (11, 13)),
    ('l_shin', 'left_knee', 'left_ankle', (12, 14)),
    ('r_foot', 'right_ankle', 'right_toe', (6, 6)),
    ('l_foot', 'left_ankle', 'left_toe', (5, 5)),
    ('torso', 'pelvis', 'neck', (1, 2)),
    ('head', 'chin', 'crown', (23, 24)),
    ('r_upper_arm', 'right_shoulder', 'right_elbow', (16, 18)),
    ('l_upper_arm', 'left_shoulder', 'left_elbow', (15, 17)),
    ('r_forearm', 'right_elbow', 'right_wrist', (20, 22)),
    ('l_forearm', 'left_elbow', 'left_wrist', (19, 21)),
    ('r_hand', 'right_wrist', 'right_fingers', (3, 3)),
    ('l_hand', 'left_wrist', 'left_fingers', (4, 4)),
]
# texture group of each segment: shirt, trousers, skin, shoes
_GROUP = dict(torso='shirt', r_upper_arm='shirt', l_upper_arm='shirt',
              r_forearm='skin', l_forearm='skin', r_hand='skin',
              l_hand='skin', head='skin', r_thigh='trousers',
              l_thigh='trousers', r_shin='trousers', l_shin='trousers',
              r_foot='shoes', l_foot='shoes')


def _muted(rng, lo=50, hi=200, chroma=50) -> np.ndarray:
    """A colour with all channels within ``chroma`` of a random grey."""
    grey = rng.uniform(lo + chroma / 2, hi - chroma / 2)
    return np.clip(grey + rng.uniform(-chroma / 2, chroma / 2, 3), 0, 255)


def _dir(angle):
    """Unit vector at ``angle`` radians from straight down (image y down),
    positive towards +x."""
    return np.array([np.sin(angle), np.cos(angle)])


class PuppetVideo:
    """One identity and its motion; :meth:`render` draws frame ``t``.

    Args:
        rng (numpy.random.Generator): the video's random stream.
        size (int): frame side in pixels.
        num_frames (int): length of the video.
    """

    def __init__(self, rng, size: int = 256, num_frames: int = 32):
        self.size, self.num_frames = size, num_frames
        s = size * rng.uniform(0.85, 1.0)
        self.len = dict(torso=0.24 * s, upper_arm=0.15 * s,
                        forearm=0.13 * s, hand=0.05 * s, thigh=0.17 * s,
                        shin=0.16 * s, foot=0.06 * s, head=0.17 * s)
        self.half_w = dict(shoulder=0.09 * s, hip=0.065 * s,
                           upper_arm=0.028 * s, forearm=0.022 * s,
                           hand=0.022 * s, thigh=0.038 * s, shin=0.03 * s,
                           foot=0.022 * s, head=0.075 * s)
        self.centre = np.array([size * rng.uniform(0.45, 0.55),
                                size * rng.uniform(0.53, 0.58)])
        for _ in range(100):
            self._draw_motion(rng)
            if self._least_motion() >= MIN_MOTION * size:
                break
        else:
            raise RuntimeError('no puppet motion far enough from frame 0 in '
                               '100 draws')
        self.colours = {g: _muted(rng) for g in
                        ('shirt', 'trousers', 'skin', 'shoes', 'hair')}
        self.stripes = {g: (rng.uniform(1, 4), rng.uniform(0, 3),
                            rng.uniform(0, 2 * np.pi), rng.uniform(0.15, 0.3))
                        for g in self.colours}
        self.hair = rng.uniform(0.9, 1.3, 2)  # blob radii / head half width
        # static background: vertical gradient + blurred blobs
        top, bottom = _muted(rng, 80, 230, 40), _muted(rng, 60, 200, 40)
        ramp = np.linspace(0, 1, size)[:, None, None]
        bg = top * (1 - ramp) + bottom * ramp + np.zeros((1, size, 1))
        noise = cv2.resize(rng.uniform(-20, 20, (6, 6, 3)), (size, size),
                           interpolation=cv2.INTER_CUBIC)
        self.background = np.clip(bg + noise, 0, 255)

    def _draw_motion(self, rng) -> None:
        """Drift and angle tracks: base + two sinusoids of 0.3-0.7 radians
        per frame each (radians; drift in pixels)."""
        def track(base, amp):
            return (base, rng.uniform(0.3, 1.0, 2) * amp,
                    rng.uniform(0.3, 0.7, 2), rng.uniform(0, 2 * np.pi, 2))
        self.drift = track(np.zeros(2), self.size * np.array(
            [[rng.uniform(0.05, 0.09)], [rng.uniform(0.015, 0.03)]]))
        self.tracks = dict(
            torso=track(0., 0.2), head=track(0., 0.2),
            r_upper_arm=track(0.35, 1.0), l_upper_arm=track(-0.35, 1.0),
            r_forearm=track(0.2, 0.9), l_forearm=track(-0.2, 0.9),
            r_thigh=track(0.12, 0.4), l_thigh=track(-0.12, 0.4),
            r_shin=track(-0.05, 0.4), l_shin=track(0.05, 0.4))

    def _least_motion(self) -> float:
        """Smallest mean joint displacement from frame 0 over the other
        frames (pixels)."""
        def kps(t):
            j = self.joints(t)
            return np.array([j[n] for n in OPENPOSE18_NAMES])
        first = kps(0)
        return min((np.linalg.norm(kps(t) - first, axis=1).mean()
                    for t in range(1, self.num_frames)), default=np.inf)

    @staticmethod
    def _sines(track, t: int):
        base, amp, freq, phase = track
        return base + (amp * np.sin(freq * t + phase)).sum(-1)

    def _angle(self, name: str, t: int) -> float:
        return float(self._sines(self.tracks[name], t))

    def joints(self, t: int) -> Dict[str, np.ndarray]:
        """Image positions ``(2,)`` of the skeleton at frame ``t``."""
        L, W = self.len, self.half_w
        j = dict(pelvis=self.centre + self._sines(self.drift, t))
        torso = self._angle('torso', t)
        up, across = -_dir(torso), np.array([np.cos(torso), -np.sin(torso)])
        j['neck'] = j['pelvis'] + L['torso'] * up
        for side, sign in (('right', -1), ('left', 1)):
            j[f'{side}_shoulder'] = j['neck'] + sign * W['shoulder'] * \
                across - 0.1 * L['torso'] * up
            j[f'{side}_hip'] = j['pelvis'] + sign * W['hip'] * across
            p = side[0]
            a = torso + self._angle(f'{p}_upper_arm', t)
            j[f'{side}_elbow'] = j[f'{side}_shoulder'] + \
                L['upper_arm'] * _dir(a)
            a = a + self._angle(f'{p}_forearm', t)
            j[f'{side}_wrist'] = j[f'{side}_elbow'] + L['forearm'] * _dir(a)
            j[f'{side}_fingers'] = j[f'{side}_wrist'] + L['hand'] * _dir(a)
            a = self._angle(f'{p}_thigh', t)
            j[f'{side}_knee'] = j[f'{side}_hip'] + L['thigh'] * _dir(a)
            a = a + self._angle(f'{p}_shin', t)
            j[f'{side}_ankle'] = j[f'{side}_knee'] + L['shin'] * _dir(a)
            j[f'{side}_toe'] = j[f'{side}_ankle'] + L['foot'] * _dir(
                a - sign * np.pi / 2)
        head = torso + self._angle('head', t)
        hup = -_dir(head)
        hacross = np.array([np.cos(head), -np.sin(head)])
        j['chin'] = j['neck'] + 0.15 * L['head'] * hup
        j['crown'] = j['chin'] + L['head'] * hup
        c = j['chin'] + 0.5 * L['head'] * hup
        hw = W['head']
        # face joints spread so that their markers do not overlap
        j['nose'] = c - 0.2 * L['head'] * hup
        for side, sign in (('right', -1), ('left', 1)):
            j[f'{side}_eye'] = c + sign * 0.38 * hw * hacross + \
                0.16 * L['head'] * hup
            j[f'{side}_ear'] = c + sign * hw * hacross
        j['head_centre'] = c
        return j

    def _segment_coords(self, name, a, b, grid):
        """Along ``t`` in [0, 1] and across ``s`` in [-1, 1] of every pixel
        w.r.t. the segment ``a -> b``, and its inside mask."""
        axis = b - a
        length = max(np.linalg.norm(axis), 1e-6)
        u = axis / length
        n = np.array([-u[1], u[0]])
        if n[0] < 0 or (n[0] == 0 and n[1] < 0):
            n = -n  # s < 0 towards the image left (the puppet's right side)
        d = grid - a
        t = d @ u / length
        if name == 'torso':
            hw = self.half_w['hip'] + (self.half_w['shoulder'] * 1.1 -
                                       self.half_w['hip']) * np.clip(t, 0, 1)
            hw = hw + 0.02 * self.size
            s = d @ n / hw
            inside = (t >= 0) & (t <= 1) & (np.abs(s) <= 1)
        elif name == 'head':
            s = d @ n / self.half_w['head']
            inside = (2 * t - 1)**2 + s**2 <= 1
        else:
            key = name[2:]
            hw = self.half_w[key]
            tc = np.clip(t, 0, 1)
            closest = a + tc[:, None] * axis
            dist = np.linalg.norm(grid - closest, axis=1)
            s = d @ n / hw
            inside = dist <= hw  # capsule: rounded joints
        return np.clip(t, 0, 1), np.clip(s, -1, 1), inside

    def _texture(self, group: str, u, v) -> np.ndarray:
        fu, fv, phase, amp = self.stripes[group]
        wave = 1 + amp * np.sin(2 * np.pi * (fu * u + fv * v) + phase)
        return np.clip(self.colours[group][None] * wave[:, None], 0, 255)

    def render(self, t: int) -> dict:
        """Frame ``t``: ``img (S, S, 3)`` uint8 RGB, ``iuv (S, S, 3)`` uint8
        ``[I, U*255, V*255]``, ``mask (S, S)`` uint8 {0, 255} and
        ``keypoints (18, 3)`` float (x, y, 1; -1 outside the frame)."""
        S = self.size
        j = self.joints(t)
        ys, xs = np.mgrid[0:S, 0:S]
        grid = np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], 1)
        img = self.background.reshape(-1, 3).copy()
        part = np.zeros(S * S, np.uint8)
        uu = np.zeros(S * S)
        vv = np.zeros(S * S)
        # hair blob behind the head: in the mask, not in the IUV map
        c = j['head_centre'] + 0.2 * (j['crown'] - j['chin'])
        r = self.hair * self.half_w['head'] * np.array([1.0, 1.2])
        hair = (((grid - c) / r)**2).sum(1) <= 1
        img[hair] = self.colours['hair']
        for name, ja, jb, ids in _LIMBS:
            tt, ss, inside = self._segment_coords(name, j[ja], j[jb], grid)
            if not inside.any():
                continue
            first = inside & (ss < 0)
            second = inside & (ss >= 0)
            part[first], part[second] = ids[0], ids[1]
            uu[inside] = tt[inside]
            vv[first] = ss[first] + 1
            vv[second] = ss[second]
            img[inside] = self._texture(_GROUP[name], tt[inside],
                                        (ss[inside] + 1) / 2)
        mask = (part > 0) | hair
        img = img.reshape(S, S, 3).astype(np.uint8)
        kps = np.array([j[n] for n in OPENPOSE18_NAMES], np.float64)
        radius = max(2, int(round(MARKER_RADIUS * S)))
        visible = (kps >= 0).all(1) & (kps < S).all(1)
        for k in np.nonzero(visible)[0]:
            cv2.circle(img, tuple(int(v) for v in kps[k]), radius,
                       tuple(int(v) for v in MARKER_COLOURS[k]), -1,
                       lineType=cv2.LINE_8)
        keypoints = np.concatenate([kps, np.ones((18, 1))], 1)
        keypoints[~visible] = -1
        iuv = np.stack([part, np.round(uu * 255), np.round(vv * 255)],
                       -1).reshape(S, S, 3).astype(np.uint8)
        return dict(img=img, iuv=iuv,
                    mask=(mask.reshape(S, S) * 255).astype(np.uint8),
                    keypoints=keypoints)


def openpose_json(keypoints: np.ndarray) -> str:
    """OpenPose's per-frame JSON of one person; missing joints (-1) are
    written as OpenPose writes them, ``0, 0, 0``."""
    flat = []
    for x, y, c in keypoints:
        flat += [0., 0., 0.] if c < 0 else [float(x), float(y), float(c)]
    return json.dumps(dict(version=1.3, people=[dict(
        person_id=[-1], pose_keypoints_2d=flat)]))


def _write_png(path: str, array: np.ndarray, rgb: bool = False) -> None:
    if rgb:
        array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(path, array):
        raise OSError(f'cannot write {path}')


def write_puppet_videos(out_dir: str, num_videos: Dict[str, int],
                        num_frames: int = 32, size: int = 256,
                        seed: int = 0, num_pairs: int = 50,
                        video_format: str = 'frames') -> None:
    """Write the dataset of the module docstring into ``out_dir``.

    Args:
        num_videos (dict): videos per split, e.g. ``{'train': 16,
            'test': 4}``.
        num_frames (int): frames per video.
        size (int): frame side.
        num_pairs (int): rows of each ``animation_pairs_<split>.csv``
            (fewer when the split has fewer ordered pairs of videos).
        video_format (str): ``'frames'`` (PNG folder) or ``'stacked'``
            (FOMM's frames side by side in ``<split>/<video>.png``).
    """
    if video_format not in ('frames', 'stacked'):
        raise ValueError("video_format is 'frames' or 'stacked', got "
                         f'{video_format!r}')
    total = sum(num_videos.values()) * num_frames
    bar = tqdm(total=total, desc='puppet frames', leave=False)
    for split_idx, split in enumerate(SPLITS):
        names = [f'puppet{i:03d}' for i in range(num_videos.get(split, 0))]
        for i, name in enumerate(names):
            rng = np.random.default_rng([seed, split_idx, i])
            video = PuppetVideo(rng, size, num_frames)
            vdir = osp.join(out_dir, split, name)
            for sub in ('iuv', 'mask', 'kps'):
                os.makedirs(osp.join(vdir, sub), exist_ok=True)
            frames = []
            for t in range(num_frames):
                out = video.render(t)
                stem = f'{t:06d}'
                _write_png(osp.join(vdir, 'iuv', stem + '.png'), out['iuv'])
                _write_png(osp.join(vdir, 'mask', stem + '.png'), out['mask'])
                with open(osp.join(vdir, 'kps', stem + '.json'), 'w') as f:
                    f.write(openpose_json(out['keypoints']))
                frames.append(out['img'])
                bar.update()
            if video_format == 'frames':
                os.makedirs(osp.join(vdir, 'frames'), exist_ok=True)
                for t, frame in enumerate(frames):
                    _write_png(osp.join(vdir, 'frames', f'{t:06d}.png'),
                               frame, rgb=True)
            else:
                _write_png(osp.join(out_dir, split, f'{name}.png'),
                           np.concatenate(frames, 1), rgb=True)
        rng = np.random.default_rng([seed, split_idx, 10**6])
        pairs = [(s, d) for s in names for d in names if s != d]
        order = rng.permutation(len(pairs))[:num_pairs]
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator='\n')
        writer.writerow(['source', 'driving'])
        writer.writerows(pairs[k] for k in sorted(order))
        with open(osp.join(out_dir, f'animation_pairs_{split}.csv'),
                  'w') as f:
            f.write(buf.getvalue())
    bar.close()


def ensure_puppets(root: Optional[str] = None, num_train: int = 16,
                   num_test: int = 4, num_frames: int = 32, size: int = 256,
                   seed: int = 0, num_pairs: int = 50,
                   video_format: str = 'frames') -> str:
    """Generate the puppet dataset once (into ``root`` or the cache folder)
    and return its folder; arguments as :func:`write_puppet_videos`."""
    params = dict(version=VERSION, num_train=num_train, num_test=num_test,
                  num_frames=num_frames, size=size, seed=seed,
                  num_pairs=num_pairs, video_format=video_format)

    def write(folder):
        write_puppet_videos(folder, dict(train=num_train, test=num_test),
                            num_frames, size, seed, num_pairs, video_format)

    return ensure_generated(f'puppets-{VERSION}', params, write, root)
