"""mmpose's COCO dataset on the built-in synthetic figures."""
import os.path as osp
from typing import Optional

from mmpose.datasets import CocoDataset

from mmhuman_ext.registry import DATASETS
from .coco_figures import ensure_coco_figures


@DATASETS.register_module()
class SyntheticCocoDataset(CocoDataset):
    """:class:`mmpose.datasets.CocoDataset` reading generated COCO files.

    Before loading, the data are written by
    :func:`~mmhuman_ext.datasets.synthetic.coco_figures.ensure_coco_figures`
    (once; later runs re-use them), then mmpose's own COCO loading code
    reads them like the real benchmark.

    Args:
        generator_cfg (dict, optional): Arguments of ``ensure_coco_figures``
            (``num_train``, ``num_val``, ``img_size``, ``seed``).
        data_root (str, optional): Folder of the data. ``None`` uses the
            cache folder of ``ensure_coco_figures``.
        bbox_file (str, optional): Detection results; a relative path is
            taken relative to ``data_root``, like ``ann_file``.
        **kwargs: Other arguments of :class:`CocoDataset`, e.g.
            ``ann_file='annotations/person_keypoints_val.json'`` and
            ``data_prefix=dict(img='val/')``.
    """

    def __init__(self,
                 generator_cfg: Optional[dict] = None,
                 data_root: Optional[str] = None,
                 bbox_file: Optional[str] = None,
                 **kwargs):
        data_root = ensure_coco_figures(data_root, **(generator_cfg or {}))
        if bbox_file and not osp.isabs(bbox_file):
            bbox_file = osp.join(data_root, bbox_file)
        super().__init__(data_root=data_root, bbox_file=bbox_file, **kwargs)
