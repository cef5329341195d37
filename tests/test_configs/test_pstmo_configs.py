"""P-STMO configs: names, recipes, parameter counts, a tiny two-stage run."""
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmhuman_ext.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'pstmo', '*.py')))
DEMOS = sorted(glob.glob(osp.join(ROOT, 'configs', 'demo', 'pstmo*.py')))
NAME = re.compile(r'^pstmo(-[a-z0-9]+)*_\d+xb\d+-\d+e_[a-z0-9-]+-\d+f\.py$')


def cfg(name):
    return Config.fromfile(osp.join(ROOT, 'configs', 'pstmo', name))


def test_names_follow_the_house_pattern():
    names = [osp.basename(p) for p in CONFIGS + DEMOS]
    assert all(NAME.match(n) for n in names), names
    for n in (27, 81, 243):
        assert f'pstmo-s_1xb160-80e_h36m-cpn-{n}f.py' in names
        assert f'pstmo-s-mpm_1xb160-80e_h36m-cpn-{n}f.py' in names
    assert 'pstmo_1xb160-80e_h36m-cpn-243f.py' in names


# config -> (all parameters, N, s, lr)
STAGE2 = {
    'pstmo-s_1xb160-80e_h36m-cpn-27f.py': (4_682_598, 27, 9, 7e-4),
    'pstmo-s_1xb160-80e_h36m-cpn-81f.py': (5_527_142, 81, 3, 7e-4),
    'pstmo-s_1xb160-80e_h36m-cpn-243f.py': (6_482_278, 243, 2, 7e-4),
    'pstmo_1xb160-80e_h36m-cpn-243f.py': (7_009_382, 243, 2, 1e-3),
    'pstmo-s_1xb160-80e_h36m-gt-243f.py': (6_482_278, 243, 2, 1e-3),
    'pstmo-s_1xb160-80e_mpi-inf-3dhp-gt-81f.py': (5_527_142, 81, 1, 7e-4),
    'pstmo-gtroot-refine_1xb160-10e_h36m-cpn-243f.py':
    (7_009_382 + 140_322, 243, 2, 1e-5),
}


@pytest.mark.parametrize('name', sorted(STAGE2))
def test_stage2_configs_build_the_paper_models(name):
    total, n, s, lr = STAGE2[name]
    c = cfg(name)
    model = MODELS.build(c.model)
    assert sum(p.numel() for p in model.parameters()) == total
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert c[loader].dataset.seq_len == n
        assert c[loader].dataset.seq_step == s
    assert c.train_dataloader.dataset.flip_mode == 'double'
    assert c.train_dataloader.batch_size == 160
    assert c.optim_wrapper.optimizer == dict(type='Adam', lr=lr, amsgrad=True)
    assert c.param_scheduler[0].gamma == 0.97
    assert c.model.test_cfg.flip_test
    if 'refine' not in name:
        init = c.model.backbone.encoder.init_cfg
        assert init.type == 'Pretrained' and init.prefix == 'encoder.'
        stage1 = name.replace('pstmo-s_',
                              'pstmo-s-mpm_').replace('pstmo_', 'pstmo-mpm_')
        assert init.checkpoint == (f'work_dirs/{stage1[:-3]}/'
                                   'best_mpm_2d_mpjpe_stage1.pth')
        assert osp.isfile(osp.join(ROOT, 'configs', 'pstmo', stage1))


def test_frame_count_override_reaches_every_part():
    """One --cfg-options value for N rebuilds MOFA and the decoder."""
    c = cfg('pstmo-s_1xb160-80e_h36m-cpn-243f.py')
    c.merge_from_dict({'model.backbone.encoder.seq_len': 27})
    model = MODELS.build(c.model)
    assert len(model.backbone.mofa.layers) == 3
    assert sum(p.numel() for p in model.parameters()) == STAGE2[
        'pstmo-s_1xb160-80e_h36m-cpn-27f.py'][0]
    c = cfg('pstmo-s-mpm_1xb160-80e_h36m-cpn-243f.py')
    c.merge_from_dict({'model.encoder.seq_len': 81})
    model = MODELS.build(c.model)
    assert model.decoder.pos_embed.shape[1] == 81
    assert sum(p.numel() for p in model.parameters()) == STAGE1[
        'pstmo-s-mpm_1xb160-80e_h36m-cpn-81f.py'][0]


@pytest.mark.parametrize('n,s', [(27, 1), (27, 3), (81, 1), (243, 1)])
def test_table5_rows(n, s):
    """Table 5 (N, s) rows: Stage I and II at that window and stride, the
    Stage II encoder from its own Stage I."""
    stage1 = cfg(f'pstmo-s-mpm-tds{s}_1xb160-80e_h36m-cpn-{n}f.py')
    stage2 = cfg(f'pstmo-s-tds{s}_1xb160-80e_h36m-cpn-{n}f.py')
    for c in (stage1, stage2):
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            assert c[loader].dataset.seq_len == n
            assert c[loader].dataset.seq_step == s
    assert stage2.model.backbone.encoder.init_cfg.checkpoint == (
        f'work_dirs/pstmo-s-mpm-tds{s}_1xb160-80e_h36m-cpn-{n}f/'
        'best_mpm_2d_mpjpe_stage1.pth')
    assert stage1.model.encoder.seq_len == n
    model = MODELS.build(stage2.model)
    assert sum(p.numel() for p in model.parameters()) == STAGE2[
        f'pstmo-s_1xb160-80e_h36m-cpn-{n}f.py'][0]


STAGE1 = {
    'pstmo-s-mpm_1xb160-80e_h36m-cpn-243f.py': (2_656_036, 0.8, 2),
    'pstmo-mpm_1xb160-80e_h36m-cpn-243f.py': (3_315_620, 0.6, 3),
    'pstmo-s-mpm_1xb160-80e_h36m-cpn-81f.py': (2_593_828, 0.8, 2),
    'pstmo-s-mpm_1xb160-80e_h36m-gt-243f.py': (2_656_036, 0.8, 7),
    'pstmo-s-mpm_1xb160-80e_mpi-inf-3dhp-gt-81f.py': (2_593_828, 0.7, 2),
}


@pytest.mark.parametrize('name', sorted(STAGE1))
def test_stage1_configs(name):
    total, ratio, joints = STAGE1[name]
    c = cfg(name)
    model = MODELS.build(c.model)
    assert sum(p.numel() for p in model.parameters()) == total
    assert model.num_masked_frames == int(model.seq_len * ratio)
    assert c.model.temporal_mask_ratio == ratio
    assert c.model.spatial_mask_num == joints
    assert c.optim_wrapper.optimizer.lr == 1e-4
    assert c.default_hooks.checkpoint.save_best == 'mpm/2d_mpjpe'


def test_every_config_builds(tmp_path):
    for path in CONFIGS + DEMOS:
        c = Config.fromfile(path)
        MODELS.build(c.model)


@pytest.fixture
def tiny_demo(tmp_path, monkeypatch):
    """The two demo configs on a tiny synthetic set, 1 epoch each."""
    # the Runner formats the whole config with yapf for every log line and
    # checkpoint (seconds each on a busy CPU); a plain dump suffices here
    monkeypatch.setattr(Config, 'pretty_text',
                        property(lambda self: repr(self.to_dict())))

    def make(stage):
        name = ('pstmo-s-mpm-d64_1xb64-2e_synthh36m-det-27f.py'
                if stage == 1 else 'pstmo-s-d64_1xb64-4e_synthh36m-det-27f.py')
        c = Config.fromfile(osp.join(ROOT, 'configs', 'demo', name))
        gen = dict(
            subjects=['S1', 'S9'], actions=['Walking'], num_frames=40, seed=0)
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            c[loader].dataset.data_root = str(tmp_path / 'data')
            c[loader].dataset.generator_cfg = gen
            c[loader].dataset.sample_stride = 10
            c[loader].num_workers = 0
            c[loader].persistent_workers = False
            c[loader].batch_size = 16
        c.train_dataloader.dataset.subjects = ['S1']
        c.val_dataloader.dataset.subjects = ['S9']
        c.test_dataloader.dataset.subjects = ['S9']
        c.train_cfg.max_epochs = 1
        c.work_dir = str(tmp_path / f'stage{stage}')
        c.default_hooks.logger.interval = 1
        c.visualizer.vis_backends = [dict(type='LocalVisBackend')]
        if stage == 2:
            c.train_cfg.val_interval = 2  # test() evaluates below
            c.model.backbone.encoder.init_cfg.checkpoint = str(
                tmp_path / 'stage1' / 'best_mpm_2d_mpjpe_stage1.pth')
            for ev in c.test_evaluator:
                ev.outfile_prefix = str(tmp_path / 'stage2' / 'h36m')
        return Runner.from_cfg(c)

    return make


def test_demo_stage1_then_stage2_through_the_configs(tiny_demo, tmp_path):
    torch.manual_seed(0)
    stage1 = tiny_demo(1)
    stage1.train()
    ckpt = tmp_path / 'stage1' / 'best_mpm_2d_mpjpe_stage1.pth'
    assert ckpt.is_file()
    stage2 = tiny_demo(2)
    stage2.train()  # init_weights loads the Stage I encoder
    metrics = stage2.test()
    for key in ('MPJPE', 'P-MPJPE', 'N-MPJPE', 'MPJVE'):
        assert f'h36m/{key}_action_mean' in metrics
        assert f'h36m/{key}_Walking' in metrics
    assert (tmp_path / 'stage2' / 'h36m_mpjpe.md').is_file()
    # the encoder started from Stage I (its first SEM layer was loaded)
    saved = torch.load(ckpt, weights_only=False)['state_dict']
    log = (tmp_path / 'stage2').glob('*/*.log')
    text = ''.join(p.read_text() for p in log)
    assert 'best_mpm_2d_mpjpe_stage1.pth' in text
    assert saved['encoder.sem.fc_in.weight'].shape == (128, 34)
