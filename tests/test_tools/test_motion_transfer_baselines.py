"""tools/analysis/motion_transfer_baselines.py: the driving frame itself
scores perfectly, copying the source does not."""
import importlib.util
import os.path as osp

import pytest

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
    assert drv['recon/L1'] == 0
    assert copy['recon/L1'] > 0.005
    assert copy['motion/AKD'] > drv['motion/AKD'] + 1
    assert drv['motion/MKR'] == pytest.approx(0, abs=0.1)
