"""What mmpose's MMPoseInferencer reads from a config, present in every 2D
top-down and 2D-to-3D lifting config (so that config + checkpoint are all a
user passes)."""
import glob
import os.path as osp

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _problems(cfg) -> list:
    from mmpose.registry import DATASETS as MMPOSE_DATASETS
    found = []
    # read without our code: the config loads the package, and the model
    # is built from our scope
    if 'mmhuman_ext.utils.auto_register' not in cfg.get(
            'custom_imports', {}).get('imports', []):
        found.append('custom_imports lacks mmhuman_ext.utils.auto_register')
    if cfg.model.get('_scope_') != 'mmhuman_ext':
        found.append("model._scope_ is not 'mmhuman_ext'")
    if cfg.model.type == 'TopdownPoseEstimator':
        if cfg.get('data_mode') != 'topdown':
            found.append("no data_mode = 'topdown'")
        # looked up in mmpose's own registry (person detector choice)
        if MMPOSE_DATASETS.get(cfg.get('dataset_type', '')) is None:
            found.append(f'dataset_type {cfg.get("dataset_type")!r} is '
                         'unknown to mmpose (prefix mmhuman_ext.)')
    else:
        if cfg.get('visualizer', {}).get('type') != 'Pose3dLocalVisualizer':
            found.append('visualizer is not Pose3dLocalVisualizer')
    # the keypoint metainfo of checkpoints that carry none (converted
    # official weights); mmpose lifts to Human3.6M joints only
    if cfg.model.type == 'TopdownPoseEstimator' or \
            'h36m' in cfg.filename:
        from mmpose.apis.inference import dataset_meta_from_config
        if dataset_meta_from_config(cfg, dataset_mode='train') is None:
            found.append('mmpose finds no dataset metainfo for '
                         f'{cfg.train_dataloader.dataset.type!r}')
    return found


def test_fields_mmpose_inferencers_read():
    checked, failures = {}, {}
    for path in sorted(glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                                 recursive=True)):
        if '_base_' in path:
            continue
        cfg = Config.fromfile(path)
        kind = cfg.get('model', {}).get('type')
        if kind not in ('TopdownPoseEstimator', 'PoseLifter'):
            continue
        checked[kind] = checked.get(kind, 0) + 1
        problems = _problems(cfg)
        if problems:
            failures[osp.relpath(path, ROOT)] = problems
    assert not failures, failures
    # TokenPose / PPT COCO + MPII + demos, P-STMO H36M + 3DHP + demo
    assert checked['TopdownPoseEstimator'] >= 10
    assert checked['PoseLifter'] >= 8
