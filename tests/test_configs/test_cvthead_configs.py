import glob

from mmengine import Config

CONFIGS = sorted(glob.glob('configs/cvthead/*.py')) + sorted(
    glob.glob('configs/demo/cvthead-*.py'))


def test_configs_load_with_paper_numbers():
    assert len(CONFIGS) == 10
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
    assert not s2.resume
    # stage 2 continues from the last checkpoint in stage 1's work dir
    assert s2.load_from == 'work_dirs/cvthead-s1_2xb8-200e_vox1-256x256/'
    # the main row has f_H and ROME's encoder initialisation; w/o D. has none
    assert s1.model.hair_deformer.type == 'LinearHairDeformer'
    assert s1.model.hair_deformer.basis_path.endswith('u_full.pt')
    assert s1.model.generator.encoder.init_ckpt.endswith('rome.pth')
    for stage in ('s1_2xb8-200e', 's2_2xb8-20e'):
        ablation = Config.fromfile(
            f'configs/cvthead/cvthead-nodeform-{stage}_vox1-256x256.py')
        assert ablation.model.hair_deformer is None
    nodeform_s2 = Config.fromfile(
        'configs/cvthead/cvthead-nodeform-s2_2xb8-20e_vox1-256x256.py')
    assert nodeform_s2.model.stage == 2 and nodeform_s2.load_from == \
        'work_dirs/cvthead-nodeform-s1_2xb8-200e_vox1-256x256/'
    vox2 = Config.fromfile(
        'configs/cvthead/cvthead-s2_2xb8-2e_vox2-256x256.py')
    assert vox2.train_dataloader.dataset.data_root == 'data/vox2/'
    assert vox2.model.stage == 2 and vox2.load_from == \
        'work_dirs/cvthead-s1_2xb8-24e_vox2-256x256/'
    demo2 = Config.fromfile(
        'configs/demo/cvthead-tiny-s2_1xb4-2e_synthheads-64x64.py')
    assert demo2.load_from == \
        'work_dirs/cvthead-tiny_1xb4-20e_synthheads-64x64/'
    assert demo2.model.stage == 2 and demo2.model.hair_deformer is not None
    cross = Config.fromfile(
        'configs/cvthead/cvthead-s2-crossid_2xb8-20e_vox1-256x256.py')
    assert cross.test_dataloader.dataset.mode == 'cross_test'
    assert cross.test_evaluator.type == 'CrossReenactMetric'
    assert cross.test_evaluator.id_embedder.type == 'ArcFaceEmbedder'
    assert cross.test_evaluator.iqa.type == 'HyperIQA'
    cross2 = Config.fromfile(
        'configs/cvthead/cvthead-s2-crossid_2xb8-2e_vox2-256x256.py')
    assert cross2.test_dataloader.dataset.data_root == 'data/vox2/'
    assert cross2.test_dataloader.dataset.mode == 'cross_test'
