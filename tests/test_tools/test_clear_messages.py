"""Errors and results that used to be unclear: each now names the file,
the field and what was expected (or says the score is undefined)."""
import logging
import math
import os.path as osp
import pickle
import sys

import pytest
from mmengine.logging import MMLogger

from mmhuman_ext.evaluation.metrics import KeypointAKDMKRMetric
from mmhuman_ext.utils.model_analysis import subject_from_config
from mmhuman_ext.utils.safe_pickle import UnsafePickleError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PPT_DEMO = osp.join(ROOT,
                    'configs/demo/ppt-s-tiny_1xb16-60e_synthcoco-128x96.py')
sys.path.insert(0, osp.join(ROOT, 'tests', 'test_apis'))
sys.path.insert(0, osp.dirname(__file__))
from test_deployment_tools import _tool  # noqa: E402
from test_mmpose_inferencer import random_checkpoint  # noqa: E402


def test_model_tools_suggest_the_close_type():
    """pytorch2onnx.py, get_flops.py and benchmark.py build the model with
    subject_from_config: a misspelt type gets the scopes and a close
    match."""
    with pytest.raises(ValueError) as info:
        subject_from_config(PPT_DEMO, cfg_options={
            'model.type': 'TopdownPoseEstimatr'})
    message = str(info.value)
    assert message.startswith(PPT_DEMO)
    assert 'Did you mean: TopdownPoseEstimator' in message


def test_densepose_dump_refusal_names_what_is_allowed(tmp_path):
    class Evil:

        def __reduce__(self):
            return (print, ('pwned', ))

    path = tmp_path / 'dump.pkl'
    path.write_bytes(pickle.dumps([dict(file_name='x.png', scores=Evil())]))
    tool = _tool('tools/dataset_converters/densepose_dump_to_iuv.py')
    with pytest.raises(UnsafePickleError) as info:
        tool.load_dump(str(path))
    message = str(info.value)
    assert 'builtins.print' in message and 'DensePose results' in message
    assert 'chumpy' not in message


def test_infer_pose_names_undecodable_pictures_and_empty_input(tmp_path):
    tool = _tool('tools/infer.py')
    text = tmp_path / 'person.jpg'
    text.write_text('a text file named .jpg')
    with pytest.raises(SystemExit) as info:
        tool.main(['pose', str(text), '--pose2d', PPT_DEMO,
                   '--out-dir', str(tmp_path / 'out')])
    assert 'not a JPG image' in str(info.value.code)
    assert str(text) in str(info.value.code)
    empty = tmp_path / 'empty'
    empty.mkdir()
    ckpt = random_checkpoint(PPT_DEMO, str(tmp_path / 'ppt.pth'))
    with pytest.raises(SystemExit) as info:
        tool.main(['pose', str(empty), '--pose2d', PPT_DEMO,
                   '--pose2d-weights', ckpt, '--device', 'cpu', '--out-dir',
                   str(tmp_path / 'out')])
    assert f'{empty} gave no picture or video frame' in str(info.value.code)


def test_akd_without_any_joint_is_undefined_and_says_so():
    metric = KeypointAKDMKRMetric(backend='precomputed')
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        scores = metric.compute_metrics([dict(akd=None, mkr=None)] * 3)
    finally:
        logger.removeHandler(handler)
    assert math.isnan(scores['AKD']) and math.isnan(scores['MKR'])
    text = '\n'.join(records)
    assert 'AKD is undefined (reported as NaN): in none of the 3 frames' \
        in text
    assert 'MKR is undefined' in text
    scores = metric.compute_metrics([dict(akd=2.0, mkr=0.5),
                                     dict(akd=None, mkr=None)])
    assert scores == dict(AKD=2.0, MKR=0.5)
