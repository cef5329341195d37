import pytest
from mmengine import Config

from mmhuman_ext.registry import MODELS
from mmhuman_ext.utils.pretrained import MissingPretrainedError

EDIT = 'configs/maskint/maskint-edit-hed_davis2017-384x672.py'
TRAIN = 'configs/maskint/maskint-base_8xb8-100e_videos-16f-384x672.py'


def test_edit_config_matches_trained_model_and_paper_defaults():
    edit, train = Config.fromfile(EDIT), Config.fromfile(TRAIN)
    pipe = edit.model
    assert pipe.interpolator.transformer == train.model.transformer
    assert pipe.tokenizer == train.model.data_preprocessor.tokenizer
    assert pipe.structure == train.model.data_preprocessor.structure_detector
    assert pipe.interpolator.test_cfg.num_steps == 32
    ed = pipe.keyframe_editor
    assert (ed.num_inference_steps, ed.guidance_scale,
            ed.controlnet_conditioning_scale) == (50, 7.5, 1.0)
    assert ed.extended_attention and ed.share_noise
    assert tuple(pipe.resolution) == (384, 672) and pipe.chunk_len == 16
    assert edit.test_dataloader.dataset.type == 'VideoEditBenchmarkDataset'
    assert [e['type'] for e in edit.test_evaluator] == [
        'CLIPVideoConsistency', 'FlowWarpingError', 'EditRuntime']


def test_edit_config_names_missing_weights():
    with pytest.raises(MissingPretrainedError,
                       match='checkpoints/ControlNetHED.pth'):
        MODELS.build(Config.fromfile(EDIT).model)
