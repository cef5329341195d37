"""tools/test.py with the real PPT-S config on data in the COCO 2017 layout.

The built-in figure generator writes images, keypoint annotations and a
person detection file; they are laid out as ``val2017`` / ``test-dev2017``
are on disk, and the unchanged config reads them with only its paths
overridden.
"""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

from mmhuman_ext.datasets.synthetic.coco_figures import write_coco_figures

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'configs/ppt/ppt-s_4xb32-300e_coco-256x192.py'
DETECTIONS = 'COCO_val2017_detections_AP_H_56_person.json'


@pytest.fixture(scope='module')
def coco_root(tmp_path_factory):
    """A COCO-layout folder: val2017 with keypoints, test2017 with image
    info only (as test-dev), and a person detection file for both."""
    src = tmp_path_factory.mktemp('figures')
    write_coco_figures(str(src), 0, 3, (192, 256), seed=5)
    root = tmp_path_factory.mktemp('coco')
    os.makedirs(root / 'annotations')
    os.makedirs(root / 'person_detection_results')
    shutil.copytree(src / 'val', root / 'val2017')
    shutil.copytree(src / 'val', root / 'test2017')
    shutil.copy(src / 'annotations' / 'person_keypoints_val.json',
                root / 'annotations' / 'person_keypoints_val2017.json')
    keypoints = json.loads(
        (root / 'annotations' / 'person_keypoints_val2017.json').read_text())
    image_info = {k: v for k, v in keypoints.items() if k != 'annotations'}
    (root / 'annotations' / 'image_info_test-dev2017.json').write_text(
        json.dumps(image_info))
    shutil.copy(src / 'person_detection_results' / 'COCO_val_detections.json',
                root / 'person_detection_results' / DETECTIONS)
    return root


def _test_tool(root, tmp_path, ann_file, img_dir, *extra):
    dataset = 'test_dataloader.dataset.'
    options = [
        f'{dataset}data_root={root}/', f'{dataset}ann_file={ann_file}',
        f'{dataset}data_prefix.img={img_dir}/',
        f'{dataset}bbox_file={root}/person_detection_results/{DETECTIONS}',
        f'test_evaluator.ann_file={root}/{ann_file}',
        'test_dataloader.batch_size=4', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'
    ]
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    return subprocess.run(
        [sys.executable, 'tools/test.py', CONFIG, '--work-dir',
         str(tmp_path / 'wd'), '--out', str(tmp_path / 'metrics.json'),
         '--cfg-options', *options, *extra],
        cwd=ROOT, env=env, capture_output=True, text=True)


def _detections(root):
    dets = json.loads(
        (root / 'person_detection_results' / DETECTIONS).read_text())
    return {d['image_id'] for d in dets if d['category_id'] == 1}


@pytest.mark.slow
def test_val2017_layout_gives_metrics_and_keypoint_results(coco_root,
                                                           tmp_path):
    out = _test_tool(coco_root, tmp_path,
                     'annotations/person_keypoints_val2017.json', 'val2017',
                     '--outfile-prefix', str(tmp_path / 'val'))
    assert out.returncode == 0, out.stderr[-3000:]
    metrics = json.loads((tmp_path / 'metrics.json').read_text())
    assert 0 <= metrics['coco/AP'] <= 1  # random weights: a real evaluation
    results = json.loads((tmp_path / 'val.keypoints.json').read_text())
    assert {r['image_id'] for r in results} <= _detections(coco_root)
    assert all(len(r['keypoints']) == 17 * 3 and r['category_id'] == 1
               for r in results)


@pytest.mark.slow
def test_test_dev_layout_writes_the_submission_file_only(coco_root,
                                                          tmp_path):
    out = _test_tool(coco_root, tmp_path,
                     'annotations/image_info_test-dev2017.json', 'test2017',
                     '--outfile-prefix', str(tmp_path / 'sub'),
                     '--format-only', '--fuse-conv-bn')
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'FuseConvBNHook' in out.stdout + out.stderr  # hook order table
    assert json.loads((tmp_path / 'metrics.json').read_text()) == {}
    results = json.loads((tmp_path / 'sub.keypoints.json').read_text())
    assert {r['image_id'] for r in results} == _detections(coco_root)
    assert sorted(os.listdir(tmp_path)) == ['metrics.json',
                                            'sub.keypoints.json', 'wd']
