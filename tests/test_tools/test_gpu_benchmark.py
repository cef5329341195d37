"""gpu_benchmark.py: the CPU dry run of all six methods (demo configs,
fp32 and bfloat16 autocast) and the error without a GPU."""
import json
import os.path as osp
import sys

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
import gpu_benchmark  # noqa: E402


def test_dry_run_of_all_six_methods(tmp_path):
    out = tmp_path / 'gpu.json'
    gpu_benchmark.main(['--dry-run', '--out', str(out)])
    result = json.loads(out.read_text())
    assert result['dry_run'] and result['device'].startswith('CPU')
    rows = {row['method']: row for row in result['methods']}
    assert set(rows) == {'ppt', 'transfusion', 'pstmo', 'cvthead', 'maskint',
                         'orfnt'}
    for row in rows.values():
        assert row['batch'] == 1
        assert row['fp32']['ms_per_batch'] > 0
        assert row['amp']['ms_per_batch'] > 0
    assert rows['transfusion']['views_per_sample'] > 1


def test_cuda_without_a_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(SystemExit, match='no CUDA device .* --dry-run'):
        gpu_benchmark.main(['--methods', 'orfnt'])
