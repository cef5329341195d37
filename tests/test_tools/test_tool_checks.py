"""tools/train.py and tools/test.py: checks made before and around a run."""
import os
import os.path as osp
import subprocess
import sys

import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'tests/data/configs/tiny_topdown_gn.py')


def _run(args):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable] + args, cwd=ROOT, env=env,
                          capture_output=True, text=True)


def test_unknown_pipeline_transform_gets_the_close_match(tmp_path):
    out = _run(['tools/train.py', CONFIG, '--work-dir', str(tmp_path),
                '--cfg-options',
                'train_dataloader.dataset.pipeline.0.type=LoadImag'])
    assert out.returncode != 0
    assert 'Unknown transform type "LoadImag"' in out.stderr
    assert 'Did you mean: LoadImage' in out.stderr


def test_test_tool_refuses_a_checkpoint_of_another_model(tmp_path):
    ckpt = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'backbone.stem.weight': torch.zeros(3)}),
               ckpt)
    out = _run(['tools/test.py', CONFIG, str(ckpt), '--work-dir',
                str(tmp_path / 'wd')])
    assert out.returncode != 0
    assert "other.pth: loaded 0 of the model's" in out.stderr
    assert 'not for this model' in out.stderr


def test_unwritable_out_fails_before_evaluating(tmp_path):
    (tmp_path / 'a_file').write_text('x')
    out = _run(['tools/test.py', CONFIG, '--work-dir', str(tmp_path / 'wd'),
                '--out', str(tmp_path / 'a_file' / 'metrics.json')])
    assert out.returncode != 0
    assert 'cannot write into' in out.stderr
    assert not (tmp_path / 'wd').exists()  # no runner was built


def test_resume_in_an_empty_work_dir_and_config_typos(tmp_path):
    out = _run(['tools/train.py', CONFIG, '--work-dir', str(tmp_path),
                '--resume', '--cfg-options', 'train_cfg.max_epochs=1',
                'load_form=x.pth'])
    assert out.returncode == 0, out.stderr[-3000:]
    log = out.stdout + out.stderr
    assert 'nothing to resume in' in log
    assert 'resumed from the latest checkpoint None' not in log
    assert "did you mean 'load_from'" in log
    assert (tmp_path / 'epoch_1.pth').exists()
