"""motion_transfer_speed.py: checks of the official checkouts, a tiny run
of the ORFNT side with the profiler, and two stand-in checkouts that both
name their package ``modules`` (as the official FOMM and TPSMM do)."""
import json
import os.path as osp
import sys
import textwrap

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
import motion_transfer_speed  # noqa: E402

TINY = osp.join(ROOT, 'configs', 'demo',
                'orfnt-tiny-s4-blender-sr_1xb4-600i_puppets-64to128.py')
TINY_RUN = ['--config', TINY, '--size', '64', '--rounds', '2', '--warmup',
            '0']


def test_missing_official_checkout_is_a_clear_error(tmp_path):
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(SystemExit, match='--fomm .*nowhere: no such '
                       'directory .*AliaksandrSiarohin/first-order-model'):
        motion_transfer_speed.main(TINY_RUN + ['--fomm', missing])
    (tmp_path / 'modules').mkdir()
    with pytest.raises(SystemExit,
                       match='modules/inpainting_network.py not found .*'
                       'yoyo-nb/Thin-Plate-Spline-Motion-Model'):
        motion_transfer_speed.main(TINY_RUN + ['--tpsmm', str(tmp_path)])


def test_tiny_run_of_the_orfnt_side(tmp_path):
    out = tmp_path / 'speed.json'
    motion_transfer_speed.main(TINY_RUN + ['--profile', '1', '--out',
                                           str(out)])
    result = json.loads(out.read_text())
    cached, uncached = result['models']
    assert (cached['name'], uncached['name']) == ('orfnt', 'orfnt-uncached')
    for clock in ('wall', 'cpu'):
        assert len(cached[clock]['seconds']) == 2
        assert cached[clock]['orfnt_speed_ratio_per_round'] == [1.0, 1.0]
        assert uncached[clock]['fps_best'] >= uncached[clock]['fps_worst']
    # the cache skips the source encoders
    assert cached['gflops_per_frame'] < uncached['gflops_per_frame']
    top = result['profile_top_ops']
    assert 0 < len(top) <= 10
    ms = [op['self_ms_per_frame'] for op in top]
    assert ms == sorted(ms, reverse=True)
    assert any('conv' in op['name'] for op in top)


def _write(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


KP = '''
    import torch
    class KPDetector(torch.nn.Module):
        def __init__(self, **kwargs):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 2, 3)
        def forward(self, image):
            return {'value': self.conv(image).mean((2, 3))}
    '''


def _fake_fomm(root):
    _write(root, {
        'modules/__init__.py': '',
        'modules/keypoint_detector.py': KP,
        'modules/generator.py': '''
            import torch
            class OcclusionAwareGenerator(torch.nn.Module):
                def __init__(self, block_expansion, **kwargs):
                    super().__init__()
                    self.conv = torch.nn.Conv2d(3, block_expansion, 3)
                def forward(self, source, kp_source, kp_driving):
                    return {'prediction': self.conv(source)}
            ''',
        'sync_batchnorm/__init__.py': '',
        'config/vox-256.yaml': '''
            model_params:
              common_params: {num_kp: 10}
              kp_detector_params: {temperature: 0.1}
              generator_params: {block_expansion: 4}
            ''',
    })


def _fake_tpsmm(root):
    _write(root, {
        'modules/__init__.py': '',
        'modules/keypoint_detector.py': KP,
        'modules/dense_motion.py': '''
            import torch
            class DenseMotionNetwork(torch.nn.Module):
                def __init__(self, block_expansion, **kwargs):
                    super().__init__()
                def forward(self, source_image, kp_driving, kp_source,
                            bg_param, dropout_flag):
                    assert bg_param.shape == (1, 3, 3) and not dropout_flag
                    return {'deformation': source_image}
            ''',
        'modules/inpainting_network.py': '''
            import torch
            class InpaintingNetwork(torch.nn.Module):
                def __init__(self, block_expansion, **kwargs):
                    super().__init__()
                    self.conv = torch.nn.Conv2d(3, block_expansion, 5)
                def forward(self, source, motion):
                    return {'prediction': self.conv(motion['deformation'])}
            ''',
        'modules/bg_motion_predictor.py': '''
            import torch
            class BGMotionPredictor(torch.nn.Module):
                def forward(self, source, driving):
                    return torch.eye(3)[None]
            ''',
        'config/vox-256.yaml': '''
            model_params:
              common_params: {num_tps: 10, bg: true}
              generator_params: {block_expansion: 8}
              dense_motion_params: {block_expansion: 64}
            ''',
    })


def test_two_official_checkouts_in_one_run(tmp_path):
    _fake_fomm(tmp_path / 'fomm')
    _fake_tpsmm(tmp_path / 'tpsmm')
    result = motion_transfer_speed.main(TINY_RUN + [
        '--no-uncached', '--fomm', str(tmp_path / 'fomm'), '--tpsmm',
        str(tmp_path / 'tpsmm')
    ])
    names = [row['name'] for row in result['models']]
    assert names == ['orfnt', 'fomm', 'tpsmm']
    fomm, tpsmm = result['models'][1:]
    # each stand-in's own classes were built (the 'modules' of the other
    # checkout did not shadow them)
    assert fomm['params'] == 3 * 4 * 9 + 4 + 3 * 2 * 9 + 2
    assert tpsmm['params'] == 3 * 8 * 25 + 8 + 3 * 2 * 9 + 2
    for row in (fomm, tpsmm):
        assert len(row['wall']['orfnt_speed_ratio_per_round']) == 2
        assert row['cpu']['orfnt_speed_ratio'] > 0
    assert 'modules' not in sys.modules
