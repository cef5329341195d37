"""Name the file and the entry when a COCO-style annotation is malformed.

mmpose's COCO-style datasets fail on a bad annotation with a bare numpy or
``KeyError`` (e.g. "cannot reshape array of size 50 into shape (1,newaxis,3)")
that names neither the file nor the entry, accept NaN / inf coordinates
(Python's JSON reader parses ``NaN`` and ``Infinity``), and drop crowd,
unlabelled and zero-size annotations silently. :func:`install` wraps
``BaseCocoStyleDataset`` so that

* an error mmpose raises while reading the annotation file, an annotation or
  the detection file (``bbox_file``) names the file, the annotation id and
  image, or the detection entry and field; it stays an instance of mmpose's
  exception type (and is also an :class:`AnnotationError`), chained to it;
* what mmpose accepts but cannot be right (a keypoint list that is not
  3 x the dataset's keypoint count, NaN / inf coordinates, a non-finite
  detection box, an image file that is empty or not an image by its header)
  is an :class:`AnnotationError` for mmhuman_ext's own dataset classes and a
  logged warning (once per kind and file) for mmpose's, whose behaviour is
  left unchanged;
* dropped annotations are counted by reason in the log.
"""
import functools
import logging
import os.path as osp
from collections import Counter
from typing import Optional

import numpy as np
from mmengine.fileio import load
from mmengine.logging import print_log
from mmpose.datasets.datasets.base import BaseCocoStyleDataset


class AnnotationError(ValueError):
    """A malformed annotation file or entry."""


_CONTEXT_TYPES = {}


def raise_in_context(exc: BaseException, message: str) -> None:
    """Raise an :class:`AnnotationError` with ``message``, chained to
    ``exc``, that is also an instance of ``type(exc)``, so that code
    catching mmpose's exception still does. Where no such class can exist
    (e.g. ``OSError``'s layout), ``exc`` itself is raised with ``message``
    as a note. Call it inside the ``except`` block."""
    base = type(exc)
    if base not in _CONTEXT_TYPES:
        try:
            cls = type('AnnotationError', (AnnotationError, base),
                       dict(__str__=BaseException.__str__,
                            __module__=__name__))
            # __new__ only: the message is the only argument (mmpose's
            # types may take others, e.g. JSONDecodeError's document)
            cls.__new__(cls, message)
        except TypeError:
            cls = None
        _CONTEXT_TYPES[base] = cls
    cls = _CONTEXT_TYPES[base]
    if cls is None:
        exc.add_note(message)
        raise exc
    raise cls.__new__(cls, message) from exc


def is_own_dataset(dataset) -> bool:
    """Whether ``dataset`` is one of mmhuman_ext's classes (checks raise)
    rather than mmpose's (checks only log)."""
    return type(dataset).__module__.startswith('mmhuman_ext.')


def report(dataset, kind: str, message: str) -> None:
    """Raise :class:`AnnotationError` for our dataset classes; log a warning
    once per ``kind`` and dataset for mmpose's."""
    if is_own_dataset(dataset):
        raise AnnotationError(message)
    warned = dataset.__dict__.setdefault('_mmhuman_ext_warned', set())
    if kind not in warned:
        warned.add(kind)
        print_log(message, logger='current', level=logging.WARNING)


def _parse_data_info(original):

    @functools.wraps(original)
    def parse_data_info(self, raw_data_info):
        ann = raw_data_info.get('raw_ann_info') or {}
        img = raw_data_info.get('raw_img_info') or {}
        where = (f'{self.ann_file}: annotation id {ann.get("id")} (image '
                 f'{img.get("file_name", ann.get("image_id"))})')
        num_keypoints = self.metainfo.get('num_keypoints')
        count = ''
        if 'keypoints' in ann and num_keypoints and np.size(
                ann['keypoints']) != 3 * num_keypoints:
            name = self.metainfo.get('dataset_name', 'this dataset')
            count = (f'keypoints holds {np.size(ann["keypoints"])} '
                     f'numbers; expected 3 x {num_keypoints} = '
                     f'{3 * num_keypoints} (x, y, visibility per keypoint '
                     f'of {name})')
        try:
            info = original(self, raw_data_info)
        except AnnotationError:
            raise
        except Exception as exc:
            raise_in_context(
                exc, f'{where} is malformed: {count or type(exc).__name__}: '
                f'{exc}. Expected COCO keypoint fields: keypoints (3 x '
                'num_keypoints numbers), bbox [x, y, w, h], num_keypoints, '
                'iscrowd.')
        if count:
            report(self, 'keypoint count', f'{where}: {count}')
        for field in ('keypoints', 'bbox'):
            if info and field in info and not np.isfinite(info[field]).all():
                report(self, f'non-finite {field}',
                       f'{where}: {field} holds NaN/inf; expected finite '
                       'numbers')
        return info

    return parse_data_info


def _drop_reason(info: dict):
    """Why mmpose's ``_is_valid_instance`` drops ``info`` (None: kept)."""
    if info.get('iscrowd'):
        return 'crowd'
    if info.get('num_keypoints', 1) == 0:
        return 'no labelled keypoint'
    if 'bbox' in info:
        w, h = info['bbox'][0][2:4] - info['bbox'][0][:2]
        if w <= 0 or h <= 0:
            return 'zero-size box (after clipping to the image)'
    if 'keypoints' in info and np.max(info['keypoints']) <= 0:
        return 'keypoints all <= 0'
    return None


def _get_topdown_data_infos(original):

    @functools.wraps(original)
    def get_topdown_data_infos(self, instance_list):
        data_list = original(self, instance_list)
        reasons = Counter()
        examples = {}
        for info in instance_list:
            reason = _drop_reason(info)
            if reason is not None:
                reasons[reason] += 1
                examples.setdefault(reason, []).append(info.get('id'))
        if reasons:
            detail = '; '.join(
                f'{n} {reason} (ids {examples[reason][:3]})'
                for reason, n in reasons.most_common())
            print_log(
                f'{self.ann_file}: {sum(reasons.values())} of '
                f'{len(instance_list)} annotations not used: {detail}',
                logger='current')
        return data_list

    return get_topdown_data_infos


_DETECTION_FIELDS = ('image_id', 'bbox', 'score', 'category_id')


def check_detection_file(path: str) -> None:
    """Raise :class:`AnnotationError` naming the entry and field of the
    first malformed detection in ``path`` (COCO results format)."""
    try:
        dets = load(path)
    except Exception as exc:
        raise AnnotationError(f'cannot read the detection file {path}: '
                              f'{type(exc).__name__}: {exc}') from exc
    if not isinstance(dets, list):
        raise AnnotationError(
            f'{path}: expected a list of detections, got '
            f'{type(dets).__name__}')
    for i, det in enumerate(dets):
        missing = [k for k in _DETECTION_FIELDS
                   if not isinstance(det, dict) or k not in det]
        if missing:
            raise AnnotationError(
                f'{path}: detection {i} lacks {missing}; each entry needs '
                f'{list(_DETECTION_FIELDS)} (COCO results format, bbox '
                '[x, y, w, h])')
        box = np.asarray(det['bbox'], np.float64).reshape(-1)
        if len(box) < 4 or not np.isfinite(box[:4]).all():
            raise AnnotationError(
                f'{path}: detection {i} (image {det["image_id"]}) has bbox '
                f'{det["bbox"]}; expected 4 finite numbers [x, y, w, h]')
        if not np.isfinite(float(det['score'])):
            raise AnnotationError(
                f'{path}: detection {i} (image {det["image_id"]}) has score '
                f'{det["score"]}; expected a finite number')


def _load_detection_results(original):

    @functools.wraps(original)
    def load_detection_results(self):
        try:
            data_list = original(self)
        except Exception as exc:
            try:
                check_detection_file(self.bbox_file)
                message = f'cannot read the detection file {self.bbox_file}'
            except AnnotationError as problem:
                message = str(problem)
            raise_in_context(exc,
                             f'{message} ({type(exc).__name__}: {exc})')
        for info in data_list:
            box = np.concatenate([np.ravel(info['bbox']),
                                  np.ravel(info['bbox_score'])])
            if not np.isfinite(box).all():
                report(self, 'non-finite detection',
                       f'{self.bbox_file}: the detection of image '
                       f'{info["img_id"]} has bbox '
                       f'{np.ravel(info["bbox"]).tolist()} and score '
                       f'{np.ravel(info["bbox_score"]).tolist()}; expected 4 '
                       'finite numbers [x, y, w, h] and a finite score')
        return data_list

    return load_detection_results


#: The first bytes of the image formats OpenCV reads, by file extension.
_IMAGE_MAGIC = {
    '.jpg': (b'\xff\xd8\xff', ), '.jpeg': (b'\xff\xd8\xff', ),
    '.png': (b'\x89PNG\r\n\x1a\n', ), '.bmp': (b'BM', ),
    '.gif': (b'GIF87a', b'GIF89a'), '.tif': (b'II*\x00', b'MM\x00*'),
    '.tiff': (b'II*\x00', b'MM\x00*'), '.webp': (b'RIFF', ),
}


def image_file_problem(path: str) -> Optional[str]:
    """Why the image file ``path`` cannot be decoded, judged from its size
    and first bytes (None: looks fine or missing; missing files are left to
    the loading step)."""
    if not osp.isfile(path):
        return None
    if osp.getsize(path) == 0:
        return f'empty (0 bytes): {path}'
    magic = _IMAGE_MAGIC.get(osp.splitext(path)[1].lower())
    if magic is None:
        return None
    with open(path, 'rb') as f:
        head = f.read(12)
    if head.startswith(magic) and (magic != (b'RIFF', )
                                   or head[8:12] == b'WEBP'):
        return None
    return (f'not a {osp.splitext(path)[1][1:].upper()} image (it starts '
            f'with {head[:8]!r}): {path}')


def check_image_files(data_list, where: str, dataset) -> None:
    """Raise :class:`AnnotationError` (a warning for mmpose's dataset
    classes, see :func:`report`) when an image of ``data_list`` is empty or
    not an image by its header. ``img_path`` may be a list (video frames)."""
    paths = set()
    for info in data_list:
        value = info.get('img_path')
        paths.update([value] if isinstance(value, str) else value or [])
    bad = [p for p in map(image_file_problem, sorted(paths)) if p]
    if bad:
        report(dataset, 'image files',
               f'{where}: {len(bad)} image file(s) cannot be decoded, '
               f'e.g. {bad[:3]}; re-copy or re-extract them')


def _load_data_list(original):

    @functools.wraps(original)
    def load_data_list(self):
        data_list = original(self)
        check_image_files(data_list, self.ann_file, self)
        return data_list

    return load_data_list


def _load_annotations(original):

    @functools.wraps(original)
    def load_annotations(self):
        try:
            return original(self)
        except AnnotationError:
            raise
        except Exception as exc:
            raise_in_context(
                exc, f'cannot read the annotation file {self.ann_file}: '
                f'{type(exc).__name__}: {exc}')

    return load_annotations


def install() -> None:
    """Wrap the parsing methods once (idempotent)."""
    if getattr(BaseCocoStyleDataset, '_mmhuman_ext_errors', False):
        return
    BaseCocoStyleDataset.parse_data_info = _parse_data_info(
        BaseCocoStyleDataset.parse_data_info)
    BaseCocoStyleDataset._load_annotations = _load_annotations(
        BaseCocoStyleDataset._load_annotations)
    BaseCocoStyleDataset._get_topdown_data_infos = _get_topdown_data_infos(
        BaseCocoStyleDataset._get_topdown_data_infos)
    BaseCocoStyleDataset._load_detection_results = _load_detection_results(
        BaseCocoStyleDataset._load_detection_results)
    BaseCocoStyleDataset.load_data_list = _load_data_list(
        BaseCocoStyleDataset.load_data_list)
    BaseCocoStyleDataset._mmhuman_ext_errors = True


def check_finite(values, where: str, field: str) -> None:
    """Raise :class:`AnnotationError` when ``values`` ``(T, ...)`` holds NaN
    or inf, naming ``where``, ``field`` and the first bad frames."""
    values = np.asarray(values)
    bad = ~np.isfinite(values.reshape(len(values), -1)).all(axis=1)
    if bad.any():
        frames = np.nonzero(bad)[0]
        raise AnnotationError(
            f'{where}: {field} holds NaN/inf in {len(frames)} of '
            f'{len(values)} frames (first: {frames[:5].tolist()}); expected '
            'finite numbers')
