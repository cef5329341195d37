"""ONNX export of TokenPose / PPT-S (pruning included) and P-STMO: the files
load in onnxruntime, take other batch sizes than the traced one, and match
PyTorch within 1e-4; a model that cannot export names the operator."""
import os.path as osp

import numpy as np
import pytest
import torch
from torch import nn

from mmhuman_ext.apis.onnx_export import (OnnxExportError,
                                          compare_with_pytorch, export_onnx,
                                          ort_session, run_session)
from mmhuman_ext.utils.model_analysis import subject_from_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PPT_S = osp.join(ROOT, 'configs/ppt/ppt-s_4xb32-300e_coco-256x192.py')
TOKENPOSE_S = osp.join(ROOT,
                       'configs/ppt/tokenpose-s_4xb32-300e_coco-256x192.py')
PSTMO_S = osp.join(ROOT, 'configs/pstmo/pstmo-s_1xb160-80e_h36m-cpn-243f.py')
TRANSFUSION_DEMO = osp.join(
    ROOT, 'configs/demo/transfusion-tiny_1xb8-40e_synthmv-128x128.py')


def _export_and_check(config, tmp_path):
    torch.manual_seed(0)
    subject = subject_from_config(config)
    path = str(tmp_path / 'model.onnx')
    out = export_onnx(subject.model, subject.make_inputs(2), path)
    session = ort_session(path)
    # batch axis dynamic: sizes other than the traced 2
    assert session.get_inputs()[0].shape[0] == 'batch'
    for batch in (1, 3):
        diffs = compare_with_pytorch(subject.model, session,
                                     subject.make_inputs(batch))
        assert max(diffs) < 1e-4, diffs
    return subject, session, out


def test_ppt_s_with_pruning(tmp_path):
    subject, session, out = _export_and_check(PPT_S, tmp_path)
    assert out['output_names'] == ['heatmaps']
    assert subject.model.head.keep_ratio == 0.7
    ops = _ops(out['onnx'])
    # HTI: top-k visual tokens, gathered (three pruning layers)
    assert ops.count('TopK') == 3
    heatmaps, = run_session(session, subject.make_inputs(3).numpy())
    assert heatmaps.shape == (3, 17, 64, 48)


def test_tokenpose_s_has_no_pruning(tmp_path):
    subject, _, out = _export_and_check(TOKENPOSE_S, tmp_path)
    assert 'TopK' not in _ops(out['onnx'])


def test_pruning_changes_the_graph_output(tmp_path):
    """The exported PPT really prunes: the same weights at keep ratio 1
    give other heatmaps, and the graph follows the ratio it was traced
    with."""
    torch.manual_seed(0)
    subject = subject_from_config(PPT_S)
    x = subject.make_inputs(1)
    pruned = ort_session(export_onnx(subject.model, x)['onnx'])
    subject.model.head.keep_ratio = 1.0
    full = ort_session(export_onnx(subject.model, x)['onnx'])
    a, = run_session(pruned, x.numpy())
    b, = run_session(full, x.numpy())
    assert np.abs(a - b).max() > 1e-3
    with torch.no_grad():
        expected = subject.model(x, None, mode='tensor').numpy()
    np.testing.assert_allclose(b, expected, atol=1e-4)


def test_pstmo_s(tmp_path):
    subject, session, out = _export_and_check(PSTMO_S, tmp_path)
    assert out['output_names'] == ['pose_3d', 'pose_3d_seq']
    pose, seq = run_session(session, subject.make_inputs(2).numpy())
    assert pose.shape == (2, 1, 17, 3)
    assert seq.shape == (2, 243, 17, 3)


def test_multi_input_model_is_refused_with_a_reason():
    subject = subject_from_config(TRANSFUSION_DEMO)
    with pytest.raises(OnnxExportError, match='camera rays'):
        export_onnx(subject.model, torch.zeros(1, 4, 3, 128, 128))


def test_untranslatable_operator_is_named(monkeypatch):
    """An operator without an ONNX translation stops the export with its
    name (here SVD put into the head)."""
    torch.manual_seed(0)
    subject = subject_from_config(PPT_S)
    head = subject.model.head

    class SvdHead(nn.Module):

        def forward(self, feats):
            x = feats[-1] if isinstance(feats, (list, tuple)) else feats
            return torch.linalg.svdvals(x.flatten(2))

    subject.model.head = SvdHead()
    with pytest.raises(OnnxExportError, match='linalg_svd'):
        export_onnx(subject.model, subject.make_inputs(1))
    subject.model.head = head


def _ops(data: bytes):
    import onnx
    return [node.op_type for node in onnx.load_from_string(data).graph.node]
