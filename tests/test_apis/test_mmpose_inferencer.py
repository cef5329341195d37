"""mmpose's own MMPoseInferencer (and demo/inferencer_demo.py) on our
configs, given only the config and a checkpoint: 2D (PPT, TokenPose, MPII,
demo) with the whole picture or a local mmdet detector, and 2D -> 3D with a
P-STMO lifter on a short video."""
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import save_checkpoint

from mmhuman_ext.apis.inferencers.base import dataset_meta_of
from mmhuman_ext.registry import MODELS
from mmhuman_ext.utils.video import VideoWriter

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PPT_S = osp.join(ROOT, 'configs/ppt/ppt-s_4xb32-300e_coco-256x192.py')
TOKENPOSE_S = osp.join(ROOT,
                       'configs/ppt/tokenpose-s_4xb32-300e_coco-256x192.py')
PPT_S_MPII = osp.join(ROOT, 'configs/ppt/ppt-s_4xb32-300e_mpii-256x256.py')
PPT_DEMO = osp.join(ROOT,
                    'configs/demo/ppt-s-tiny_1xb16-60e_synthcoco-128x96.py')
HEATMAP_DEMO = osp.join(
    ROOT, 'configs/demo/topdown-heatmap_small_1xb16-16e_synthcoco-128x96.py')
PSTMO_S_27 = osp.join(ROOT, 'configs/pstmo/pstmo-s_1xb160-80e_h36m-cpn-27f.py')
PSTMO_DEMO = osp.join(
    ROOT, 'configs/demo/pstmo-s-d64_1xb64-4e_synthh36m-det-27f.py')
MMPOSE_MIM = osp.join(osp.dirname(__import__('mmpose').__file__), '.mim')
DETECTOR = osp.join(MMPOSE_MIM, 'demo', 'mmdetection_cfg',
                    'rtmdet_nano_320-8xb32_coco-person.py')


def random_checkpoint(config: str,
                      path: str,
                      seed: int = 0,
                      with_dataset_meta: bool = True) -> str:
    """A checkpoint of the config's model with random weights, holding the
    dataset metainfo as every training run writes it (or none, as the
    converted official weights)."""
    cfg = Config.fromfile(config)
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    meta = dict(dataset_meta=dataset_meta_of(model, None, cfg)) \
        if with_dataset_meta else dict(converted_from='official.pth')
    save_checkpoint(dict(meta=meta, state_dict=model.state_dict()), path)
    return path


def person_picture(path: str, size=(240, 320)) -> str:
    h, w = size
    img = np.full((h, w, 3), 200, np.uint8)
    cv2.rectangle(img, (w // 3, h // 6), (2 * w // 3, 5 * h // 6),
                  (40, 60, 90), -1)
    cv2.circle(img, (w // 2, h // 6), h // 12, (90, 120, 160), -1)
    cv2.imwrite(path, img)
    return path


def _run(inferencer, inputs, **kwargs):
    return [r for r in inferencer(inputs, **kwargs)]


@pytest.fixture(scope='module')
def ppt_s_ckpt(tmp_path_factory):
    return random_checkpoint(
        PPT_S, str(tmp_path_factory.mktemp('ckpt') / 'ppt_s.pth'))


def test_ppt_s_17_keypoints_per_person_and_a_picture(ppt_s_ckpt, tmp_path):
    from mmpose.apis import MMPoseInferencer
    img = person_picture(str(tmp_path / 'person.jpg'))
    # only the config and the checkpoint: no scope, no imports
    inferencer = MMPoseInferencer(
        pose2d=PPT_S,
        pose2d_weights=ppt_s_ckpt,
        device='cpu',
        det_model='whole_image')
    head = inferencer.inferencer.model.head
    assert type(head).__name__ == 'PPTHead' and head.keep_ratio == 0.7
    # the weights are the checkpoint's
    state = torch.load(ppt_s_ckpt, weights_only=False)['state_dict']
    got = inferencer.inferencer.model.state_dict()
    assert got.keys() == state.keys()
    assert all(torch.equal(got[k], state[k]) for k in state)
    out = str(tmp_path / 'out')
    results = _run(inferencer, img, out_dir=out)
    assert len(results) == 1
    people = results[0]['predictions'][0]
    assert len(people) == 1
    kpts = np.asarray(people[0]['keypoints'])
    assert kpts.shape == (17, 2)
    assert len(people[0]['keypoint_scores']) == 17
    # keypoints lie in the crop of the whole-picture box: 320x240 made
    # 3:4 (320x427) and padded x1.25 -> 400x533 around (160, 120)
    assert (np.abs(kpts - [160, 120]) <= [200.5, 267.2]).all()
    picture = cv2.imread(osp.join(out, 'visualizations', 'person.jpg'))
    assert picture is not None and picture.shape == (240, 320, 3)
    with open(osp.join(out, 'predictions', 'person.json')) as f:
        saved = json.load(f)
    np.testing.assert_allclose(saved[0]['keypoints'], kpts, atol=1e-3)


@pytest.mark.parametrize('config',
                         [TOKENPOSE_S, PPT_S_MPII, PPT_DEMO, HEATMAP_DEMO])
def test_other_2d_configs_on_a_folder(config, tmp_path):
    from mmpose.apis import MMPoseInferencer
    ckpt = random_checkpoint(config, str(tmp_path / 'model.pth'))
    folder = tmp_path / 'pictures'
    folder.mkdir()
    for i in range(2):
        person_picture(str(folder / f'{i}.png'), (200 + 40 * i, 160))
    inferencer = MMPoseInferencer(
        pose2d=config,
        pose2d_weights=ckpt,
        device='cpu',
        det_model='whole_image')
    num_kpt = 16 if 'mpii' in config else 17
    results = _run(inferencer, str(folder), out_dir=str(tmp_path / 'out'))
    assert len(results) == 2
    for r in results:
        assert np.asarray(
            r['predictions'][0][0]['keypoints']).shape == (num_kpt, 2)
    assert sorted(os.listdir(tmp_path / 'out' /
                             'visualizations')) == ['0.png', '1.png']
    assert sorted(os.listdir(tmp_path / 'out' /
                             'predictions')) == ['0.json', '1.json']


def test_person_boxes_from_a_local_mmdet_detector(ppt_s_ckpt, tmp_path):
    from mmpose.apis import MMPoseInferencer
    det_ckpt = str(tmp_path / 'rtmdet_nano.pth')
    cfg = Config.fromfile(DETECTOR)
    from mmdet.registry import MODELS as DET_MODELS
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdet'):
        torch.manual_seed(0)
        detector = DET_MODELS.build(cfg.model)
    save_checkpoint(
        dict(
            meta=dict(dataset_meta=dict(classes=('person', ))),
            state_dict=detector.state_dict()), det_ckpt)
    img = person_picture(str(tmp_path / 'person.jpg'))
    inferencer = MMPoseInferencer(
        pose2d=PPT_S,
        pose2d_weights=ppt_s_ckpt,
        device='cpu',
        det_model=DETECTOR,
        det_weights=det_ckpt,
        det_cat_ids=[0])
    assert inferencer.inferencer.detector is not None
    results = _run(inferencer, img, bbox_thr=0.0, nms_thr=0.3)
    people = results[0]['predictions'][0]
    assert len(people) >= 1
    for person in people:
        assert np.asarray(person['keypoints']).shape == (17, 2)
        assert len(person['bbox'][0]) == 4


def _write_video(path: str, num_frames: int = 6, size=(128, 160)) -> str:
    h, w = size
    with VideoWriter(path, fps=10) as writer:
        for t in range(num_frames):
            frame = np.full((h, w, 3), 180, np.uint8)
            x = 40 + 4 * t
            cv2.rectangle(frame, (x, 20), (x + 50, 110), (30, 60, 90), -1)
            writer.write(frame)
    return path


@pytest.mark.parametrize('lifter', [PSTMO_DEMO, PSTMO_S_27])
def test_2d_to_3d_17_joints_per_frame_of_a_video(ppt_s_ckpt, lifter, tmp_path):
    from mmpose.apis import MMPoseInferencer
    video = _write_video(str(tmp_path / 'walk.mp4'))
    lift_ckpt = random_checkpoint(lifter, str(tmp_path / 'lifter.pth'))
    inferencer = MMPoseInferencer(
        pose2d=PPT_S,
        pose2d_weights=ppt_s_ckpt,
        pose3d=lifter,
        pose3d_weights=lift_ckpt,
        device='cpu',
        det_model='whole_image')
    model = inferencer.inferencer.model
    assert type(model.backbone).__name__ == 'STMO'
    out = str(tmp_path / 'out')
    results = _run(inferencer, video, out_dir=out)
    assert len(results) == 6
    for r in results:
        person = r['predictions'][0][0]
        xyz = np.asarray(person['keypoints'])
        assert xyz.shape == (17, 3)
        assert np.isfinite(xyz).all()
    with open(osp.join(out, 'predictions', 'walk.json')) as f:
        frames = json.load(f)
    assert [f['frame_id'] for f in frames] == list(range(6))
    assert np.asarray(frames[0]['instances'][0]['keypoints']).shape == (17, 3)
    cap = cv2.VideoCapture(osp.join(out, 'visualizations', 'walk.mp4'))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 6
    cap.release()


def test_mmpose_demo_script_in_a_fresh_process(ppt_s_ckpt, tmp_path):
    """mmpose's demo/inferencer_demo.py, which never imports mmhuman_ext:
    reading our config loads the package (custom_imports)."""
    img = person_picture(str(tmp_path / 'person.jpg'))
    out = tmp_path / 'out'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([
        sys.executable,
        osp.join(MMPOSE_MIM, 'demo', 'inferencer_demo.py'), img, '--pose2d',
        PPT_S, '--pose2d-weights', ppt_s_ckpt, '--det-model', 'whole_image',
        '--device', 'cpu', '--vis-out-dir',
        str(out / 'vis'), '--pred-out-dir',
        str(out / 'pred')
    ],
                          capture_output=True,
                          text=True,
                          env=env,
                          cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert osp.isfile(out / 'vis' / 'person.jpg')
    with open(out / 'pred' / 'person.json') as f:
        people = json.load(f)
    assert np.asarray(people[0]['keypoints']).shape == (17, 2)


def test_checkpoints_without_dataset_meta(tmp_path):
    """Converted official weights carry no dataset metainfo: mmpose takes
    it from the config's dataset type, which its registry finds."""
    from mmpose.apis import MMPoseInferencer
    pose_ckpt = random_checkpoint(
        PPT_S, str(tmp_path / 'ppt.pth'), with_dataset_meta=False)
    lift_ckpt = random_checkpoint(
        PSTMO_S_27, str(tmp_path / 'pstmo.pth'), with_dataset_meta=False)
    inferencer = MMPoseInferencer(
        pose2d=PPT_S, pose2d_weights=pose_ckpt, pose3d=PSTMO_S_27,
        pose3d_weights=lift_ckpt, device='cpu', det_model='whole_image')
    assert inferencer.inferencer.model.dataset_meta['dataset_name'] == 'h36m'
    img = person_picture(str(tmp_path / 'person.jpg'))
    result, = _run(inferencer, img)
    assert np.asarray(result['predictions'][0][0]['keypoints']).shape == (
        17, 3)


def test_function_registry_of_our_scope():
    """mmengine's inferencers take ``collate_fn`` from the function registry
    of their scope: ours exists and reaches mmengine's functions."""
    from mmengine.registry import FUNCTIONS

    from mmhuman_ext.registry import FUNCTIONS as OURS
    with FUNCTIONS.switch_scope_and_registry('mmhuman_ext') as registry:
        assert registry is OURS
        assert registry.get('pseudo_collate') is FUNCTIONS.get(
            'pseudo_collate')
