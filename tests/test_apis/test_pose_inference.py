"""estimate_poses: image + person boxes -> keypoints JSON + overlay."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from mmhuman_ext.apis import estimate_poses, init_pose_model

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(ROOT, 'configs', 'demo',
                'ppt-s-tiny_1xb16-60e_synthcoco-128x96.py')



@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    return init_pose_model(DEMO)


def test_boxes_in_keypoints_out(model, tmp_path):
    """The head is set to put every keypoint at heatmap pixel (6, 20) of the
    24x32 map: (24, 80) in the 96x128 crop, which maps back through the
    box (padded x1.25 to 3:4) to known image pixels."""
    image = np.random.default_rng(0).integers(
        0, 255, (180, 240, 3), dtype=np.uint8)
    path = str(tmp_path / 'img.png')
    cv2.imwrite(path, image)
    ys, xs = np.mgrid[:32, :24]
    peak = np.exp(-((xs - 6)**2 + (ys - 20)**2) / 8).ravel()
    last = model.head.mlp_head[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.from_numpy(peak))
    model.test_cfg['flip_test'] = False
    boxes = [[10, 20, 70, 140], [120, 30, 200, 170]]
    result = estimate_poses(
        model,
        path,
        boxes,
        out_json=str(tmp_path / 'out.json'),
        out_image=str(tmp_path / 'out.png'))
    assert (result['height'], result['width']) == (180, 240)
    assert len(result['keypoint_names']) == 17
    assert result['keypoint_names'][0] == 'nose'
    assert len(result['instances']) == 2
    for box, inst in zip(boxes, result['instances']):
        assert inst['bbox'] == box
        assert len(inst['keypoint_scores']) == 17
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        h = max(box[3] - box[1], (box[2] - box[0]) * 4 / 3) * 1.25
        w = h * 3 / 4
        expected = [cx + (24 / 96 - 0.5) * w, cy + (80 / 128 - 0.5) * h]
        np.testing.assert_allclose(
            inst['keypoints'], [expected] * 17, atol=0.02)
    with open(tmp_path / 'out.json') as f:
        assert json.load(f) == result
    overlay = cv2.imread(str(tmp_path / 'out.png'))
    assert overlay.shape == image.shape
    assert (overlay != image).any()


def test_whole_image_when_no_boxes(model):
    image = np.zeros((64, 48, 3), dtype=np.uint8)
    result = estimate_poses(model, image, [])
    assert result['image'] is None
    assert len(result['instances']) == 1
    assert result['instances'][0]['bbox'] == [0, 0, 48, 64]


def test_bad_inputs(model, tmp_path):
    image = np.zeros((64, 48, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match=r'\(N, 4\)'):
        estimate_poses(model, image, [[1, 2, 3]])
    with pytest.raises(ValueError, match='x2 <= x1'):
        estimate_poses(model, image, [[10, 10, 5, 20]])
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        estimate_poses(model, str(tmp_path / 'missing.jpg'), [])
    with pytest.raises(ValueError, match='uint8'):
        estimate_poses(model, image.astype(np.float32), [])
    with pytest.raises(FileNotFoundError, match='nothing.pth'):
        init_pose_model(DEMO, str(tmp_path / 'nothing.pth'))
