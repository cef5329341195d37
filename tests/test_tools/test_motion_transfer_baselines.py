"""tools/analysis/motion_transfer_baselines.py: the driving frame itself
scores perfectly, copying the source does not, and warping the source by
the DensePose correspondence moves the body."""
import importlib.util
import os.path as osp

import numpy as np
import pytest
import torch

_spec = importlib.util.spec_from_file_location(
    'motion_transfer_baselines', osp.join(
        osp.dirname(__file__), '..', '..', 'tools', 'analysis',
        'motion_transfer_baselines.py'))
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)


def test_baselines_on_puppets(puppet_small_data, tmp_path):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(f'''
test_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='DensePoseVideoPairDataset',
                 data_root={puppet_small_data!r}, split='test',
                 mode='reconstruction', pipeline=[
                     dict(type='LoadFramePair'),
                     dict(type='LoadDensePoseIUV'),
                     dict(type='PairedResize', size=(256, 256)),
                     dict(type='PackMotionTransferInputs')]))
test_evaluator = [dict(type='FrameL1Metric'),
                  dict(type='KeypointAKDMKRMetric', backend='markers',
                       reference='ground_truth')]
''')
    res = tool.main([str(cfg)])
    drv, copy = res['driving_frame'], res['copy_source']
    warp = res['densepose_warp']
    assert drv['recon/L1'] == 0
    assert copy['recon/L1'] > 0.005
    assert warp['recon/L1'] < 0.9 * copy['recon/L1']
    assert copy['motion/AKD'] > drv['motion/AKD'] + 1
    assert drv['motion/MKR'] == pytest.approx(0, abs=0.1)


def _ramp_iuv(h, w, part, x0, y0, size):
    """IUV map ``(3, h, w)`` with a ``size`` x ``size`` square of ``part``
    at ``(x0, y0)`` whose U, V ramp along x, y (unique per pixel)."""
    iuv = np.zeros((3, h, w), np.float32)
    ramp = np.linspace(0, 1, size, dtype=np.float32)
    iuv[0, y0:y0 + size, x0:x0 + size] = part
    iuv[1, y0:y0 + size, x0:x0 + size] = ramp[None, :]
    iuv[2, y0:y0 + size, x0:x0 + size] = ramp[:, None]
    return iuv


def test_densepose_warp_moves_a_part_by_its_shift():
    src_iuv = _ramp_iuv(16, 20, 3, 2, 4, 6)
    drv_iuv = _ramp_iuv(16, 20, 3, 9, 7, 6)   # moved by (+7, +3)
    body = torch.from_numpy(drv_iuv[0] == 3)
    src_img = torch.randint(0, 256, (3, 16, 20), dtype=torch.uint8)
    src_mask = torch.from_numpy(src_iuv[:1] > 0).float()
    out = tool.densepose_warp(src_img, torch.from_numpy(src_iuv),
                              torch.from_numpy(drv_iuv), src_mask)
    shifted = torch.roll(src_img, shifts=(3, 7), dims=(1, 2))
    assert torch.equal(out['img'][:, body], shifted[:, body])
    assert torch.equal(out['img'][:, ~body], src_img[:, ~body])
    torch.testing.assert_close(out['mask'][0][body], torch.ones(36))
    torch.testing.assert_close(out['flow'][0][body],
                               torch.full((36, ), -7 * 2 / 20))
    torch.testing.assert_close(out['flow'][1][body],
                               torch.full((36, ), -3 * 2 / 16))


def test_driving_frame_through_the_resolution_path():
    img = torch.zeros(3, 16, 16)
    img[:, 4:12, 4:12] = 200
    low = tool.through_resolution(img, 8)
    assert low.shape == img.shape
    torch.testing.assert_close(low[:, 6:10, 6:10], img[:, 6:10, 6:10])
    assert 0 < low[0, 4, 4] < 200  # the edge is blurred
