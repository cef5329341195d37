"""Tiny random-weight MaskINT edit networks for tests (no files needed):
the demo config's pipeline, a CLIP tokenizer folder, and a Stable Diffusion
folder in the layout of ``save_pretrained``."""
import copy
import json
import os
import os.path as osp

from mmengine import Config

ROOT = osp.join(osp.dirname(__file__), '..', '..', '..', '..')
CONFIG = osp.join(ROOT, 'configs', 'demo',
                  'maskint-edit-tiny_random-64x96.py')


def tiny_pipeline_cfg(num_inference_steps: int = 2, num_steps: int = 4,
                      tokenizer_dir=None) -> dict:
    """The demo pipeline config with few steps (a plain dict)."""
    cfg = copy.deepcopy(Config.fromfile(CONFIG).model.to_dict())
    cfg['keyframe_editor']['num_inference_steps'] = num_inference_steps
    cfg['interpolator']['test_cfg']['num_steps'] = num_steps
    if tokenizer_dir is not None:
        cfg['keyframe_editor']['tokenizer'] = dict(
            from_pretrained=tokenizer_dir)
    return cfg


def write_clip_tokenizer(folder: str) -> str:
    """A byte-level CLIP tokenizer without merges (every character a
    token), saved with ``save_pretrained``."""
    from transformers import CLIPTokenizer
    from transformers.models.clip.tokenization_clip import bytes_to_unicode
    os.makedirs(folder, exist_ok=True)
    chars = list(bytes_to_unicode().values())
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + '</w>': i + len(chars) for i, c in enumerate(chars)})
    vocab['<|startoftext|>'] = len(vocab)
    vocab['<|endoftext|>'] = len(vocab)
    vocab_file, merges_file = osp.join(folder, 'v.json'), osp.join(
        folder, 'm.txt')
    with open(vocab_file, 'w') as f:
        json.dump(vocab, f)
    with open(merges_file, 'w') as f:
        f.write('#version: 0.2\n')
    CLIPTokenizer(vocab_file, merges_file,
                  model_max_length=77).save_pretrained(folder)
    return folder


def write_sd_folders(root: str) -> dict:
    """Save the demo config's SD networks as ``root/sd/{unet,vae,
    text_encoder,tokenizer,scheduler}`` and ``root/controlnet``; returns the
    editor config loading them ``from_pretrained``."""
    from diffusers import (AutoencoderKL, ControlNetModel, DDIMScheduler,
                           UNet2DConditionModel)
    from transformers import CLIPTextConfig, CLIPTextModel
    ed = tiny_pipeline_cfg()['keyframe_editor']
    sd = osp.join(root, 'sd')

    def kwargs(cfg):
        return {k: v for k, v in cfg.items() if k != 'type'}

    UNet2DConditionModel(**kwargs(ed['unet'])).save_pretrained(
        osp.join(sd, 'unet'))
    AutoencoderKL(**kwargs(ed['vae'])).save_pretrained(osp.join(sd, 'vae'))
    CLIPTextModel(CLIPTextConfig(**ed['text_encoder'])).save_pretrained(
        osp.join(sd, 'text_encoder'))
    DDIMScheduler(**ed['scheduler']).save_pretrained(
        osp.join(sd, 'scheduler'))
    write_clip_tokenizer(osp.join(sd, 'tokenizer'))
    ControlNetModel(**kwargs(ed['controlnet'])).save_pretrained(
        osp.join(root, 'controlnet'))
    return dict(
        type='JointKeyframeEditor', num_inference_steps=2,
        unet=dict(type='mmagic.UNet2DConditionModel', from_pretrained=sd,
                  subfolder='unet'),
        controlnet=dict(type='mmagic.ControlNetModel',
                        from_pretrained=osp.join(root, 'controlnet')),
        vae=dict(type='mmagic.AutoencoderKL', from_pretrained=sd,
                 subfolder='vae'),
        text_encoder=dict(from_pretrained=sd, subfolder='text_encoder'),
        tokenizer=dict(from_pretrained=sd, subfolder='tokenizer'),
        scheduler=dict(from_pretrained=sd, subfolder='scheduler'))


def randomize_zero_convs(controlnet, seed: int = 0) -> None:
    """ControlNet's output convs start at zero (no effect on the U-Net);
    give them random weights so that the condition matters in tests."""
    import torch
    g = torch.Generator().manual_seed(seed)
    convs = list(controlnet.controlnet_down_blocks) + [
        controlnet.controlnet_mid_block,
        controlnet.controlnet_cond_embedding.conv_out
    ]
    with torch.no_grad():
        for conv in convs:
            conv.weight.copy_(
                torch.randn(conv.weight.shape, generator=g))
