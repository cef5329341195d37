"""ORFNT configs: every stage loads the last checkpoint that the previous
stage writes (work_dirs/<config name>/iter_<max_iters>.pth), the staged
recipe's numbers, and the variants' switches."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
REAL = [
    'orfnt-s1-geometry_1xb8-100ki_ted-128to256',
    'orfnt-s2-warping_1xb8-100ki_ted-128to256',
    'orfnt-s3-joint_1xb8-200ki_ted-128to256',
    'orfnt-s4-blender-sr_1xb8-200ki_ted-128to256',
]
DEMO = [
    'orfnt-tiny-s1-geometry_1xb4-300i_puppets-64to128',
    'orfnt-tiny-s2-warping_1xb4-1200i_puppets-64to128',
    'orfnt-tiny-s3-joint_1xb4-1500i_puppets-64to128',
    'orfnt-tiny-s4-blender-sr_1xb4-600i_puppets-64to128',
]
STAGES = ['geometry', 'warping', 'joint', 'blender_sr']


def _cfg(folder, name):
    return Config.fromfile(osp.join(ROOT, 'configs', folder, name + '.py'))


def _last_checkpoint(name, cfg):
    """Where tools/train.py's CheckpointHook leaves the last checkpoint."""
    assert cfg.default_hooks.checkpoint.save_last
    assert not cfg.default_hooks.checkpoint.by_epoch
    return f'work_dirs/{name}/iter_{cfg.train_cfg.max_iters}.pth'


@pytest.mark.parametrize('folder,names', [('motion_transfer', REAL),
                                          ('demo', DEMO)])
def test_stages_chain_through_the_last_checkpoints(folder, names):
    cfgs = [_cfg(folder, n) for n in names]
    assert [c.model.train_stage for c in cfgs] == STAGES
    assert cfgs[0].get('load_from') is None
    for prev_name, prev, cur in zip(names, cfgs, cfgs[1:]):
        assert cur.load_from == _last_checkpoint(prev_name, prev)
        assert not cur.get('resume', False)


def test_real_recipe_numbers():
    cfgs = [_cfg('motion_transfer', n) for n in REAL]
    assert [c.train_cfg.max_iters for c in cfgs] == [100000, 100000, 200000,
                                                     200000]
    for c in cfgs:
        assert c.train_dataloader.batch_size == 8
        g = c.optim_wrapper.generator.optimizer
        assert (g.type, g.lr, g.betas) == ('Adam', 2e-4, (0.5, 0.999))
        assert c.optim_wrapper.discriminator.optimizer.lr == 2e-4
        assert c.model.data_preprocessor.in_size == 128
        assert c.model.blender.upscale == 2
        losses = c.model.loss_cfg
        assert [losses[k].loss_weight for k in ('corr', 'aff', 'tv', 'cons',
                                                 'uv', 'seg', 'per', 'rec')
                ] == [5.0, 0.01, 1.0, 5.0, 5.0, 1.0, 10.0, 1.0]
        assert losses.gan.gan_type == 'lsgan'


def test_end_to_end_256_variant():
    c = _cfg('motion_transfer', 'orfnt-e2e_1xb8-600ki_ted-256to256')
    assert c.model.train_stage == 'e2e'
    assert c.model.data_preprocessor.in_size == 256
    assert c.model.blender.upscale == 1
    assert c.model.loss_cfg.corr is None and c.model.loss_cfg.aff is None
    assert c.train_cfg.max_iters == 600000
    assert c.get('load_from') is None


def _pipelines(cfg):
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        while 'dataset' in dataset:  # wrappers (ConcatDataset, ...)
            dataset = dataset.dataset
        yield loader, dataset.pipeline


ORFNT_CONFIGS = sorted(
    glob.glob(osp.join(ROOT, 'configs', 'motion_transfer', '*.py')) +
    glob.glob(osp.join(ROOT, 'configs', 'demo', 'orfnt*.py')))


@pytest.mark.parametrize('path', ORFNT_CONFIGS, ids=osp.basename)
def test_output_size_is_written_once(path):
    """The model derives its output side (input side x BlenderNet's
    upscale); no config repeats it in the preprocessor, and the frames are
    loaded at it."""
    c = Config.fromfile(path)
    assert 'out_size' not in c.model.data_preprocessor
    out = c.model.data_preprocessor.in_size * c.model.blender.upscale
    for loader, pipeline in _pipelines(c):
        sizes = [tuple(t['size']) for t in pipeline
                 if t['type'] == 'PairedResize']
        assert sizes == [(out, out)], (loader, sizes, out)


@pytest.mark.parametrize('name,key,value', [
    ('orfnt-nocc-s3-joint_1xb8-200ki_ted-128to256', 'occlusion', False),
    ('orfnt-ssfw-s3-joint_1xb8-200ki_ted-128to256', 'single_scale', True),
])
def test_warping_ablations(name, key, value):
    c = _cfg('motion_transfer', name)
    assert c.model.warp_generator[key] is value


def test_branch_ablations():
    assert _cfg('motion_transfer',
                'orfnt-notex-s3-joint_1xb8-200ki_ted-128to256'
                ).model.use_texture_branch is False
    assert _cfg('motion_transfer',
                'orfnt-nowarp-s3-joint_1xb8-200ki_ted-128to256'
                ).model.use_warp_branch is False
    assert len(glob.glob(osp.join(ROOT, 'configs/motion_transfer/*.py'))) \
        == 9


def test_demo_joint_stage_gives_blender_its_own_rate():
    """The stage-3 demo optimizer: BlenderNet at 5e-4, the other generator
    networks at 2e-4 (a misspelt ``custom_keys`` key would give every
    parameter 2e-4 without an error)."""
    from mmengine.optim import build_optim_wrapper

    from mmhuman_ext.registry import MODELS
    from mmhuman_ext.utils import register_all_modules
    register_all_modules()
    cfg = _cfg('demo', DEMO[2])
    model = MODELS.build(cfg.model)
    wrappers = build_optim_wrapper(model, cfg.optim_wrapper)
    names = {id(p): n for n, p in model.generator.named_parameters()}
    rates = {}
    for group in wrappers['generator'].optimizer.param_groups:
        for p in group['params']:
            network = names[id(p)].split('.')[0]
            rates.setdefault(network, set()).add(group['lr'])
    assert rates.pop('blender') == {5e-4}
    assert set(rates) >= {'motion_net', 'warp_generator', 'texture_branch'}
    assert all(r == {2e-4} for r in rates.values())
