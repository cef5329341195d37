"""tools/misc/show_motion_transfer_data.py draws frame, IUV, U, V, mask."""
import importlib.util
import os.path as osp

import cv2
import numpy as np

_spec = importlib.util.spec_from_file_location(
    'show_motion_transfer_data', osp.join(
        osp.dirname(__file__), '..', '..', 'tools', 'misc',
        'show_motion_transfer_data.py'))
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)


def test_panels(puppet_small_data, tmp_path):
    vdir = osp.join(puppet_small_data, 'test', 'puppet001')
    out = str(tmp_path / 'show.png')
    tool.main([vdir, '--frames', '1', '4', '--out', out])
    img = cv2.imread(out)[..., ::-1]
    assert img.shape == (128, 320, 3)
    frame = cv2.imread(osp.join(vdir, 'frames', '000004.png'))[..., ::-1]
    np.testing.assert_array_equal(img[64:, :64], frame)
    iuv = cv2.imread(osp.join(vdir, 'iuv', '000004.png'))
    np.testing.assert_array_equal(img[64:, 128:192, 0], iuv[..., 1])  # U
    mask = cv2.imread(osp.join(vdir, 'mask', '000004.png'), 0)
    np.testing.assert_array_equal(img[64:, 256:, 0], mask)
    # background pixels of the IUV panel are black, body pixels are not
    parts = img[64:, 64:128]
    assert (parts[iuv[..., 0] == 0] == 0).all()
    assert parts[iuv[..., 0] > 0].max(1).min() > 0
