"""tools/analysis/pose_evaluation.py: AKD / MKR / AED of saved videos with
known answers (puppet markers shifted by 2 px; identical videos)."""
import importlib.util
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

_spec = importlib.util.spec_from_file_location(
    'pose_evaluation_tool', osp.join(
        osp.dirname(__file__), '..', '..', 'tools', 'analysis',
        'pose_evaluation.py'))
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    from mmhuman_ext.datasets.synthetic.puppets import PuppetVideo
    root = tmp_path_factory.mktemp('pose_eval')
    gt, gen = root / 'gt', root / 'gen'
    for name, seed in (('a', 1), ('b', 2)):
        video = PuppetVideo(np.random.default_rng([seed]), 256, 8)
        frames = [video.render(t)['img'][..., ::-1] for t in range(0, 8, 2)]
        os.makedirs(gt / name)
        for t, f in enumerate(frames):
            cv2.imwrite(str(gt / name / f'{t:04d}.png'), f)
        # generated: every joint 2 px to the right, as FOMM's stacked PNG
        os.makedirs(gen, exist_ok=True)
        cv2.imwrite(str(gen / f'{name}.png'),
                    np.concatenate([np.roll(f, 2, axis=1) for f in frames],
                                   1))
    return str(gt), str(gen)


def test_body_pose_with_markers(videos):
    gt, gen = videos
    res = tool.main([gt, gen, '--type', 'body_pose', '--detector',
                     'markers'])
    assert res['AKD'] == pytest.approx(1.0, abs=0.05)  # (|2| + |0|) / 2
    assert res['MKR'] == 0
    res = tool.main([gt, gen, '--type', 'body_pose', '--detector',
                     'markers', '--mode', 'euclidean'])
    assert res['AKD'] == pytest.approx(2.0, abs=0.1)
    res = tool.main([gt, gt, '--type', 'body_pose', '--detector',
                     'markers'])
    assert res['AKD'] == 0


def test_body_id_and_mismatches(videos, tmp_path):
    gt, gen = videos
    same = tool.main([gt, gt, '--type', 'body_id'])
    assert same['AED'] == pytest.approx(0, abs=1e-6)
    moved = tool.main([gt, gen, '--type', 'body_id'])
    assert moved['AED'] > 1e-4
    partial = tmp_path / 'partial'
    shutil.copytree(osp.join(gt, 'a'), partial / 'a')
    with pytest.raises(ValueError, match=r"only one of the two.*'b'"):
        tool.main([gt, str(partial), '--type', 'body_pose', '--detector',
                   'markers'])
    os.remove(partial / 'a' / '0003.png')
    shutil.copytree(osp.join(gt, 'b'), partial / 'b')
    with pytest.raises(ValueError, match='a: 4 ground-truth frames, 3 '):
        tool.main([gt, str(partial), '--type', 'body_pose', '--detector',
                   'markers'])
