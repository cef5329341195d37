import os.path as osp
import sys

import pytest
import torch

from mmhuman_ext.models.editors.maskint import ExtendedSelfAttnProcessor
from mmhuman_ext.registry import MODELS
from mmhuman_ext.utils.pretrained import MissingPretrainedError

sys.path.insert(0, osp.dirname(__file__))
from maskint_tiny import (  # noqa: E402
    randomize_zero_convs, tiny_pipeline_cfg, write_sd_folders)


def build_editor(**overrides):
    cfg = tiny_pipeline_cfg()['keyframe_editor']
    cfg.update(overrides)
    torch.manual_seed(0)
    editor = MODELS.build(cfg)
    randomize_zero_convs(editor.controlnet)
    return editor


def embeds(seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(1, 77, 32, generator=g)


def run(editor, structure, seed=0):
    return editor.edit(structure, prompt_embeds=embeds(),
                       negative_prompt_embeds=embeds(1),
                       generator=torch.Generator().manual_seed(seed))


def test_processor_on_self_attention_only():
    editor = build_editor()
    procs = editor.unet.attn_processors
    ext = [k for k, p in procs.items()
           if isinstance(p, ExtendedSelfAttnProcessor)]
    assert ext and all(k.endswith('attn1.processor') for k in ext)
    assert len(ext) == sum(k.endswith('attn1.processor') for k in procs)
    assert not any(isinstance(p, ExtendedSelfAttnProcessor)
                   for p in editor.controlnet.attn_processors.values())
    plain = build_editor(extended_attention=False)
    assert not any(isinstance(p, ExtendedSelfAttnProcessor)
                   for p in plain.unet.attn_processors.values())


def test_shared_initial_noise():
    editor = build_editor()
    noise = editor.initial_latents(3, 64, 96,
                                   torch.Generator().manual_seed(0))
    assert noise.shape == (3, 4, 8, 12)
    assert torch.equal(noise[0], noise[1]) and torch.equal(noise[0], noise[2])
    own = build_editor(share_noise=False).initial_latents(
        3, 64, 96, torch.Generator().manual_seed(0))
    assert not torch.equal(own[0], own[1])


def test_edit_counts_and_range():
    editor = build_editor()
    structure = torch.rand(3, 1, 64, 96)
    out = run(editor, structure)
    assert out.shape == (3, 3, 64, 96)
    assert out.min() >= 0 and out.max() <= 1
    # 3 keyframes x 2 DDIM steps x 2 guidance streams
    assert editor.num_evaluations == 3 * 2 * 2
    assert torch.equal(run(editor, structure), out)  # seeded


def first_noise_prediction(editor, structure):
    """The U-Net's noise prediction at the first DDIM step ``(2F, 4, h,
    w)``: ``[uncond F | cond F]``."""
    outputs = []
    hook = editor.unet.register_forward_hook(
        lambda mod, args, out: outputs.append(out.sample))
    run(editor, structure)
    hook.remove()
    return outputs[0]


@pytest.mark.parametrize('num_keyframes', [1, 6])
def test_any_number_of_keyframes(num_keyframes):
    """1 to 6 keyframes (Table 5.3): F x steps x 2 evaluations."""
    editor = build_editor()
    out = run(editor, torch.rand(num_keyframes, 1, 64, 96))
    assert out.shape == (num_keyframes, 3, 64, 96)
    assert editor.num_evaluations == num_keyframes * 2 * 2


def test_keyframes_are_edited_jointly():
    """Same noise + same structure -> identical keyframes. With extended
    attention keyframe 0's prediction depends on keyframe 1's structure,
    without it it does not."""
    same = torch.rand(1, 1, 64, 96).expand(2, -1, -1, -1)
    out = run(build_editor(), same)
    assert torch.allclose(out[0], out[1], atol=1e-6)

    other = same.clone()
    other[1] = torch.rand(1, 64, 96)
    joint = build_editor()
    a = first_noise_prediction(joint, same)
    b = first_noise_prediction(joint, other)
    own_change = (a[3] - b[3]).abs().max()  # keyframe 1, cond stream
    assert own_change > 1e-4
    # the coupling is weak in a tiny random U-Net but far above rounding
    assert (a[2] - b[2]).abs().max() > 1e-3 * own_change  # keyframe 0
    alone = build_editor(extended_attention=False)
    a = first_noise_prediction(alone, same)
    b = first_noise_prediction(alone, other)
    assert (a[3] - b[3]).abs().max() > 1e-4
    assert (a[2] - b[2]).abs().max() < 1e-7


def test_text_prompt_from_local_folders(tmp_path):
    cfg = write_sd_folders(str(tmp_path))
    editor = MODELS.build(cfg)
    out = editor.edit(torch.rand(2, 1, 64, 96), prompt='a wolf',
                      generator=torch.Generator().manual_seed(0))
    assert out.shape == (2, 3, 64, 96)
    emb = editor.encode_prompt(['a wolf', 'a panda'])
    assert emb.shape == (2, 77, 32)
    assert not torch.allclose(emb[0], emb[1])


def test_missing_model_folder_says_what_belongs_there(tmp_path):
    cfg = write_sd_folders(str(tmp_path))
    cfg['controlnet']['from_pretrained'] = str(tmp_path / 'no_controlnet')
    with pytest.raises(MissingPretrainedError,
                       match='no_controlnet.*sd-controlnet-hed'):
        MODELS.build(cfg)
    cfg = write_sd_folders(str(tmp_path))
    cfg['unet']['subfolder'] = 'unet_missing'
    with pytest.raises(MissingPretrainedError,
                       match='unet_missing.*Stable Diffusion U-Net'):
        MODELS.build(cfg)


def test_bad_input():
    editor = build_editor()
    with pytest.raises(ValueError, match='not divisible by 8'):
        editor.edit(torch.rand(2, 1, 60, 96), prompt_embeds=embeds())
    with pytest.raises(ValueError, match='exactly one of prompt'):
        editor.edit(torch.rand(2, 1, 64, 96))
    with pytest.raises(ValueError, match='no text_encoder / tokenizer'):
        editor.edit(torch.rand(2, 1, 64, 96), prompt='a wolf')
    with pytest.raises(ValueError, match='pass negative_prompt_embeds'):
        editor.edit(torch.rand(2, 1, 64, 96), prompt_embeds=embeds())
