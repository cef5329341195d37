import glob

from mmengine import Config

CONFIGS = sorted(glob.glob('configs/cvthead/*.py')) + sorted(
    glob.glob('configs/demo/cvthead-*.py'))


def test_configs_load_with_paper_numbers():
    assert len(CONFIGS) == 4
    for path in CONFIGS:
        Config.fromfile(path)
    s1 = Config.fromfile(
        'configs/cvthead/cvthead-s1_2xb8-200e_vox1-256x256.py')
    assert s1.model.stage == 1 and s1.train_cfg.max_epochs == 200
    assert s1.train_dataloader.batch_size == 8  # x 2 GPUs = 16
    assert s1.optim_wrapper.generator.optimizer.lr == 1e-4
    assert s1.optim_wrapper.discriminator.optimizer.lr == 4e-4
    assert s1.optim_wrapper.generator.optimizer.betas == (0.5, 0.999)
    assert s1.model.loss_id.loss_weight == 0.1
    assert s1.model.loss_gan.loss_weight == 0.01
    assert s1.model.loss_fm.loss_weight == 0.1
    assert s1.model.generator.vertex_transformer.depth == 6
    s2 = Config.fromfile('configs/cvthead/cvthead-s2_2xb8-20e_vox1-256x256.py')
    assert s2.model.stage == 2 and s2.train_cfg.max_epochs == 20
    assert s2.optim_wrapper.generator.optimizer.lr == 2e-5
    assert s2.load_from and not s2.resume
    cross = Config.fromfile(
        'configs/cvthead/cvthead-s2-crossid_2xb8-20e_vox1-256x256.py')
    assert cross.test_dataloader.dataset.mode == 'cross_test'
    assert cross.test_evaluator.type == 'CrossReenactMetric'
