"""tools/analysis/pose_demo.py: the summary line, the picture and the JSON of
`make demo`, on the demo config with a tiny generated dataset."""
import importlib.util
import json
import os.path as osp

import cv2
import pytest
import torch
from mmengine.config import Config

from mmhuman_ext.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_CONFIG = osp.join(
    ROOT, 'configs/demo/topdown-heatmap-small_1xb16-16e_synthcoco-128x96.py')
TINY = f'''_base_ = ['{DEMO_CONFIG}']
generator_cfg = dict(num_train=4, num_val=3, img_size=(160, 120), seed=0)
loader = dict(num_workers=0, persistent_workers=False,
              dataset=dict(generator_cfg=generator_cfg))
train_dataloader = loader
val_dataloader = loader
test_dataloader = loader
'''


def _tool():
    spec = importlib.util.spec_from_file_location(
        'pose_demo', osp.join(ROOT, 'tools/analysis/pose_demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def work_dir(tmp_path, monkeypatch):
    """A work dir as tools/train.py leaves it: a checkpoint of epoch 3 and
    ``last_checkpoint`` naming it."""
    monkeypatch.setenv('MMHUMAN_EXT_DATA', str(tmp_path / 'data'))
    config = tmp_path / 'tiny_demo.py'
    config.write_text(TINY)
    work = tmp_path / 'work'
    work.mkdir()
    torch.manual_seed(1)
    model = MODELS.build(Config.fromfile(str(config)).model)
    ckpt = work / 'epoch_3.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict(epoch=3)),
               str(ckpt))
    (work / 'last_checkpoint').write_text(str(ckpt))
    return str(config), str(work)


def test_summary_line_picture_and_json(work_dir, capsys):
    config, work = work_dir
    _tool().main([config, work, '--num', '2'])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    picture = osp.join(work, 'demo_predictions.png')
    assert last.startswith('demo: COCO AP ')
    assert last.endswith(f'after 3 epochs (untrained 0.000); predictions on '
                         f'2 held-out images: {picture}')
    image = cv2.imread(picture)
    # 4 tiles in a row (2 images, 2 blank), each the 160 x 120 image x 2
    assert image.shape == (240, 1280, 3)
    assert image[:, :320].any() and not image[:, 640:].any()
    with open(osp.join(work, 'demo_summary.json')) as f:
        summary = json.load(f)
    assert summary['epoch'] == 3
    assert summary['checkpoint'] == osp.join(work, 'epoch_3.pth')
    assert summary['untrained']['coco/AP'] == 0
    assert f'{summary["trained"]["coco/AP"]:.3f}' in last


def test_a_work_dir_without_training_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='last_checkpoint not found'):
        _tool().last_checkpoint(str(tmp_path))
