"""Name the file and the entry when a COCO-style annotation is malformed.

mmpose's COCO-style datasets fail on a bad annotation with a bare numpy or
``KeyError`` (e.g. "cannot reshape array of size 50 into shape (1,newaxis,3)")
that names neither the file nor the entry. :func:`install` wraps
``BaseCocoStyleDataset`` so that such errors say which annotation file, which
annotation id and which image are at fault; the original error is chained.
"""
import functools

from mmpose.datasets.datasets.base import BaseCocoStyleDataset


class AnnotationError(ValueError):
    """A malformed annotation file or entry."""


def _parse_data_info(original):

    @functools.wraps(original)
    def parse_data_info(self, raw_data_info):
        try:
            return original(self, raw_data_info)
        except AnnotationError:
            raise
        except Exception as exc:
            ann = raw_data_info.get('raw_ann_info') or {}
            img = raw_data_info.get('raw_img_info') or {}
            raise AnnotationError(
                f'{self.ann_file}: annotation id {ann.get("id")} (image '
                f'{img.get("file_name", ann.get("image_id"))}) is malformed: '
                f'{type(exc).__name__}: {exc}. Expected COCO keypoint '
                'fields: keypoints (3 x num_keypoints numbers), bbox '
                '[x, y, w, h], num_keypoints, iscrowd.') from exc

    return parse_data_info


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
    BaseCocoStyleDataset._mmhuman_ext_errors = True
