"""get_flops.py, benchmark.py and browse_dataset.py on the tiny config."""
import importlib.util
import json
import os.path as osp

import cv2
import torch

from mmhuman_ext.utils.model_analysis import (count_flops, count_parameters,
                                              make_subject)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'tests/data/configs/tiny_topdown_gn.py')


def _tool(path):
    spec = importlib.util.spec_from_file_location(
        osp.basename(path)[:-3], osp.join(ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_flops_counts_convolutions_exactly():
    subject = make_subject(CONFIG)
    counts = count_parameters(subject.model)
    assert counts['params'] == counts['trainable'] == sum(
        p.numel() for p in subject.model.parameters())
    flops = count_flops(subject, 1)
    assert count_flops(subject, 3) == 3 * flops
    # the stem's first conv alone: 7x7x3 -> 8 channels on a 32x24 map
    stem = 2 * 7 * 7 * 3 * 8 * 32 * 24
    assert flops > stem


def test_get_flops_prints_counts(capsys):
    _tool('tools/analysis/get_flops.py').main([CONFIG])
    out = capsys.readouterr().out
    params = count_parameters(make_subject(CONFIG).model)['params']
    assert f'parameters:           {params:,}' in out
    assert 'FLOPs per sample' in out


def test_benchmark_compares_a_config_with_outside_code(tmp_path):
    outside = tmp_path / 'outside.py'
    outside.write_text(
        'import torch\n'
        'def build(batch_size):\n'
        '    model = torch.nn.Conv2d(3, 8, 3)\n'
        '    return model, torch.randn(batch_size, 3, 64, 48)\n')
    out = tmp_path / 'bench.json'
    _tool('tools/analysis/benchmark.py').main([
        CONFIG, f'py:{outside}:build', '--names', 'tiny', 'conv',
        '--batch-size', '2', '--warmup', '1', '--repeats', '3', '--out',
        str(out)
    ])
    result = json.loads(out.read_text())
    tiny, conv = result['models']
    assert tiny['name'] == 'tiny' and tiny['speed_ratio_to_first'] == 1.0
    assert conv['gflops_per_sample'] == 2 * 3 * 9 * 8 * 62 * 46 / 1e9
    assert tiny['throughput'] > 0 and tiny['peak_memory_mib'] >= 0
    assert conv['speed_ratio_to_first'] > 0


def test_benchmark_fuses_batchnorm_on_request(tmp_path):
    outside = tmp_path / 'outside.py'
    outside.write_text(
        'import torch\n'
        'def build(batch_size):\n'
        '    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3),\n'
        '                                torch.nn.BatchNorm2d(8))\n'
        '    return model, torch.randn(batch_size, 3, 16, 16)\n')
    bench = _tool('tools/analysis/benchmark.py')
    for flag, expect_bn in (([], True), (['--fuse-conv-bn'], False)):
        args = bench.parse_args([f'py:{outside}:build'] + flag)
        model = bench._build(args, args.configs[0]).model
        has_bn = any(
            isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
        assert has_bn == expect_bn


def test_browse_dataset_draws_inputs_and_heatmaps(tmp_path):
    _tool('tools/misc/browse_dataset.py').main(
        [CONFIG, '--num', '2', '--out-dir', str(tmp_path)])
    picture = cv2.imread(str(tmp_path / 'train_0000.jpg'))
    # input (64x48) and the heatmap overlay side by side
    assert picture.shape == (64, 96, 3)
    assert torch.tensor(picture[:, 48:]).float().std() > 0


def test_mmpose_pose_lifter_gets_keypoint_sequences():
    """mmpose's VideoPose3D configs: (B, K * 2, T) inputs from the codec and
    the dataset's seq_len."""
    import mmpose
    config = osp.join(
        osp.dirname(mmpose.__file__), '.mim/configs/body_3d_keypoint/'
        'video_pose_lift/h36m/video-pose-lift_tcn-27frm-supv_8xb128-160e_'
        'h36m.py')
    subject = make_subject(config)
    inputs = subject.make_inputs(2)
    assert inputs.shape == (2, 34, 27)
    with torch.no_grad():
        out = subject.forward(subject.model, inputs)
    assert out.shape == (2, 17, 3)  # the centre frame's 3D pose
    assert count_flops(subject, 1) > 0


def test_multiview_model_gets_views_and_rays():
    """Multi-view PPT: (B, V, 3, H, W) crops and unit rays at the token
    stride; under the math SDPA backend the count adds exactly the
    attention products (4 T^2 D per layer) that the fused kernel hides."""
    from mmhuman_ext.utils.model_analysis import summarize
    config = osp.join(ROOT,
                      'configs/ppt/ppt-s-multiview_4xb8-20e_h36m-256x256.py')
    subject = make_subject(config, views=2)
    assert subject.views == 2
    inputs = subject.make_inputs(1)
    assert inputs['inputs'].shape == (1, 2, 3, 256, 256)
    rays = inputs['data_samples'][0].ray_dirs
    assert rays.shape == (2, 256, 3)  # 16 x 16 tokens (stride 16)
    torch.testing.assert_close(rays.norm(dim=-1), torch.ones(2, 256))
    with torch.no_grad():
        out = subject.forward(subject.model, inputs)
    assert out.shape == (1, 2, 17, 64, 64)
    hidden = count_flops(subject, 1)
    full = count_flops(subject, 1, math_attention=True)
    # per view: layers 0-3 on 17 + 256 tokens, 4-6 on 17 + 180, 7-9 on
    # 17 + 126; fused layers 10-11 on 2 x (17 + 89)
    per_view = 4 * 273**2 + 3 * 197**2 + 3 * 143**2
    assert full - hidden == 4 * 192 * (2 * per_view + 2 * 212**2)
    subject.times = [0.5, 0.25, 0.5]
    assert summarize(subject, 3)['views_per_s'] == 12


def test_inputs_move_with_their_data_samples():
    """Timing on another device moves the data samples' tensors too (the
    multi-view ray directions), not only the images."""
    from mmpose.structures import PoseDataSample

    from mmhuman_ext.utils.model_analysis import _to
    sample = PoseDataSample(metainfo={})
    sample.set_field(torch.ones(2, 5, 3), 'ray_dirs')
    moved = _to(dict(inputs=torch.ones(1, 3), data_samples=[sample]),
                torch.device('meta'))
    assert moved['inputs'].device.type == 'meta'
    assert moved['data_samples'][0].ray_dirs.device.type == 'meta'
    assert sample.ray_dirs.device.type == 'cpu'
