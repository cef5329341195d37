"""pytorch2onnx.py (export + onnxruntime check) and benchmark.py --onnx."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import save_checkpoint

from mmhuman_ext.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PPT_DEMO = osp.join(ROOT,
                    'configs/demo/ppt-s-tiny_1xb16-60e_synthcoco-128x96.py')
PSTMO_DEMO = osp.join(
    ROOT, 'configs/demo/pstmo-s-d64_1xb64-4e_synthh36m-det-27f.py')


def _tool(path):
    spec = importlib.util.spec_from_file_location(
        osp.basename(path)[:-3], osp.join(ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pytorch2onnx_loads_the_checkpoint_and_checks(tmp_path, capsys):
    torch.manual_seed(3)
    model = MODELS.build(Config.fromfile(PPT_DEMO).model).eval()
    ckpt = str(tmp_path / 'ppt.pth')
    save_checkpoint(dict(state_dict=model.state_dict()), ckpt)
    out = str(tmp_path / 'ppt.onnx')
    _tool('tools/deployment/pytorch2onnx.py').main(
        [PPT_DEMO, ckpt, '--output-file', out])
    printed = capsys.readouterr().out
    assert 'heatmaps, batch dynamic' in printed
    assert 'onnxruntime matches PyTorch within 0.0001' in printed
    # the file holds the checkpoint's weights: it reproduces that model
    from mmhuman_ext.apis.onnx_export import ort_session, run_session
    x = torch.randn(2, 3, 128, 96)
    with torch.no_grad():
        expected = model(x, None, mode='tensor').numpy()
    got, = run_session(ort_session(out), x.numpy())
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_pytorch2onnx_refuses_multiview_with_the_reason(tmp_path):
    config = osp.join(
        ROOT, 'configs/demo/transfusion-tiny_1xb8-40e_synthmv-128x128.py')
    with pytest.raises(SystemExit, match='several inputs|camera rays'):
        _tool('tools/deployment/pytorch2onnx.py').main(
            [config, '--output-file',
             str(tmp_path / 'x.onnx')])


def test_benchmark_times_onnxruntime_beside_pytorch(tmp_path):
    out = tmp_path / 'bench.json'
    _tool('tools/analysis/benchmark.py').main([
        PSTMO_DEMO, '--onnx', '--names', 'pstmo', '--batch-size', '2',
        '--warmup', '1', '--repeats', '2', '--no-memory', '--out',
        str(out)
    ])
    rows = json.loads(out.read_text())['models']
    assert [r['name'] for r in rows] == ['pstmo', 'ort: pstmo']
    assert [r['backend'] for r in rows] == ['pytorch', 'onnxruntime']
    assert rows[1]['gflops_per_sample'] == rows[0]['gflops_per_sample'] > 0
    assert rows[1]['throughput'] > 0 and rows[1]['speed_ratio_to_first'] > 0
