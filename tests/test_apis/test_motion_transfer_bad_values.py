"""Motion transfer: non-finite and empty inputs are refused with the file
(or the frame) named, instead of black frames or silent training."""
import glob
import logging
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger

from mmhuman_ext.apis.motion_transfer import (MotionTransferer,
                                              motion_transfer_video)
from mmhuman_ext.datasets.motion_transfer_inputs import read_iuv
from mmhuman_ext.registry import DATASETS


class _Echo(torch.nn.Module):
    """Stands in for ORFNT: returns the source image."""
    out_size = 16

    def animate(self, src, src_iuv, drv):
        return dict(fake=src, mask=src[:, :1])


def _iuv(size=16):
    iuv = np.zeros((size, size, 3), np.float32)
    iuv[4:12, 4:12] = (3, 0.5, 0.25)
    return iuv


@pytest.mark.parametrize('field', ['I', 'U', 'V'])
def test_read_iuv_refuses_nan(tmp_path, field):
    iuv = _iuv()
    arrays = dict(I=iuv[..., 0], U=iuv[..., 1], V=iuv[..., 2])
    arrays[field] = arrays[field].copy()
    arrays[field][5, 6] = np.nan
    path = str(tmp_path / 'f.npz')
    np.savez(path, **arrays)
    with pytest.raises(ValueError) as info:
        read_iuv(path)
    message = str(info.value)
    assert path in message and f'field {field} holds NaN/inf' in message
    assert '[5, 6]' in message  # the first bad pixel


def test_api_refuses_non_finite_source_and_driving():
    transferer = MotionTransferer(_Echo())
    rgb = np.full((16, 16, 3), 100, np.float32)
    out = list(transferer.animate(rgb, _iuv(), [_iuv(), _iuv()]))
    assert len(out) == 2 and out[0]['frame'].max() > 0
    bad = rgb.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match='source_rgb holds NaN/inf at 1 of'):
        list(transferer.animate(bad, _iuv(), [_iuv()]))
    drv = _iuv()
    drv[1, 1, 1] = np.inf
    with pytest.raises(ValueError, match='driving IUV map 1 holds NaN/inf'):
        list(transferer.animate(rgb, _iuv(), [_iuv(), drv]))


def test_text_file_named_png_as_source_is_named(tmp_path):
    source = tmp_path / 'me.png'
    source.write_text('not a picture')
    with pytest.raises(ValueError, match='me.png: cannot decode the source'):
        motion_transfer_video(MotionTransferer(_Echo()),
                              str(source), str(tmp_path), str(tmp_path / 'o'),
                              progress=False)


def _masks_dataset(root):
    return DATASETS.build(
        dict(type='DensePoseVideoPairDataset', data_root=root, split='train',
             mode='train_pair', pipeline=[]))


def test_empty_person_masks(puppet_small_data, tmp_path):
    root = str(tmp_path / 'puppets')
    shutil.copytree(puppet_small_data, root)
    masks = sorted(glob.glob(osp.join(root, 'train', '*', 'mask', '*.png')))
    assert masks
    _masks_dataset(root)  # the generated masks are fine
    empty = np.zeros(cv2.imread(masks[0]).shape[:2], np.uint8)
    cv2.imwrite(masks[0], empty)  # the first frame of the first video
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logger.addHandler(handler)
    try:
        _masks_dataset(root)
    finally:
        logger.removeHandler(handler)
    text = '\n'.join(records)
    assert 'person masks checked' in text and masks[0] in text
    assert '1 of ' in text
    for path in masks:
        cv2.imwrite(path, empty)
    with pytest.raises(ValueError, match='all .* person masks checked are '
                       'empty'):
        _masks_dataset(root)
