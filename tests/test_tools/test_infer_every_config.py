"""Every shipped config (configs/<method>/ and configs/demo/) runs through
the ``tools/infer.py`` mode that serves it: a random-weight checkpoint of
the config, one sample of the generated examples end to end.

A config no mode runs is reported as skipped with the reason; the test
fails when a new config has neither a mode nor a listed reason.
"""
import glob
import json
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from mmhuman_ext.apis import head_animation, motion_transfer
from mmhuman_ext.apis.examples import (HEAD_SOURCE, inference_mode,
                                       save_random_checkpoint)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    osp.relpath(p, ROOT)
    for p in glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))
    if '_base_' not in p)
PPT_DEMO = 'configs/demo/ppt-s-tiny_1xb16-60e_synthcoco-128x96.py'
# model types that no mode runs, and why
NOT_SERVED_TYPES = dict(
    MaskedPoseModeling='P-STMO Stage I pre-training (masked pose modeling): '
    'its checkpoint initialises a Stage II lifting config, which pose runs',
    MaskINT='MaskINT stage-2 training config: its checkpoint is the '
    'interpolator of an edit config, which edit runs')
# configs of a served type that cannot run here, and why
NOT_RUNNABLE = {
    'configs/maskint/maskint-edit-hed_davis2017-384x672.py':
    'needs the pretrained folders it names (checkpoints/stable-diffusion-'
    'v1-5, sd-controlnet-hed, ControlNetHED.pth, kandinsky-2-2-decoder/'
    'movq, clip-vit-large-patch14), which cannot be had offline',
    'configs/maskint/maskint-edit-hed_random-fullwidth-384x672.py':
    'cost figures only: every network of the edit at its real width with '
    'random weights (about 15 GB and tens of CPU-minutes for one edit); '
    'tools/analysis/maskint_edit_cost.py counts its FLOPs on the meta '
    'device',
}
# configs the mode refuses with a clear reason: (error, message pattern)
REFUSED = {
    'configs/pstmo/pstmo-gtroot-refine_1xb160-10e_h36m-cpn-243f.py':
    (KeyError, 'needs the calibrated camera of each sample'),
    'configs/pstmo/pstmo-s_1xb160-80e_mpi-inf-3dhp-gt-81f.py':
    (SystemExit, "a lifter of 'mpi_inf_3dhp' joints.*Human3.6M joints only"),
}
# the FLAME-format head model, mesh hierarchy and hair/shoulder deformation
# files: the stand-in ones of the examples (the real ones are licensed
# downloads); their built-in dataset is not generated again
HEAD_FILES = ('model.flame.model_path={f}/generic_model.pkl '
              'model.generator.hierarchy.path={f}/hierarchy.npz '
              'test_dataloader.dataset.type=VoxCelebReenactDataset')
HAIR_FILES = ('model.hair_deformer.net_ckpt={f}/linear_hair.pth '
              'model.hair_deformer.mean_path={f}/mean_deform.pt '
              'model.hair_deformer.basis_path={f}/u_full.pt')


INFERENCE_MODEL_CFG = dict(
    head=head_animation.inference_model_cfg,
    motion=motion_transfer.inference_model_cfg)


@pytest.fixture(scope='module')
def ppt_weights(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('ppt') / 'ppt.pth')
    return save_random_checkpoint(Config.fromfile(osp.join(ROOT, PPT_DEMO)),
                                  path)


def _pose(cfg, config, ckpt, examples, out, ppt_weights):
    if cfg.model.type.split('.')[-1] == 'PoseLifter':
        args = [
            osp.join(examples, 'images', 'person_000.jpg'), '--pose2d',
            PPT_DEMO, '--pose2d-weights', ppt_weights, '--pose3d', config,
            '--pose3d-weights', ckpt
        ]
    else:
        args = [
            osp.join(examples, 'images', 'person_000.jpg'), '--pose2d',
            config, '--pose2d-weights', ckpt
        ]
    return ['pose'] + args, 1


def _multiview(cfg, config, ckpt, examples, out, ppt_weights):
    """The 4-view example capture; a 6-view config (SkiPose) gets views 0
    and 1 twice more, with their cameras."""
    mv = osp.join(examples, 'multiview')
    order = list(range(cfg.model.get('num_views', 4)))
    order = [v % 4 for v in order]
    files = dict(cameras=osp.join(mv, 'cameras.json'),
                 bboxes=osp.join(mv, 'boxes.json'))
    for key, path in files.items():
        with open(path) as f:
            records = json.load(f)
        files[key] = osp.join(osp.dirname(out), f'{key}.json')
        with open(files[key], 'w') as f:
            json.dump([records[v] for v in order], f)
    views = [osp.join(mv, f'view{v}.jpg') for v in order]
    return ['multiview', config, ckpt, *views, '--cameras', files['cameras'],
            '--bboxes', files['bboxes']], 1


def _head(cfg, config, ckpt, examples, out, ppt_weights):
    controls = osp.join(osp.dirname(out), 'controls.npz')
    exp = np.zeros((2, 50), np.float32)
    exp[1, 0] = 1.5
    np.savez(controls, exp=exp)
    files = HEAD_FILES
    if cfg.model.get('hair_deformer'):
        files += ' ' + HAIR_FILES
    files = files.format(f=osp.join(examples, 'heads', 'flame'))
    return ['head', config, ckpt, controls, '--data-root',
            osp.join(examples, 'heads'), '--source-video', HEAD_SOURCE,
            '--cfg-options', *files.split()], 2


def _edit(cfg, config, ckpt, examples, out, ppt_weights):
    options = ['model.num_steps=2']
    if cfg.model.tokenizer.type == 'PatchVQTokenizer':
        # the demo's fitted codebook, here random codes of its size
        codebook = osp.join(osp.dirname(out), 'patchvq.npz')
        size = cfg.model.interpolator.transformer.codebook_size
        rng = np.random.default_rng(0)
        np.savez(codebook, codebook=rng.uniform(
            -1, 1, (size, 3, 8, 8)).astype(np.float32))
        options.append(f'model.tokenizer.codebook={codebook}')
    if cfg.model.keyframe_editor.type == 'JointKeyframeEditor':
        tokenizer = osp.join(examples, 'clip_tokenizer')
        options += [
            f'model.keyframe_editor.tokenizer.from_pretrained={tokenizer}',
            'model.keyframe_editor.num_inference_steps=2'
        ]
    return ['edit', config, ckpt, osp.join(examples, 'video.mp4'),
            '--prompt', 'a red figure', '--max-frames', '4', '--no-gif',
            '--cfg-options', *options], 4


def _motion(cfg, config, ckpt, examples, out, ppt_weights):
    puppets = osp.join(examples, 'puppets', 'test')
    return ['motion', config, ckpt, '--source',
            osp.join(puppets, 'puppet000', 'frames', '000000.png'),
            '--driving', osp.join(puppets, 'puppet001'), '--batch-size',
            '4'], 8


COMMANDS = dict(
    pose=_pose, multiview=_multiview, head=_head, edit=_edit, motion=_motion)


def _model_type(cfg) -> str:
    return str(cfg.model.type).split('.')[-1]


def test_every_config_is_served_or_listed():
    """A new config needs a mode or a reason; the count is what the
    parametrised test below covers."""
    unexplained = []
    for config in CONFIGS:
        cfg = Config.fromfile(osp.join(ROOT, config))
        if inference_mode(cfg) is None and \
                _model_type(cfg) not in NOT_SERVED_TYPES:
            unexplained.append(config)
    assert not unexplained, ('configs no tools/infer.py mode runs, without '
                             f'a reason in NOT_SERVED_TYPES: {unexplained}')
    assert CONFIGS


@pytest.mark.parametrize('config', CONFIGS)
def test_infer_runs_config(infer_tool, config, example_inputs, ppt_weights,
                           tmp_path, capsys):
    cfg = Config.fromfile(osp.join(ROOT, config))
    if _model_type(cfg) in NOT_SERVED_TYPES:
        pytest.skip(NOT_SERVED_TYPES[_model_type(cfg)])
    if config in NOT_RUNNABLE:
        pytest.skip(NOT_RUNNABLE[config])
    mode = inference_mode(cfg)
    out = str(tmp_path / 'out')
    os.makedirs(out)
    ckpt = str(tmp_path / 'random.pth')
    args, count = COMMANDS[mode](cfg, config, ckpt, example_inputs, out,
                                 ppt_weights)
    tool = infer_tool
    # the config as the mode builds it (options included), random weights
    parsed = tool.parse_args(args + ['--out-dir', out])
    built = Config.fromfile(osp.join(ROOT, config))
    if getattr(parsed, 'cfg_options', None):
        built.merge_from_dict(parsed.cfg_options)
    from mmhuman_ext.datasets.layout import generate_builtin_data
    generate_builtin_data(built, splits=('test', ))
    if mode in INFERENCE_MODEL_CFG:  # the model the mode builds
        built.model = INFERENCE_MODEL_CFG[mode](built.model)
    save_random_checkpoint(built, ckpt,
                           'interpolator' if mode == 'edit' else '')
    if config in REFUSED:
        error, pattern = REFUSED[config]
        with pytest.raises(error, match=pattern):
            tool.main(args + ['--out-dir', out, '--device', 'cpu'])
        return
    tool.main(args + ['--out-dir', out, '--device', 'cpu'])
    assert f'{mode}: {count} result(s)' in capsys.readouterr().out
    written = [osp.join(d, f) for d, _, files in os.walk(out) for f in files]
    assert written, f'{config}: {mode} wrote nothing'
    for path in written:
        if path.endswith('.json'):
            with open(path) as f:
                json.load(f)


# one config per mode for the refusal checks
DEMO_PER_MODE = dict(
    pose=PPT_DEMO,
    lifting='configs/demo/pstmo-s-d64_1xb64-4e_synthh36m-det-27f.py',
    multiview='configs/demo/transfusion-tiny_1xb8-40e_synthmv-128x128.py',
    head='configs/demo/cvthead-tiny_1xb4-20e_synthheads-64x64.py',
    edit='configs/demo/maskint-edit-tiny_random-64x96.py',
    motion='configs/demo/orfnt-tiny-s4-blender-sr_1xb4-600i_puppets-'
    '64to128.py')


def foreign_checkpoint(path: str) -> str:
    """A checkpoint of another model: none of its tensors is in ours."""
    import torch
    torch.save(dict(state_dict={'other.conv.weight': torch.zeros(8, 3)}),
               path)
    return path


@pytest.mark.parametrize('kind', sorted(DEMO_PER_MODE))
def test_infer_refuses_a_checkpoint_of_another_model(
        infer_tool, kind, example_inputs, ppt_weights, tmp_path):
    config = DEMO_PER_MODE[kind]
    cfg = Config.fromfile(osp.join(ROOT, config))
    mode = inference_mode(cfg)
    out = str(tmp_path / 'out')
    os.makedirs(out)
    ckpt = foreign_checkpoint(str(tmp_path / 'other.pth'))
    args, _ = COMMANDS[mode](cfg, config, ckpt, example_inputs, out,
                             ppt_weights)
    with pytest.raises(SystemExit) as info:
        infer_tool.main(args + ['--out-dir', out, '--device', 'cpu'])
    message = str(info.value)
    assert f'{mode}: {ckpt}: loaded 0 of the model' in message
    assert '--partial-load' in message and 'nothing was written' in message
    assert not [f for _, _, files in os.walk(out) for f in files]


def test_infer_partial_load_runs_and_reports(
        infer_tool, example_inputs, ppt_weights, tmp_path, capsys,
        monkeypatch):
    """--partial-load: the mismatch is reported, the run goes on."""
    import mmengine.logging
    logged = []
    monkeypatch.setattr(mmengine.logging, 'print_log',
                        lambda msg, *args, **kwargs: logged.append(msg))
    ckpt = foreign_checkpoint(str(tmp_path / 'other.pth'))
    infer_tool.main([
        'pose',
        osp.join(example_inputs, 'images', 'person_000.jpg'), '--pose2d',
        PPT_DEMO, '--pose2d-weights', ckpt, '--device', 'cpu',
        '--partial-load', '--out-dir',
        str(tmp_path / 'out')
    ])
    assert 'pose: 1 result(s)' in capsys.readouterr().out
    assert [m for m in logged
            if f"{ckpt}: loaded 0 of the model's 131 tensors" in m]


def test_pose_without_boxes_warns_and_names_the_detector_route(
        infer_tool, example_inputs, ppt_weights, tmp_path, capsys):
    infer_tool.main([
        'pose',
        osp.join(example_inputs, 'images', 'scene.jpg'), '--pose2d',
        PPT_DEMO, '--pose2d-weights', ppt_weights, '--device', 'cpu',
        '--out-dir',
        str(tmp_path / 'out')
    ])
    err = capsys.readouterr().err
    assert 'ONE person box covering the whole picture' in err
    assert '--det-model DET_CONFIG.py --det-weights DET_CHECKPOINT.pth' in err
    assert 'estimate_poses(model, image, bboxes)' in err


def test_pose_3d_is_root_relative_and_says_so(
        infer_tool, example_inputs, ppt_weights, tmp_path):
    config = DEMO_PER_MODE['lifting']
    ckpt = save_random_checkpoint(
        Config.fromfile(osp.join(ROOT, config)), str(tmp_path / 'lift.pth'))
    out = tmp_path / 'out'
    infer_tool.main([
        'pose',
        osp.join(example_inputs, 'images', 'person_000.jpg'), '--pose2d',
        PPT_DEMO, '--pose2d-weights', ppt_weights, '--pose3d', config,
        '--pose3d-weights', ckpt, '--device', 'cpu', '--out-dir',
        str(out)
    ])
    with open(out / 'predictions' / 'person_000.json') as f:
        people = json.load(f)
    keypoints = np.asarray(people[0]['keypoints'])
    assert keypoints.shape == (17, 3)
    # the root (pelvis) at the origin; mmpose's default would put the
    # lowest joint at z = 0 instead
    np.testing.assert_allclose(keypoints[0], 0, atol=1e-6)
    assert keypoints[:, 2].min() < 0
    with open(out / 'predictions' / '_keypoints_3d_convention.json') as f:
        assert 'root-relative' in json.load(f)['origin']
