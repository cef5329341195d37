import json
import os.path as osp
import sys

ROOT = osp.join(osp.dirname(__file__), '..', '..')
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
import maskint_edit_benchmark  # noqa: E402

CONFIG = osp.join(ROOT, 'configs', 'demo',
                  'maskint-edit-tiny_random-64x96.py')


def test_benchmark_counts_network_evaluations(tmp_path):
    out = str(tmp_path / 'bench.json')
    maskint_edit_benchmark.main([
        CONFIG, '--frames', '5', '--repeats', '1', '--out', out,
        '--cfg-options', 'model.keyframe_editor.num_inference_steps=2',
        'model.interpolator.test_cfg.num_steps=3'
    ])
    with open(out) as f:
        res = json.load(f)
    assert res['keyframes'] == [0, 4]
    # MaskINT: 2 keyframes x 2 steps x 2 streams + K passes
    assert res['maskint']['nfe_diffusion'] == 2 * 2 * 2
    assert res['maskint']['nfe_transformer'] == 3
    # per frame: 5 frames x 2 steps x 2 streams
    assert res['per_frame_controlnet']['nfe_diffusion'] == 5 * 2 * 2
    assert res['nfe_ratio'] == 2.5
    assert res['time_ratio'] > 0
    assert set(res['maskint']['stage_seconds']) == {
        'structure', 'keyframes', 'tokenize', 'interpolate', 'decode'}
