"""Every shipped config (configs/<method>/ and configs/demo/) runs through
the ``tools/infer.py`` mode that serves it: a random-weight checkpoint of
the config, one sample of the generated examples end to end.

A config no mode runs is reported as skipped with the reason; the test
fails when a new config has neither a mode nor a listed reason.
"""
import glob
import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from mmhuman_ext.apis.examples import (HEAD_SOURCE, ensure_examples,
                                       inference_mode, save_random_checkpoint)

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
}
# the FLAME-format head model, mesh hierarchy and hair/shoulder deformation
# files: the stand-in ones of the examples (the real ones are licensed
# downloads); the ROME initialisation and the loss networks are left out
HEAD_FILES = ('model.flame.model_path={f}/generic_model.pkl '
              'model.generator.hierarchy.path={f}/hierarchy.npz '
              'model.hair_deformer.net_ckpt={f}/linear_hair.pth '
              'model.hair_deformer.mean_path={f}/mean_deform.pt '
              'model.hair_deformer.basis_path={f}/u_full.pt '
              'model.generator.encoder.init_ckpt=None model.loss_vgg=None '
              'model.loss_id=None '
              'test_dataloader.dataset.type=VoxCelebReenactDataset')


def _tool():
    spec = importlib.util.spec_from_file_location(
        'infer', osp.join(ROOT, 'tools', 'infer.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def examples(tmp_path_factory):
    return ensure_examples(str(tmp_path_factory.mktemp('ex') / 'examples'))


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
    mv = osp.join(examples, 'multiview')
    views = [osp.join(mv, f'view{v}.jpg') for v in range(4)]
    return ['multiview', config, ckpt, *views, '--cameras',
            osp.join(mv, 'cameras.json'), '--bboxes',
            osp.join(mv, 'boxes.json')], 1


def _head(cfg, config, ckpt, examples, out, ppt_weights):
    controls = osp.join(out, 'controls.npz')
    exp = np.zeros((2, 50), np.float32)
    exp[1, 0] = 1.5
    np.savez(controls, exp=exp)
    files = HEAD_FILES.format(f=osp.join(examples, 'heads', 'flame'))
    return ['head', config, ckpt, controls, '--data-root',
            osp.join(examples, 'heads'), '--source-video', HEAD_SOURCE,
            '--cfg-options', *files.split()], 2


def _edit(cfg, config, ckpt, examples, out, ppt_weights):
    tokenizer = osp.join(examples, 'clip_tokenizer')
    return ['edit', config, ckpt, osp.join(examples, 'video.mp4'),
            '--prompt', 'a red figure', '--max-frames', '4', '--no-gif',
            '--cfg-options',
            f'model.keyframe_editor.tokenizer.from_pretrained={tokenizer}',
            'model.keyframe_editor.num_inference_steps=2',
            'model.num_steps=2'], 4


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
def test_infer_runs_config(config, examples, ppt_weights, tmp_path, capsys):
    cfg = Config.fromfile(osp.join(ROOT, config))
    if _model_type(cfg) in NOT_SERVED_TYPES:
        pytest.skip(NOT_SERVED_TYPES[_model_type(cfg)])
    if config in NOT_RUNNABLE:
        pytest.skip(NOT_RUNNABLE[config])
    mode = inference_mode(cfg)
    out = str(tmp_path / 'out')
    os.makedirs(out)
    ckpt = str(tmp_path / 'random.pth')
    args, count = COMMANDS[mode](cfg, config, ckpt, examples, out,
                                 ppt_weights)
    tool = _tool()
    # the config as the mode builds it (options included), random weights
    parsed = tool.parse_args(args + ['--out-dir', out])
    built = Config.fromfile(osp.join(ROOT, config))
    if getattr(parsed, 'cfg_options', None):
        built.merge_from_dict(parsed.cfg_options)
    from mmhuman_ext.datasets.layout import generate_builtin_data
    generate_builtin_data(built, splits=('test', ))
    save_random_checkpoint(built, ckpt,
                           'interpolator' if mode == 'edit' else '')
    tool.main(args + ['--out-dir', out, '--device', 'cpu'])
    assert f'{mode}: {count} result(s)' in capsys.readouterr().out
    written = [
        osp.join(d, f) for d, _, files in os.walk(out) for f in files
        if not f.endswith('.npz')
    ]
    assert written, f'{config}: {mode} wrote nothing'
    for path in written:
        if path.endswith('.json'):
            with open(path) as f:
                json.load(f)
