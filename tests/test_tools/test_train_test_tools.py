"""tools/train.py, tools/test.py, dist_train.sh on the tiny synthetic config."""
import glob
import json
import os
import os.path as osp
import pickle
import socket
import subprocess
import sys

import pytest
import torch

from mmhuman_ext.utils.checkpoint import load_checkpoint_file

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'tests/data/configs/tiny_topdown_gn.py')


def _run(args, extra_env=(), **kwargs):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1',
               **dict(extra_env))
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True,
                          text=True, **kwargs)


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _train_losses(work_dir):
    """Per-iteration (loss, loss_kpt) from mmengine's scalars.json."""
    scalars, = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(scalars) as f:
        rows = [json.loads(line) for line in f]
    return [(r['step'], r['loss'], r['loss_kpt']) for r in rows
            if 'loss' in r]


@pytest.mark.slow
def test_two_processes_match_one_with_the_same_total_batch(tmp_path):
    single = _run([sys.executable, 'tools/train.py', CONFIG, '--work-dir',
                   str(tmp_path / 'single')])
    assert single.returncode == 0, single.stderr[-3000:]
    dist = _run([
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir',
        str(tmp_path / 'dist'), '--cfg-options',
        'train_dataloader.batch_size=2'
    ], extra_env={'PORT': str(_free_port())}, timeout=900)
    assert dist.returncode == 0, dist.stderr[-3000:]
    one, two = _train_losses(tmp_path / 'single'), _train_losses(
        tmp_path / 'dist')
    assert len(one) == len(two) == 4  # 2 epochs x 2 iterations
    for (step_a, *a), (step_b, *b) in zip(one, two):
        assert step_a == step_b
        assert a == pytest.approx(b, rel=1e-4)
    weights_a = load_checkpoint_file(tmp_path / 'single' / 'epoch_2.pth')
    weights_b = load_checkpoint_file(tmp_path / 'dist' / 'epoch_2.pth')
    for key, value in weights_a['state_dict'].items():
        torch.testing.assert_close(weights_b['state_dict'][key], value,
                                   rtol=1e-4, atol=1e-6)


def test_amp_on_cpu_fails_clearly(tmp_path):
    if torch.cuda.is_available():
        pytest.skip('this machine has a GPU')
    out = _run([sys.executable, 'tools/train.py', CONFIG, '--amp',
                '--work-dir', str(tmp_path)])
    assert out.returncode != 0
    assert '--amp needs a GPU' in out.stderr


def test_unknown_component_names_the_scopes_searched(tmp_path):
    out = _run([sys.executable, 'tools/train.py', CONFIG, '--work-dir',
                str(tmp_path), '--cfg-options',
                'model.head.type=HeatmapHaed'])
    assert out.returncode != 0
    assert 'Unknown model type "HeatmapHaed"' in out.stderr
    assert 'mmhuman_ext -> mmpose -> mmengine' in out.stderr
    assert 'Did you mean: HeatmapHead' in out.stderr


def test_missing_data_names_field_layout_and_preparation(tmp_path):
    out = _run([
        sys.executable, 'tools/train.py', CONFIG, '--work-dir',
        str(tmp_path), '--cfg-options',
        'train_dataloader.dataset.type=CocoDataset',
        f'train_dataloader.dataset.data_root={tmp_path}/coco',
    ])
    assert out.returncode != 0
    assert 'train_dataloader.dataset.data_root' in out.stderr
    assert 'person_keypoints_{train2017,val2017}.json' in out.stderr
    assert 'docs/data_preparation.md#coco' in out.stderr


@pytest.mark.slow
def test_test_tool_writes_metrics_predictions_pictures_results(tmp_path):
    out = _run([
        sys.executable, 'tools/test.py', CONFIG, '--work-dir',
        str(tmp_path / 'wd'), '--out', str(tmp_path / 'metrics.json'),
        '--dump', str(tmp_path / 'preds.pkl'), '--show-dir',
        str(tmp_path / 'vis'), '--outfile-prefix', str(tmp_path / 'res')
    ])
    assert out.returncode == 0, out.stderr[-3000:]
    metrics = json.loads((tmp_path / 'metrics.json').read_text())
    assert 0 <= metrics['coco/AP'] <= 1
    with open(tmp_path / 'preds.pkl', 'rb') as f:
        preds = pickle.load(f)
    assert preds and 'pred_instances' in preds[0]
    results = json.loads((tmp_path / 'res.keypoints.json').read_text())
    assert results and len(results[0]['keypoints']) == 17 * 3
    assert glob.glob(str(tmp_path / 'wd' / '*' / 'vis' / '*')) or \
        glob.glob(str(tmp_path / 'vis' / '**' / '*.jpg'), recursive=True)


def test_format_only_writes_only_the_submission_file(tmp_path):
    out = _run([
        sys.executable, 'tools/test.py', CONFIG, '--work-dir',
        str(tmp_path / 'wd'), '--out', str(tmp_path / 'metrics.json'),
        '--outfile-prefix', str(tmp_path / 'sub'), '--format-only'
    ])
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads((tmp_path / 'metrics.json').read_text()) == {}
    results = json.loads((tmp_path / 'sub.keypoints.json').read_text())
    assert {'image_id', 'category_id', 'keypoints', 'score'} <= set(
        results[0])
