"""The checkpoint-fit check in the tools and APIs outside tools/infer.py
(whose modes are checked in test_infer_every_config.py): a checkpoint of
another model is refused, and the override says what it loaded."""
import os.path as osp

import pytest
import torch
from test_deployment_tools import PPT_DEMO, ROOT, _tool

from mmhuman_ext.utils.run import CheckpointMismatchError

CVTHEAD_DEMO = osp.join(
    ROOT, 'configs/demo/cvthead-tiny-s2_1xb4-2e_synthheads-64x64.py')


@pytest.fixture
def other(tmp_path):
    """A checkpoint of another model: none of its tensors is in ours."""
    path = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict={'other.conv.weight': torch.zeros(8, 3)}),
               path)
    return path


def test_pytorch2onnx_refuses_and_never_calls_a_partial_model_matching(
        other, tmp_path, capsys):
    tool = _tool('tools/deployment/pytorch2onnx.py')
    out = tmp_path / 'ppt.onnx'
    with pytest.raises(SystemExit) as info:
        tool.main([PPT_DEMO, other, '--output-file', str(out)])
    assert "loaded 0 of the model's 131 tensors" in str(info.value)
    assert 'nothing was exported' in str(info.value)
    assert not out.exists()
    tool.main([PPT_DEMO, other, '--output-file', str(out), '--partial-load'])
    printed = capsys.readouterr().out
    assert f'(weights: {other}, 0 of 131 tensors; the other 131 keep ' \
        'random values' in printed
    assert "not of the checkpoint's model" in printed


def test_init_pose_model_refuses_unless_allow_partial(other):
    from mmhuman_ext.apis import init_pose_model
    with pytest.raises(CheckpointMismatchError, match='allow|partial'):
        init_pose_model(PPT_DEMO, other)
    model = init_pose_model(PPT_DEMO, other, allow_partial=True)
    assert model.dataset_meta['num_keypoints'] == 17


def test_head_animator_refuses(other, example_inputs, tmp_path,
                               monkeypatch):
    """HeadAnimator.from_config (the FLAME control sweeps of the head
    mode; the demo config reads its head model from
    $MMHUMAN_EXT_DATA/synthetic/cvthead_demo_heads/flame)."""
    import os

    from mmhuman_ext.apis.head_animation import HeadAnimator
    heads = tmp_path / 'synthetic' / 'cvthead_demo_heads'
    heads.mkdir(parents=True)
    os.symlink(osp.join(example_inputs, 'heads', 'flame'), heads / 'flame')
    monkeypatch.setenv('MMHUMAN_EXT_DATA', str(tmp_path))
    with pytest.raises(CheckpointMismatchError,
                       match="loaded 0 of the model's"):
        HeadAnimator.from_config(CVTHEAD_DEMO, other)
