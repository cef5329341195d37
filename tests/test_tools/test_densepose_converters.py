"""DensePose -> IUV converters: pasting per-box results at
``pred_boxes_XYXY``, the best box, dump files read without detectron2 (and
without running code), and the TorchScript extractor."""
import base64
import dataclasses
import importlib.util
import io
import os.path as osp
import pickle
import sys
import types

import numpy as np
import pytest
import torch
from PIL import Image

from mmhuman_ext.datasets.densepose_charts import (chart_to_box,
                                                   paste_box_iuv)
from mmhuman_ext.datasets.motion_transfer_inputs import read_iuv

TOOLS = osp.join(osp.dirname(__file__), '..', '..', 'tools',
                 'dataset_converters')


def _tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(TOOLS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dump_tool = _tool('densepose_dump_to_iuv')
ts_tool = _tool('densepose_torchscript_iuv')


def _box_result(h, w, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 25, (h, w)).astype(np.int64)
    uv = rng.random((2, h, w)).astype(np.float32) * (labels > 0)
    return labels, uv


def test_paste_at_box_corner_and_clip():
    labels, uv = _box_result(5, 4)
    out = paste_box_iuv(labels, uv, (10.7, 3.2, 14.9, 8.1), (20, 30))
    np.testing.assert_array_equal(out[3:8, 10:14, 0], labels)
    np.testing.assert_allclose(out[3:8, 10:14, 1], uv[0])
    np.testing.assert_allclose(out[3:8, 10:14, 2], uv[1])
    assert out[..., 0].sum() == labels.sum()  # nothing outside the box
    # a box leaving the frame on the top-left and bottom-right
    out = paste_box_iuv(labels, uv, (-2, -1, 2, 4), (3, 1))
    np.testing.assert_array_equal(out[:, :, 0], labels[1:4, 2:3])
    with pytest.raises(ValueError, match='labels'):
        paste_box_iuv(labels, uv[:1], (0, 0, 4, 5), (8, 8))


def test_chart_to_box_follows_densepose():
    s = 8
    coarse = torch.zeros(2, s, s)
    coarse[1, 2:6, 2:6] = 5  # person in the centre
    fine = torch.zeros(25, s, s)
    fine[7] = 1  # part 7 everywhere
    u = torch.full((25, s, s), 0.25)
    v = torch.full((25, s, s), 0.75)
    u[7], v[7] = 0.5, 0.125
    labels, uv = chart_to_box(coarse, fine, u, v, (0, 0, 16, 16))
    assert labels.shape == (16, 16) and uv.shape == (2, 16, 16)
    assert set(np.unique(labels)) == {0, 7}
    assert labels[8, 8] == 7 and labels[0, 0] == 0
    np.testing.assert_allclose(uv[:, 8, 8], [0.5, 0.125])
    assert (uv[:, labels == 0] == 0).all()


def _fake_densepose_module():
    """A stand-in ``densepose.structures.chart_result`` module whose
    dataclass pickles like DensePose's."""
    mod = types.ModuleType('densepose.structures.chart_result')

    @dataclasses.dataclass
    class DensePoseChartResultWithConfidences:
        labels: torch.Tensor
        uv: torch.Tensor
        sigma_1: object = None

    DensePoseChartResultWithConfidences.__module__ = mod.__name__
    DensePoseChartResultWithConfidences.__qualname__ = \
        'DensePoseChartResultWithConfidences'
    mod.DensePoseChartResultWithConfidences = \
        DensePoseChartResultWithConfidences
    return mod


def _write_dump(tmp_path, frames):
    """A dump of two frames in current DensePose's format (torch.save)."""
    mod = _fake_densepose_module()
    names = ['densepose', 'densepose.structures', mod.__name__]
    saved = {n: sys.modules.get(n) for n in names}
    sys.modules.update({'densepose': types.ModuleType('densepose'),
                        'densepose.structures':
                        types.ModuleType('densepose.structures'),
                        mod.__name__: mod})
    try:
        cls = mod.DensePoseChartResultWithConfidences
        la, uva = _box_result(6, 5, 1)
        lb, uvb = _box_result(4, 3, 2)
        entries = [
            dict(file_name=frames[0], scores=torch.tensor([0.7, 0.95]),
                 pred_boxes_XYXY=torch.tensor([[1., 1., 6., 7.],
                                               [9.5, 2., 12.5, 6.]]),
                 pred_densepose=[cls(torch.from_numpy(la),
                                     torch.from_numpy(uva)),
                                 cls(torch.from_numpy(lb),
                                     torch.from_numpy(uvb))]),
            dict(file_name=frames[1], scores=torch.zeros(0),
                 pred_boxes_XYXY=torch.zeros(0, 4), pred_densepose=[])]
        path = tmp_path / 'dump.pkl'
        torch.save(entries, path)
        with open(tmp_path / 'dump_plain.pkl', 'wb') as f:  # old dumps
            pickle.dump(entries, f)
    finally:
        for n, m in saved.items():
            if m is None:
                sys.modules.pop(n, None)
            else:
                sys.modules[n] = m
    return str(path), (lb, uvb)


def test_dump_to_iuv_keeps_best_box(tmp_path):
    frames = []
    for i in range(2):
        path = str(tmp_path / f'{i:06d}.png')
        Image.fromarray(np.zeros((10, 16, 3), np.uint8)).save(path)
        frames.append(path)
    dump, (lb, uvb) = _write_dump(tmp_path, frames)
    assert 'densepose' not in sys.modules
    out = tmp_path / 'iuv'
    dump_tool.main([dump, str(out)])
    iuv = read_iuv(str(out / '000000.png'))
    assert iuv.shape == (10, 16, 3)
    expect = paste_box_iuv(lb, uvb, (9.5, 2., 12.5, 6.), (10, 16))
    np.testing.assert_array_equal(iuv[..., 0], expect[..., 0])
    np.testing.assert_allclose(iuv[..., 1:], expect[..., 1:], atol=0.5 / 255)
    empty = read_iuv(str(out / '000001.png'))
    assert not empty.any()
    # npz output, frame size given
    dump_tool.main([dump, str(tmp_path / 'npz'), '--format', 'npz',
                    '--frame-size', '10', '16'])
    np.testing.assert_allclose(read_iuv(str(tmp_path / 'npz' /
                                            '000000.npz')), expect,
                               atol=1e-6)
    # DensePose on full-size frames, maps for half-size crops
    dump_tool.main([dump, str(tmp_path / 'half'), '--out-size', '5', '8'])
    half = read_iuv(str(tmp_path / 'half' / '000000.png'))
    np.testing.assert_array_equal(half, iuv[::2, ::2])
    # the same dump written with plain pickle (older DensePose)
    dump_tool.main([str(tmp_path / 'dump_plain.pkl'), str(tmp_path / 'pl')])
    np.testing.assert_array_equal(read_iuv(str(tmp_path / 'pl' /
                                               '000000.png')), iuv)


def test_dump_refuses_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ('pwned', ))

    path = tmp_path / 'evil.pkl'
    torch.save([dict(file_name='x.png', scores=Evil())], path)
    with pytest.raises(pickle.UnpicklingError):
        dump_tool.load_dump(str(path))
    plain = tmp_path / 'evil_plain.pkl'
    with open(plain, 'wb') as f:
        pickle.dump([dict(file_name='x.png', scores=Evil())], f)
    with pytest.raises(pickle.UnpicklingError, match='builtins.print'):
        dump_tool.load_dump(str(plain))


def test_legacy_encoded_results(tmp_path):
    labels, uv = _box_result(5, 4, 3)
    arr = np.stack([labels, np.round(uv[0] * 255),
                    np.round(uv[1] * 255)]).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(np.moveaxis(arr, 0, -1)).save(buf, format='png')
    encoded = base64.encodebytes(buf.getvalue()).decode()
    legacy = dump_tool.STAND_INS[('densepose.data.structures',
                                   'DensePoseResult')]()
    legacy.__setstate__(dict(results=[(arr.shape, encoded)],
                             boxes_xywh=[[2, 3, 4, 5]]))
    iuv = dump_tool.entry_to_iuv(dict(
        scores=np.array([0.9]), pred_boxes_XYXY=np.array([[2., 3., 6., 8.]]),
        pred_densepose=legacy), (12, 12))
    np.testing.assert_array_equal(iuv[3:8, 2:6, 0], labels)
    np.testing.assert_allclose(iuv[3:8, 2:6, 1], arr[1] / 255, atol=1e-6)


class _ToyDensePose(torch.nn.Module):
    """TorchScript-able stand-in: two boxes, the second scores higher and
    labels its centre as part 3 with U = 0.5, V = 0.25."""

    def forward(self, image: torch.Tensor):
        s = 4
        boxes = torch.tensor([[0., 0., 4., 4.], [4., 2., 12., 10.]])
        scores = torch.tensor([0.85, 0.9])
        coarse = torch.zeros(2, 2, s, s)
        coarse[:, 1, 1:3, 1:3] = 1.
        fine = torch.zeros(2, 25, s, s)
        fine[:, 3] = 1.
        u = torch.full((2, 25, s, s), 0.5)
        v = torch.full((2, 25, s, s), 0.25)
        # the image's mean moves nothing but keeps the input used
        return boxes, scores + 0 * image.mean(), coarse, fine, u, v


def test_torchscript_extractor(tmp_path, puppet_small_data):
    model_path = str(tmp_path / 'toy_densepose.pt')
    torch.jit.save(torch.jit.script(_ToyDensePose()), model_path)
    frames = osp.join(puppet_small_data, 'test', 'puppet000', 'frames')
    ts_tool.main([model_path, frames, str(tmp_path / 'iuv'),
                  '--min-score', '0.8'])
    iuv = read_iuv(str(tmp_path / 'iuv' / '000005.png'))
    assert iuv.shape == (64, 64, 3)
    fg = iuv[..., 0] > 0
    ys, xs = np.nonzero(fg)
    assert (iuv[fg, 0] == 3).all()
    assert xs.min() >= 5 and xs.max() <= 10 and ys.min() >= 3
    np.testing.assert_allclose(iuv[fg, 1], 0.5, atol=1 / 255)
    np.testing.assert_allclose(iuv[fg, 2], 0.25, atol=1 / 255)
    ts_tool.main([model_path, frames, str(tmp_path / 'big'), '--out-size',
                  '128', '128'])
    big = read_iuv(str(tmp_path / 'big' / '000005.png'))
    np.testing.assert_array_equal(big[::2, ::2], iuv)
    # no box passes the threshold: empty maps
    ts_tool.main([model_path, frames, str(tmp_path / 'none'),
                  '--min-score', '0.95'])
    assert not read_iuv(str(tmp_path / 'none' / '000000.png')).any()
    with pytest.raises(FileNotFoundError, match='missing.pt'):
        ts_tool.main([str(tmp_path / 'missing.pt'), frames,
                      str(tmp_path / 'x')])
