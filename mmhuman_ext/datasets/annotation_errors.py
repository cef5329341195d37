"""Name the file and the entry when a COCO-style annotation is malformed.

mmpose's COCO-style datasets fail on a bad annotation with a bare numpy or
``KeyError`` (e.g. "cannot reshape array of size 50 into shape (1,newaxis,3)")
that names neither the file nor the entry, accept NaN / inf coordinates
(Python's JSON reader parses ``NaN`` and ``Infinity``), and drop crowd,
unlabelled and zero-size annotations silently. :func:`install` wraps
``BaseCocoStyleDataset`` so that

* a malformed annotation (a keypoint list that is not 3 x the dataset's
  keypoint count, a short box, NaN / inf) names the annotation file, the
  annotation id and the image; the original error is chained;
* a detection file (``bbox_file``) entry without ``image_id``, ``bbox``
  (4 finite numbers), ``score`` or ``category_id`` names the file, the
  entry and the field;
* an empty (0-byte) image file is reported when the dataset is built, not
  an epoch later in a worker;
* dropped annotations are counted by reason in the log.
"""
import functools
import os.path as osp
from collections import Counter

import numpy as np
from mmengine.fileio import load
from mmengine.logging import print_log
from mmpose.datasets.datasets.base import BaseCocoStyleDataset


class AnnotationError(ValueError):
    """A malformed annotation file or entry."""


def _parse_data_info(original):

    @functools.wraps(original)
    def parse_data_info(self, raw_data_info):
        ann = raw_data_info.get('raw_ann_info') or {}
        img = raw_data_info.get('raw_img_info') or {}
        where = (f'{self.ann_file}: annotation id {ann.get("id")} (image '
                 f'{img.get("file_name", ann.get("image_id"))})')
        num_keypoints = self.metainfo.get('num_keypoints')
        if 'keypoints' in ann and num_keypoints and np.size(
                ann['keypoints']) != 3 * num_keypoints:
            raise AnnotationError(
                f'{where}: keypoints holds {np.size(ann["keypoints"])} '
                f'numbers; expected 3 x {num_keypoints} = '
                f'{3 * num_keypoints} (x, y, visibility per keypoint of '
                f'{self.metainfo.get("dataset_name", "this dataset")})')
        try:
            info = original(self, raw_data_info)
        except AnnotationError:
            raise
        except Exception as exc:
            raise AnnotationError(
                f'{where} is malformed: {type(exc).__name__}: {exc}. '
                'Expected COCO keypoint fields: keypoints (3 x num_keypoints '
                'numbers), bbox [x, y, w, h], num_keypoints, iscrowd.') \
                from exc
        if info:
            for field in ('keypoints', 'bbox'):
                if not np.isfinite(info[field]).all():
                    raise AnnotationError(
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
        check_detection_file(self.bbox_file)
        return original(self)

    return load_detection_results


def check_image_files(data_list, where: str) -> None:
    """Raise :class:`AnnotationError` when an image of ``data_list`` is an
    empty (0-byte) file. Missing files are left to the loading step."""
    empty = sorted({
        info['img_path']
        for info in data_list if 'img_path' in info
        and osp.isfile(info['img_path']) and osp.getsize(info['img_path']) == 0
    })
    if empty:
        raise AnnotationError(
            f'{where}: {len(empty)} image file(s) are empty (0 bytes), e.g. '
            f'{empty[:3]}; re-copy or re-extract them')


def _load_data_list(original):

    @functools.wraps(original)
    def load_data_list(self):
        data_list = original(self)
        check_image_files(data_list, self.ann_file)
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
            raise AnnotationError(
                f'cannot read the annotation file {self.ann_file}: '
                f'{type(exc).__name__}: {exc}') from exc

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
