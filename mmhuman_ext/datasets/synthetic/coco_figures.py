"""Built-in 2D human-pose data in the COCO keypoint format.

:func:`ensure_coco_figures` renders images of human-like figures and writes
them with their annotations exactly as COCO lays them out::

    root/annotations/person_keypoints_{train,val}.json
    root/{train,val}/000000000001.jpg ...
    root/person_detection_results/COCO_val_detections.json

so that mmpose's ``CocoDataset`` and ``CocoMetric`` (xtcocotools) read them
unchanged. Each figure is a frontal body on a kinematic tree of the 17 COCO
keypoints (human proportions, sampled joint angles, scale and position):
textured limbs, a polygon torso, a head with eyes, nose and ears. Images
have several people that may overlap, background clutter, objects drawn over
people and people cut by the image border. Visibility flags follow COCO:
``2`` the keypoint's pixel shows its person, ``1`` inside the image but
covered by someone or something else, ``0`` outside the image (then the
keypoint is ``[0, 0, 0]``). ``bbox``, ``area`` and ``segmentation`` are
those of the person's visible pixels. The detection file holds the ground
truth boxes with jitter, a few misses and false positives, and scores, in
the format of mmpose's ``COCO_val2017_detections_AP_H_56_person.json``.

Generation is deterministic: every image draws from its own
``numpy.random.default_rng([seed, split, index])`` stream (PCG64, the same on
every platform), shapes are filled by OpenCV in fixed point without
anti-aliasing or fonts, and images are JPEG files of fixed quality. The same
arguments give the same bytes for given numpy and OpenCV versions.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from tqdm import tqdm

from .cache import ensure_generated

VERSION = 'v2'  # cached copies are keyed by it: bump when the output changes
JPEG_QUALITY = 90

KEYPOINT_NAMES = [
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
    'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
    'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee',
    'right_knee', 'left_ankle', 'right_ankle'
]
# COCO's person skeleton (1-based keypoint indices).
SKELETON = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12],
            [7, 13], [6, 7], [6, 8], [7, 9], [8, 10], [9, 11], [2, 3],
            [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]
OCCLUDER_ID = 255
_SHIFT = 4  # fixed-point bits of the OpenCV drawing calls

# Segment lengths and widths as fractions of the figure's height.
_TORSO = 0.29  # hip centre -> shoulder centre
_NECK_TO_NOSE = 0.11
_HALF_SHOULDERS = 0.11
_HALF_HIPS = 0.065
_UPPER_ARM, _FOREARM = 0.175, 0.15
_THIGH, _SHIN = 0.245, 0.245
_SKIN_TONES = [(224, 200, 250), (160, 190, 230), (120, 160, 215),
               (90, 125, 180), (60, 90, 140), (45, 60, 95)]  # BGR


def _rot(vec: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([c * vec[0] - s * vec[1], s * vec[0] + c * vec[1]])


def _ellipse(center, axis, half_len, half_width, num=24) -> np.ndarray:
    """Polygon of an ellipse whose major axis points along ``axis``."""
    axis = np.asarray(axis, float) / max(np.linalg.norm(axis), 1e-9)
    normal = np.array([-axis[1], axis[0]])
    t = np.linspace(0, 2 * np.pi, num, endpoint=False)
    return (np.asarray(center, float) + np.outer(np.cos(t) * half_len, axis) +
            np.outer(np.sin(t) * half_width, normal))


def _circle(center, radius) -> np.ndarray:
    return _ellipse(center, (1., 0.), radius, radius, num=16)


def _limb(a, b, width) -> List[np.ndarray]:
    """A segment ``a -> b`` of ``width``: an ellipse and two joint discs."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    half_len = np.linalg.norm(b - a) / 2 + 0.15 * width
    return [
        _ellipse((a + b) / 2, b - a, half_len, width / 2),
        _circle(a, 0.45 * width),
        _circle(b, 0.45 * width)
    ]


def _material(rng: np.random.Generator, shape: Tuple[int, int], colour,
              pattern: Optional[str] = None) -> np.ndarray:
    """A ``(h, w, 3)`` uint8 texture: a colour, a pattern and noise."""
    h, w = shape
    colour = np.asarray(colour, np.float32)
    tex = np.broadcast_to(colour, (h, w, 3)).copy()
    if pattern is None:
        pattern = rng.choice(['plain', 'stripes', 'checker', 'blotches'],
                             p=[0.35, 0.35, 0.15, 0.15])
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    second = np.clip(colour + rng.uniform(-110, 110, 3), 0, 255)
    if pattern == 'stripes':
        angle = rng.uniform(0, np.pi)
        period = rng.uniform(3, 10)
        phase = (xx * np.cos(angle) + yy * np.sin(angle)) / period
        tex[(phase % 2.0) < rng.uniform(0.4, 1.2)] = second
    elif pattern == 'checker':
        period = rng.uniform(4, 10)
        odd = ((xx // period + yy // period) % 2).astype(bool)
        tex[odd] = second
    elif pattern == 'blotches':
        coarse = rng.uniform(0, 1, (max(2, h // 8), max(2, w // 8)))
        coarse = cv2.resize(coarse.astype(np.float32), (w, h),
                            interpolation=cv2.INTER_LINEAR)
        tex += (coarse[..., None] - 0.5) * (second - colour)
    shading = rng.normal(0, rng.uniform(2, 10), (h, w, 1)).astype(np.float32)
    return np.clip(tex + shading, 0, 255).astype(np.uint8)


class _Painter:
    """Fills shapes of one object into a region of the image and id map."""

    def __init__(self, image: np.ndarray, id_map: np.ndarray, roi, obj_id):
        x0, y0, x1, y1 = roi
        self.image = image[y0:y1, x0:x1]
        self.id_map = id_map[y0:y1, x0:x1]
        self.origin = np.array([x0, y0], float)
        self.obj_id = obj_id

    def fill(self, polygons: Sequence[np.ndarray], texture: np.ndarray):
        mask = np.zeros(self.id_map.shape, np.uint8)
        for poly in polygons:  # one call each: fillPoly XORs overlaps
            pts = np.round((poly - self.origin) * (1 << _SHIFT))
            cv2.fillPoly(mask, [pts.astype(np.int32)], 1,
                         lineType=cv2.LINE_8, shift=_SHIFT)
        sel = mask.astype(bool)
        self.image[sel] = texture[sel]
        self.id_map[sel] = self.obj_id


def _sample_skeleton(rng: np.random.Generator, height: float,
                     pelvis: np.ndarray) -> Dict[str, np.ndarray]:
    """Joint positions of a frontal figure, its head and its body frame.

    The person's left is the image's right. Limb directions are angles in
    the body frame: 0 points down along the spine, pi/2 away from the body.
    """
    lengths = height * rng.uniform(0.92, 1.08, 8)
    lean = rng.normal(0, 0.15) + (rng.uniform(-0.8, 0.8)
                                  if rng.random() < 0.1 else 0.)
    down = np.array([np.sin(lean), np.cos(lean)])
    up = -down
    left = np.array([down[1], -down[0]])  # the person's left, image right
    width = rng.uniform(0.75, 1.0)  # body turned a little from the camera
    neck = pelvis + lengths[0] * _TORSO * up

    kpts = np.zeros((17, 2))
    kpts[5] = neck + _HALF_SHOULDERS * height * width * left
    kpts[6] = neck - _HALF_SHOULDERS * height * width * left
    kpts[11] = pelvis + _HALF_HIPS * height * width * left
    kpts[12] = pelvis - _HALF_HIPS * height * width * left

    def direction(angle, side):
        return np.cos(angle) * down + np.sin(angle) * side * left

    for side, (sh, el, wr) in ((1, (5, 7, 9)), (-1, (6, 8, 10))):
        abduction = np.clip(rng.normal(0.4, 0.7), -0.5, 2.8)
        bend = np.clip(rng.normal(0, 0.8), -2.4, 2.4)
        kpts[el] = kpts[sh] + lengths[1] * _UPPER_ARM * direction(
            abduction, side)
        kpts[wr] = kpts[el] + lengths[2] * _FOREARM * direction(
            abduction + bend, side)
    for side, (hip, knee, ankle) in ((1, (11, 13, 15)), (-1, (12, 14, 16))):
        spread = np.clip(rng.normal(0.12, 0.15), -0.25, 0.6) + (
            rng.uniform(0, 0.9) if rng.random() < 0.1 else 0.)
        flex = np.clip(rng.normal(0, 0.35), -1.2, 1.2)
        foreshorten = rng.uniform(0.6, 1.0) if rng.random() < 0.2 else 1.
        kpts[knee] = kpts[hip] + lengths[3] * _THIGH * foreshorten * (
            direction(spread, side))
        kpts[ankle] = kpts[knee] + lengths[4] * _SHIN * direction(
            spread + flex, side)

    head_tilt = lean + rng.normal(0, 0.2)
    head_up = np.array([-np.sin(head_tilt), -np.cos(head_tilt)])
    head_left = np.array([-head_up[1], head_up[0]])
    head_scale = height * rng.uniform(0.9, 1.1)
    turn = rng.uniform(-0.012, 0.012) * head_scale * head_left
    kpts[0] = neck + lengths[5] * _NECK_TO_NOSE * head_up + turn
    face = kpts[0] - turn
    for side, (eye, ear) in ((1, (1, 3)), (-1, (2, 4))):
        kpts[eye] = (kpts[0] + 0.028 * head_scale * head_up +
                     side * 0.02 * head_scale * width * head_left)
        kpts[ear] = (face + 0.02 * head_scale * head_up +
                     side * 0.047 * head_scale * width * head_left)
    return dict(
        keypoints=np.round(kpts, 2),
        neck=neck,
        pelvis=pelvis,
        up=up,
        left=left * width,
        head_center=face + 0.015 * head_scale * head_up,
        head_up=head_up,
        head_left=head_left * width,
        head_scale=head_scale,
        height=height)


def _draw_person(rng: np.random.Generator, image: np.ndarray,
                 id_map: np.ndarray, body: dict, person_id: int) -> None:
    """Render one figure; ``id_map`` gets ``person_id`` on its pixels."""
    kpts, h = body['keypoints'], body['height']
    img_h, img_w = id_map.shape
    lo = np.floor(kpts.min(0) - 0.15 * h).astype(int)
    hi = np.ceil(kpts.max(0) + 0.15 * h).astype(int)
    roi = (max(lo[0], 0), max(lo[1], 0), min(hi[0], img_w),
           min(hi[1], img_h))
    if roi[0] >= roi[2] or roi[1] >= roi[3]:
        return
    paint = _Painter(image, id_map, roi, person_id)
    shape = paint.id_map.shape

    skin_base = np.array(_SKIN_TONES[rng.integers(len(_SKIN_TONES))])
    skin = _material(rng, shape, skin_base + rng.uniform(-12, 12, 3),
                     'plain')
    shirt = _material(rng, shape, rng.uniform(0, 255, 3))
    pants = _material(rng, shape, rng.uniform(0, 200, 3))
    shoes = _material(rng, shape, rng.uniform(0, 90, 3), 'plain')
    hair = _material(rng, shape, rng.uniform(0, 80) + rng.uniform(0, 40, 3),
                     'plain')
    dark = _material(rng, shape, (30, 30, 40), 'plain')
    long_sleeves, long_pants = rng.random(2) < (0.5, 0.75)

    up, left = body['up'], body['left']
    pelvis, neck = body['pelvis'], body['neck']
    # legs
    for hip, knee, ankle in rng.permutation([(11, 13, 15), (12, 14, 16)]):
        paint.fill(_limb(kpts[hip], kpts[knee], 0.1 * h), pants)
        paint.fill(
            _limb(kpts[knee], kpts[ankle], 0.07 * h),
            pants if long_pants else skin)
        foot_dir = kpts[ankle] - kpts[knee]
        foot_dir /= max(np.linalg.norm(foot_dir), 1e-9)
        paint.fill([
            _ellipse(kpts[ankle] + 0.025 * h * foot_dir, -up, 0.022 * h,
                     0.04 * h)
        ], shoes)
    # torso: shirt above the waist, pants around the hips
    waist = pelvis + 0.08 * h * up
    paint.fill([
        np.stack([
            waist + 0.1 * h * left, waist - 0.1 * h * left,
            pelvis - 0.105 * h * left - 0.05 * h * up,
            pelvis + 0.105 * h * left - 0.05 * h * up
        ])
    ], pants)
    paint.fill([
        np.stack([
            neck + 0.145 * h * left + 0.015 * h * up,
            neck - 0.145 * h * left + 0.015 * h * up,
            neck - 0.13 * h * left - 0.06 * h * up,
            waist - 0.1 * h * left, waist + 0.1 * h * left,
            neck + 0.13 * h * left - 0.06 * h * up
        ])
    ], shirt)
    # neck and head
    s, center = body['head_scale'], body['head_center']
    head_up, head_left = body['head_up'], body['head_left']
    paint.fill(_limb(neck, center - 0.04 * s * head_up, 0.05 * h), skin)
    paint.fill([
        _ellipse(center + 0.012 * s * head_up, head_up, 0.064 * s,
                 0.05 * s * np.linalg.norm(head_left))
    ], hair)
    for ear in (3, 4):
        paint.fill([_ellipse(kpts[ear], head_up, 0.02 * s, 0.012 * s)], skin)
    paint.fill([
        _ellipse(center - 0.006 * s * head_up, head_up, 0.058 * s,
                 0.043 * s * np.linalg.norm(head_left))
    ], skin)
    paint.fill([_circle(kpts[eye], max(0.009 * s, 1.2)) for eye in (1, 2)],
               dark)
    paint.fill(
        [_ellipse(kpts[0], head_up, max(0.012 * s, 1.2), max(0.007 * s, 1.))],
        _material(rng, shape, skin_base * 0.7, 'plain'))
    # arms, in front of the body
    for shoulder, elbow, wrist in rng.permutation([(5, 7, 9), (6, 8, 10)]):
        paint.fill(_limb(kpts[shoulder], kpts[elbow], 0.065 * h), shirt)
        paint.fill(
            _limb(kpts[elbow], kpts[wrist], 0.055 * h),
            shirt if long_sleeves else skin)
        hand_dir = kpts[wrist] - kpts[elbow]
        paint.fill([
            _ellipse(
                kpts[wrist] + 0.03 * h * hand_dir /
                max(np.linalg.norm(hand_dir), 1e-9), hand_dir, 0.035 * h,
                0.022 * h)
        ], skin)


def _random_shape(rng: np.random.Generator, center: np.ndarray,
                  size: float) -> List[np.ndarray]:
    """Polygons of a clutter object about ``size`` pixels across."""
    kind = rng.integers(4)
    if kind == 0:  # rotated rectangle
        axis = _rot(np.array([1., 0.]), rng.uniform(0, np.pi))
        normal = np.array([-axis[1], axis[0]])
        a, b = size * rng.uniform(0.3, 0.7, 2)
        return [
            np.stack([
                center + a * axis + b * normal, center - a * axis + b * normal,
                center - a * axis - b * normal, center + a * axis - b * normal
            ])
        ]
    if kind == 1:  # ellipse
        return [
            _ellipse(center, _rot(np.array([1., 0.]), rng.uniform(0, np.pi)),
                     size * rng.uniform(0.3, 0.6), size * rng.uniform(0.15,
                                                                    0.5))
        ]
    if kind == 2:  # irregular polygon
        angles = np.sort(rng.uniform(0, 2 * np.pi, rng.integers(3, 8)))
        radii = size * rng.uniform(0.2, 0.6, len(angles))
        return [
            center + radii[:, None] *
            np.stack([np.cos(angles), np.sin(angles)], 1)
        ]
    # a bar; skin-coloured ones look like stray limbs
    end = center + _rot(np.array([size, 0.]), rng.uniform(0, 2 * np.pi))
    return _limb(center, end, size * rng.uniform(0.08, 0.25))


def _background(rng: np.random.Generator, img_w: int,
                img_h: int) -> np.ndarray:
    """A gradient with low-frequency colour noise."""
    c0, c1 = rng.uniform(20, 235, (2, 3)).astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[:img_h, :img_w].astype(np.float32)
    t = (xx * np.cos(angle) + yy * np.sin(angle)) / max(img_w, img_h)
    t = (t - t.min()) / max(t.max() - t.min(), 1e-6)
    img = c0 + t[..., None] * (c1 - c0)
    coarse = rng.uniform(-40, 40, (img_h // 24 + 2, img_w // 24 + 2, 3))
    img += cv2.resize(coarse.astype(np.float32), (img_w, img_h),
                      interpolation=cv2.INTER_CUBIC)
    return np.clip(img, 0, 255).astype(np.uint8)


def _draw_object(rng, image, id_map, polygons, obj_id, colour=None):
    """Fill ``polygons`` with a random texture of ``colour``."""
    lo = np.floor(np.concatenate(polygons).min(0)).astype(int)
    hi = np.ceil(np.concatenate(polygons).max(0)).astype(int) + 1
    img_h, img_w = id_map.shape
    roi = (max(lo[0], 0), max(lo[1], 0), min(hi[0], img_w),
           min(hi[1], img_h))
    if roi[0] >= roi[2] or roi[1] >= roi[3]:
        return
    paint = _Painter(image, id_map, roi, obj_id)
    if colour is None:
        colour = rng.uniform(0, 255, 3)
    paint.fill(polygons, _material(rng, paint.id_map.shape, colour))


def _place_people(rng: np.random.Generator, img_w: int,
                  img_h: int) -> List[Tuple[float, np.ndarray]]:
    """Heights and hip centres of 1-4 people, not standing in one spot."""
    num = rng.choice([1, 2, 3, 4], p=[0.3, 0.3, 0.25, 0.15])
    people = []
    for _ in range(num):
        for _ in range(10):
            height = rng.uniform(0.4, 0.9) * img_h
            pelvis = np.array([
                rng.uniform(0.02, 0.98) * img_w,
                rng.uniform(0.45 * height, img_h - 0.1 * height)
            ])
            if all(
                    abs(pelvis[0] - p[0]) > 0.12 * (height + h)
                    or abs(pelvis[1] - p[1]) > 0.3 * (height + h)
                    for h, p in people):
                people.append((height, pelvis))
                break
    return people


def _keypoint_visibility(kpts: np.ndarray, id_map: np.ndarray,
                         person_id: int) -> np.ndarray:
    """COCO flags: 2 on the person's pixel, 1 covered, 0 outside."""
    img_h, img_w = id_map.shape
    px = np.floor(kpts + 0.5).astype(int)
    inside = ((px[:, 0] >= 0) & (px[:, 0] < img_w) & (px[:, 1] >= 0) &
              (px[:, 1] < img_h))
    vis = np.zeros(len(kpts), np.int64)
    for k in np.flatnonzero(inside):
        vis[k] = 2 if id_map[px[k, 1], px[k, 0]] == person_id else 1
    return vis


def _segmentation(mask: np.ndarray) -> List[List[float]]:
    """COCO polygons of the outer contours of a binary mask."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    return [
        c.reshape(-1).astype(float).tolist() for c in contours if len(c) >= 3
    ]


def render_image(rng: np.random.Generator, img_w: int, img_h: int):
    """Render one image.

    Returns:
        tuple: ``(image, id_map, people)``: the BGR ``(img_h, img_w, 3)``
        uint8 image, the ``(img_h, img_w)`` uint8 map of which object each
        pixel shows (0 background, ``i + 1`` person ``i``,
        :data:`OCCLUDER_ID` an object in front of people) and, per person,
        a dict with ``keypoints`` ``(17, 3)`` as ``[x, y, v]`` (COCO
        flags), ``bbox`` ``[x, y, w, h]``, ``area``, ``segmentation`` and
        ``num_keypoints``. People with no visible pixel are left out.
    """
    image = _background(rng, img_w, img_h)
    id_map = np.zeros((img_h, img_w), np.uint8)
    diag = np.hypot(img_w, img_h)
    for _ in range(rng.integers(4, 12)):
        center = rng.uniform((0, 0), (img_w, img_h))
        skin_like = rng.random() < 0.2
        colour = (np.array(_SKIN_TONES[rng.integers(len(_SKIN_TONES))])
                  if skin_like else None)
        _draw_object(rng, image, id_map,
                     _random_shape(rng, center, rng.uniform(0.05, 0.3) * diag),
                     0, colour)

    bodies = [
        _sample_skeleton(rng, height, pelvis)
        for height, pelvis in _place_people(rng, img_w, img_h)
    ]
    for person_id, body in enumerate(bodies, 1):
        _draw_person(rng, image, id_map, body, person_id)
    for body in bodies:
        if rng.random() < 0.4:
            anchor = body['keypoints'][rng.integers(17)]
            size = rng.uniform(0.12, 0.35) * body['height']
            _draw_object(rng, image, id_map,
                         _random_shape(rng, anchor, size), OCCLUDER_ID)

    noise = rng.normal(0, 3, image.shape)
    image = np.clip(image + noise, 0, 255).astype(np.uint8)

    people = []
    for person_id, body in enumerate(bodies, 1):
        mask = (id_map == person_id).astype(np.uint8)
        area = int(mask.sum())
        if area == 0:
            continue
        x, y, w, h = cv2.boundingRect(mask)
        vis = _keypoint_visibility(body['keypoints'], id_map, person_id)
        kpts = np.concatenate([body['keypoints'], vis[:, None]], 1)
        kpts[vis == 0] = 0
        people.append(
            dict(
                keypoints=kpts,
                bbox=[float(x), float(y),
                      float(w), float(h)],
                area=float(area),
                segmentation=_segmentation(mask),
                num_keypoints=int((vis > 0).sum())))
    return image, id_map, people


def _jitter_detections(rng: np.random.Generator, image_id: int, img_w: int,
                       img_h: int, people: List[dict]) -> List[dict]:
    """Detector-like boxes: jittered GT boxes, misses, false positives."""
    dets = []
    for person in people:
        if rng.random() < 0.03:
            continue
        x, y, w, h = person['bbox']
        cx = x + w / 2 + rng.normal(0, 0.04) * w
        cy = y + h / 2 + rng.normal(0, 0.04) * h
        w, h = w * np.exp(rng.normal(0.05, 0.08)), h * np.exp(
            rng.normal(0.05, 0.08))
        x0, y0 = max(cx - w / 2, 0.), max(cy - h / 2, 0.)
        x1, y1 = min(cx + w / 2, img_w - 1.), min(cy + h / 2, img_h - 1.)
        visible = person['num_keypoints'] / 17
        score = np.clip(0.5 + 0.45 * visible + rng.normal(0, 0.08), 0.3,
                        0.999)
        dets.append((x0, y0, x1 - x0, y1 - y0, score))
    for _ in range(rng.poisson(0.4)):
        w, h = rng.uniform(0.1, 0.4) * img_w, rng.uniform(0.2, 0.7) * img_h
        x0, y0 = rng.uniform(0, img_w - w), rng.uniform(0, img_h - h)
        dets.append((x0, y0, w, h, rng.uniform(0.05, 0.45)))
    return [
        dict(
            image_id=image_id,
            category_id=1,
            bbox=[round(float(v), 2) for v in det[:4]],
            score=round(float(det[4]), 4)) for det in dets
    ]


def _coco_json(images: List[dict], annotations: List[dict]) -> dict:
    return dict(
        info=dict(
            description='mmhuman_ext synthetic COCO-style figures',
            version=VERSION),
        licenses=[],
        images=images,
        annotations=annotations,
        categories=[
            dict(
                supercategory='person',
                id=1,
                name='person',
                keypoints=KEYPOINT_NAMES,
                skeleton=SKELETON)
        ])


def write_coco_figures(out_dir: str, num_train: int, num_val: int,
                       img_size: Tuple[int, int], seed: int) -> None:
    """Render the whole dataset into ``out_dir`` (no caching)."""
    img_w, img_h = img_size
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    os.makedirs(osp.join(out_dir, 'person_detection_results'), exist_ok=True)
    progress = tqdm(
        total=num_train + num_val,
        desc='rendering COCO figures',
        unit='img',
        mininterval=1)
    ann_id = 0
    for split_idx, (split, num) in enumerate((('train', num_train),
                                              ('val', num_val))):
        os.makedirs(osp.join(out_dir, split), exist_ok=True)
        images, annotations, detections = [], [], []
        for i in range(num):
            rng = np.random.default_rng([seed, split_idx, i])
            image_id = split_idx * 1_000_000 + i + 1
            file_name = f'{image_id:012d}.jpg'
            image, _, people = render_image(rng, img_w, img_h)
            ok, jpg = cv2.imencode('.jpg', image,
                                   [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            assert ok, f'JPEG encoding failed for {file_name}'
            with open(osp.join(out_dir, split, file_name), 'wb') as f:
                f.write(jpg.tobytes())
            images.append(
                dict(id=image_id, file_name=file_name, width=img_w,
                     height=img_h))
            for person in people:
                ann_id += 1
                kpts = person['keypoints']
                kpts_list = [
                    round(float(v), 2) if j % 3 < 2 else int(v)
                    for j, v in enumerate(kpts.reshape(-1))
                ]
                annotations.append(
                    dict(
                        id=ann_id,
                        image_id=image_id,
                        category_id=1,
                        iscrowd=0,
                        keypoints=kpts_list,
                        num_keypoints=person['num_keypoints'],
                        bbox=person['bbox'],
                        area=person['area'],
                        segmentation=person['segmentation']))
            if split == 'val':
                detections += _jitter_detections(rng, image_id, img_w, img_h,
                                                 people)
            progress.update()
        with open(
                osp.join(out_dir, 'annotations',
                         f'person_keypoints_{split}.json'), 'w') as f:
            json.dump(_coco_json(images, annotations), f)
        if split == 'val':
            with open(
                    osp.join(out_dir, 'person_detection_results',
                             'COCO_val_detections.json'), 'w') as f:
                json.dump(detections, f)
    progress.close()


def ensure_coco_figures(root: Optional[str] = None,
                        num_train: int = 600,
                        num_val: int = 100,
                        img_size: Tuple[int, int] = (256, 192),
                        seed: int = 0) -> str:
    """Write the dataset once and return its folder.

    Args:
        root (str, optional): Folder of the dataset. Defaults to
            ``<cache>/synthetic/coco_figures-<VERSION>-<arguments' hash>``
            with ``<cache>`` from :func:`.cache.default_cache_root`.
        num_train (int): Number of training images.
        num_val (int): Number of validation images.
        img_size (tuple[int, int]): Image ``(width, height)``.
        seed (int): Seed of the random streams.

    The files are written into a temporary folder beside ``root`` and
    renamed to ``root`` in one step, so concurrent callers (e.g. the ranks
    of a distributed run) never see a half-written dataset: the first rename
    wins, the others drop their copy. A complete folder has a marker file
    with the arguments; it is re-used as is.
    """
    params = dict(
        version=VERSION,
        num_train=int(num_train),
        num_val=int(num_val),
        img_size=[int(v) for v in img_size],
        seed=int(seed))

    def write(out):
        write_coco_figures(out, num_train, num_val, img_size, seed)
    return ensure_generated(f'coco_figures-{VERSION}', params, write, root)
