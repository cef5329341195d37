"""tools/infer.py: the pose (mmpose inferencer), multi-view and motion
commands (edit: test_infer_edit.py)."""
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tests', 'test_apis'))
from test_mmpose_inferencer import (
    PPT_DEMO,
    person_picture,  # noqa: E402
    random_checkpoint)
from test_multiview_pose_inferencer import (
    TRANSFUSION_DEMO,  # noqa: E402
    pictures,
    ring_cameras)


def test_pose_command_on_a_folder(infer_tool, tmp_path, capsys):
    ckpt = random_checkpoint(PPT_DEMO, str(tmp_path / 'ppt.pth'))
    folder = tmp_path / 'pics'
    folder.mkdir()
    for name in ('a.jpg', 'b.jpg'):
        person_picture(str(folder / name))
    infer_tool.main([
        'pose',
        str(folder), '--pose2d', PPT_DEMO, '--pose2d-weights', ckpt,
        '--device', 'cpu', '--out-dir',
        str(tmp_path / 'out')
    ])
    assert 'pose: 2 result(s)' in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path / 'out' /
                             'visualizations')) == ['a.jpg', 'b.jpg']
    with open(tmp_path / 'out' / 'predictions' / 'a.json') as f:
        assert np.asarray(json.load(f)[0]['keypoints']).shape == (17, 2)


def test_multiview_command_on_view_folders(infer_tool, tmp_path, capsys):
    ckpt = random_checkpoint(TRANSFUSION_DEMO, str(tmp_path / 'tf.pth'))
    views = []
    for v, img in enumerate(pictures()):
        folder = tmp_path / f'cam{v}'
        folder.mkdir()
        for t in range(2):
            cv2.imwrite(str(folder / f'{t:04d}.png'), np.roll(img, t, 1))
        views.append(str(folder))
    cams = tmp_path / 'cameras.json'
    cams.write_text(json.dumps(ring_cameras()))
    infer_tool.main([
        'multiview', TRANSFUSION_DEMO, ckpt, *views, '--cameras',
        str(cams), '--device', 'cpu', '--out-dir',
        str(tmp_path / 'out')
    ])
    assert 'multiview: 2 result(s)' in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path / 'out' /
                             'predictions')) == ['0000.json', '0001.json']
    with open(tmp_path / 'out' / 'predictions' / '0001.json') as f:
        assert np.asarray(json.load(f)['keypoints_3d']).shape == (17, 3)


def test_motion_command_runs_motion_transfer(infer_tool, puppet_small_data,
                                             tmp_path, capsys):
    """The motion-transfer adapter on the built-in puppets with a random
    ORFNT of the demo config."""
    import torch
    from mmengine import Config

    from mmhuman_ext.registry import MODELS
    config = osp.join(
        ROOT, 'configs', 'demo',
        'orfnt-tiny-s4-blender-sr_1xb4-600i_puppets-64to128.py')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model)
    ckpt = str(tmp_path / 'orfnt.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    source = osp.join(puppet_small_data, 'test', 'puppet000', 'frames',
                      '000000.png')
    driving = osp.join(puppet_small_data, 'test', 'puppet001')
    infer_tool.main([
        'motion', config, ckpt, '--source', source, '--driving', driving,
        '--device', 'cpu', '--out-dir',
        str(tmp_path / 'out')
    ])
    assert 'motion: 6 result(s)' in capsys.readouterr().out
    assert osp.isfile(tmp_path / 'out' / 'animation.mp4')
