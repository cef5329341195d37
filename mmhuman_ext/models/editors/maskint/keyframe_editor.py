"""Stage 1 of MaskINT: joint, training-free editing of the keyframes.

Stable Diffusion with a ControlNet (HED edges by default, depth for the
ablation) generates every keyframe from its structure map and the prompt.
Two things make the keyframes agree with each other (thesis Sec. 5.3.2):

* all keyframes start from one shared initial latent noise;
* every self-attention layer of the SD U-Net (``attn1`` in the down, mid
  and up blocks) attends to the keys and values of all keyframes
  (:class:`~mmhuman_ext.models.editors.maskint.ExtendedSelfAttnProcessor`); the
  ControlNet branch and the text cross-attention stay as they are.

The denoising loop is our own (DDIM, classifier-free guidance) rather than
diffusers' ``StableDiffusionControlNetPipeline`` or mmagic's
``ControlStableDiffusion.infer``: both encode the prompt themselves, and the
editor must also take precomputed prompt embeddings (tests, batched
evaluation) and count network evaluations.

Networks come from local folders (the layout ``save_pretrained`` writes);
``unet`` / ``controlnet`` / ``vae`` are mmagic's registered diffusers
wrappers (``type='mmagic.UNet2DConditionModel'`` ...), or modules.
"""
import copy
from typing import Optional, Sequence, Union

import torch
from torch import Tensor, nn

from mmhuman_ext.registry import MODELS
from mmhuman_ext.utils.pretrained import require_pretrained_dir
from .extended_attention import ExtendedSelfAttnProcessor

#: what belongs in each folder, for the error raised when one is missing
FOLDER_CONTENTS = dict(
    unet='the Stable Diffusion U-Net (diffusers layout: config.json + '
    'diffusion_pytorch_model.safetensors), e.g. the unet/ folder of '
    'runwayml/stable-diffusion-v1-5',
    controlnet='a diffusers ControlNetModel (config.json + weights), e.g. '
    'lllyasviel/sd-controlnet-hed',
    vae='the Stable Diffusion autoencoder (config.json + weights), e.g. the '
    'vae/ folder of runwayml/stable-diffusion-v1-5',
    text_encoder='the CLIP text encoder (transformers config.json + '
    'weights), e.g. the text_encoder/ folder of '
    'runwayml/stable-diffusion-v1-5',
    tokenizer='the CLIP tokenizer (tokenizer_config.json, vocab.json, '
    'merges.txt), e.g. the tokenizer/ folder of '
    'runwayml/stable-diffusion-v1-5',
    scheduler='a diffusers scheduler_config.json, e.g. the scheduler/ '
    'folder of runwayml/stable-diffusion-v1-5')
_REQUIRED = dict(unet=('config.json', ), controlnet=('config.json', ),
                 vae=('config.json', ), text_encoder=('config.json', ),
                 tokenizer=('vocab.json', 'tokenizer.json'),
                 scheduler=('scheduler_config.json', ))


def _check_folder(cfg: dict, role: str) -> dict:
    """Check ``cfg['from_pretrained']`` (+ ``subfolder``) is a local folder
    and forbid hub downloads."""
    cfg = copy.deepcopy(cfg)
    path = cfg.get('from_pretrained')
    if path is not None:
        require_pretrained_dir(str(path), f'keyframe editor {role}',
                               FOLDER_CONTENTS[role], cfg.get('subfolder'),
                               _REQUIRED[role])
        cfg['local_files_only'] = True
    return cfg


def _build_network(cfg: Union[dict, nn.Module], role: str) -> nn.Module:
    """A diffusers network from an mmagic wrapper config, unwrapped."""
    if isinstance(cfg, nn.Module):
        # an mmagic wrapper holds the diffusers network as ``.model``
        return cfg.model if hasattr(type(cfg), '_module_cls') else cfg
    import mmagic.models  # noqa: F401  registers the diffusers classes
    return MODELS.build(_check_folder(cfg, role)).model


def _build_text_encoder(cfg: Union[dict, nn.Module, None]):
    if cfg is None or isinstance(cfg, nn.Module):
        return cfg
    from transformers import CLIPTextConfig, CLIPTextModel
    if 'from_pretrained' not in cfg:  # random weights from config kwargs
        return CLIPTextModel(CLIPTextConfig(**cfg))
    cfg = _check_folder(cfg, 'text_encoder')
    return CLIPTextModel.from_pretrained(cfg.pop('from_pretrained'), **cfg)


def _build_tokenizer(cfg: Optional[dict]):
    if not isinstance(cfg, dict):
        return cfg
    if cfg.get('from_pretrained') is None:  # prompts given as embeddings
        return None
    from transformers import CLIPTokenizer
    cfg = _check_folder(cfg, 'tokenizer')
    # without it the prompt length (model_max_length) is unset
    require_pretrained_dir(str(cfg['from_pretrained']),
                           'keyframe editor tokenizer',
                           FOLDER_CONTENTS['tokenizer'], cfg.get('subfolder'),
                           ('tokenizer_config.json', ))
    return CLIPTokenizer.from_pretrained(cfg.pop('from_pretrained'), **cfg)


def _build_scheduler(cfg: dict):
    from diffusers import DDIMScheduler
    if not isinstance(cfg, dict):
        return cfg
    cfg = _check_folder(cfg, 'scheduler')
    if 'from_pretrained' in cfg:
        return DDIMScheduler.from_pretrained(cfg.pop('from_pretrained'),
                                             **cfg)
    return DDIMScheduler(**cfg)


@MODELS.register_module()
class JointKeyframeEditor(nn.Module):
    """Edit ``F`` keyframes jointly with SD + ControlNet (training-free).

    Args:
        unet, controlnet, vae (dict | nn.Module): mmagic diffusers-wrapper
            configs (``from_pretrained`` a local folder, optional
            ``subfolder``; or constructor kwargs) or modules.
        scheduler (dict): ``from_pretrained`` (+ ``subfolder``) of a
            diffusers scheduler config, or ``DDIMScheduler`` kwargs. The
            sampler is always DDIM (eta 0) with the config's betas.
        text_encoder (dict | nn.Module, optional): transformers
            ``CLIPTextModel`` (``from_pretrained`` + ``subfolder``, or
            ``CLIPTextConfig`` kwargs for random weights). Needed
            for text prompts, not for precomputed embeddings.
        tokenizer (dict, optional): ``CLIPTokenizer`` (``from_pretrained`` +
            ``subfolder``; ``from_pretrained=None``: none).
        num_inference_steps (int): DDIM steps (50).
        guidance_scale (float): classifier-free guidance scale (7.5); <= 1
            switches guidance off (one network evaluation per step).
        controlnet_conditioning_scale (float): ControlNet residual scale.
        negative_prompt (str): the unconditional prompt ('' by default).
        extended_attention (bool): keyframes attend to each other.
        share_noise (bool): one initial latent for all keyframes.

    Attributes:
        num_evaluations (int): U-Net + ControlNet sample evaluations since
            the last :meth:`reset_counter` (``F x steps x 2`` per edit under
            guidance).
    """

    def __init__(self,
                 unet: Union[dict, nn.Module],
                 controlnet: Union[dict, nn.Module],
                 vae: Union[dict, nn.Module],
                 scheduler: dict,
                 text_encoder: Union[dict, nn.Module, None] = None,
                 tokenizer=None,
                 num_inference_steps: int = 50,
                 guidance_scale: float = 7.5,
                 controlnet_conditioning_scale: float = 1.0,
                 negative_prompt: str = '',
                 extended_attention: bool = True,
                 share_noise: bool = True):
        super().__init__()
        self.unet = _build_network(unet, 'unet')
        self.controlnet = _build_network(controlnet, 'controlnet')
        self.vae = _build_network(vae, 'vae')
        self.text_encoder = _build_text_encoder(text_encoder)
        self.tokenizer = _build_tokenizer(tokenizer)
        self.scheduler = _build_scheduler(scheduler)
        for module in (self.unet, self.controlnet, self.vae,
                       self.text_encoder):
            if module is not None:
                module.eval().requires_grad_(False)
        self.num_inference_steps = num_inference_steps
        self.guidance_scale = guidance_scale
        self.controlnet_conditioning_scale = controlnet_conditioning_scale
        self.negative_prompt = negative_prompt
        self.share_noise = share_noise
        self.extended_attention = extended_attention
        self.attn_processor = ExtendedSelfAttnProcessor()
        if extended_attention:
            self.unet.set_attn_processor({
                name: (self.attn_processor
                       if name.endswith('attn1.processor') else proc)
                for name, proc in self.unet.attn_processors.items()
            })
        self.vae_scale = 2**(len(self.vae.config.block_out_channels) - 1)
        self.num_evaluations = 0

    def train(self, mode: bool = True) -> 'JointKeyframeEditor':
        """Always in eval mode (training-free)."""
        return super().train(False)

    def reset_counter(self) -> None:
        self.num_evaluations = 0

    @property
    def guided(self) -> bool:
        return self.guidance_scale > 1

    @torch.no_grad()
    def encode_prompt(self, prompts: Sequence[str]) -> Tensor:
        """Prompts -> CLIP text embeddings ``(P, 77, D)``."""
        if self.text_encoder is None or self.tokenizer is None:
            raise ValueError(
                'JointKeyframeEditor has no text_encoder / tokenizer: give '
                'them in the config (local folders) or pass prompt_embeds')
        ids = self.tokenizer(
            list(prompts), padding='max_length', truncation=True,
            max_length=self.tokenizer.model_max_length,
            return_tensors='pt').input_ids
        device = next(self.text_encoder.parameters()).device
        return self.text_encoder(ids.to(device))[0]

    def initial_latents(self, num_frames: int, height: int, width: int,
                        generator: Optional[torch.Generator] = None
                        ) -> Tensor:
        """Initial noise ``(F, C, H/f, W/f)``; with ``share_noise`` every
        keyframe gets the same draw."""
        param = next(self.unet.parameters())
        shape = (1 if self.share_noise else num_frames,
                 self.unet.config.in_channels, height // self.vae_scale,
                 width // self.vae_scale)
        noise = torch.randn(shape, generator=generator, dtype=torch.float32,
                            device=generator.device if generator is not None
                            else 'cpu')
        noise = noise.to(param.device, param.dtype)
        return noise.expand(num_frames, -1, -1, -1).contiguous() * \
            self.scheduler.init_noise_sigma

    @torch.no_grad()
    def edit(self,
             structure: Tensor,
             prompt: Optional[str] = None,
             prompt_embeds: Optional[Tensor] = None,
             negative_prompt_embeds: Optional[Tensor] = None,
             generator: Optional[torch.Generator] = None) -> Tensor:
        """Generate the edited keyframes.

        Args:
            structure (Tensor): ``(F, 1, H, W)`` structure maps in [0, 1];
                ``H`` and ``W`` multiples of the VAE factor (8 for SD).
            prompt (str, optional): the edit prompt.
            prompt_embeds (Tensor, optional): ``(1, L, D)`` instead of
                ``prompt``; ``negative_prompt_embeds`` likewise for the
                unconditional stream (default: the encoded
                ``negative_prompt``).
            generator (torch.Generator, optional): seeds the initial noise.

        Returns:
            Tensor: edited keyframes ``(F, 3, H, W)`` RGB in [0, 1].
        """
        if structure.dim() != 4 or structure.shape[1] != 1:
            raise ValueError('structure maps must be (F, 1, H, W), got '
                             f'{tuple(structure.shape)}')
        frames, _, height, width = structure.shape
        if height % self.vae_scale or width % self.vae_scale:
            raise ValueError(
                f'frame size {height}x{width} is not divisible by '
                f'{self.vae_scale}, the VAE downsampling factor; resize the '
                'video (e.g. to 384x672)')
        if (prompt is None) == (prompt_embeds is None):
            raise ValueError('give exactly one of prompt and prompt_embeds')
        param = next(self.unet.parameters())
        if prompt_embeds is None:
            prompt_embeds = self.encode_prompt([prompt])
        cond = prompt_embeds.to(param).expand(frames, -1, -1)
        if self.guided:
            if negative_prompt_embeds is None:
                if self.tokenizer is None:
                    raise ValueError(
                        'JointKeyframeEditor has no tokenizer for the '
                        'negative prompt: pass negative_prompt_embeds with '
                        'prompt_embeds, or set tokenizer in the config')
                negative_prompt_embeds = self.encode_prompt(
                    [self.negative_prompt])
            uncond = negative_prompt_embeds.to(param).expand(frames, -1, -1)
            cond = torch.cat([uncond, cond])
        control = structure.to(param).expand(-1, 3, -1, -1)
        if self.guided:
            control = torch.cat([control, control])
        self.attn_processor.num_frames = frames

        self.scheduler.set_timesteps(self.num_inference_steps,
                                     device=param.device)
        latents = self.initial_latents(frames, height, width, generator)
        for t in self.scheduler.timesteps:
            model_in = torch.cat([latents, latents]) if self.guided \
                else latents
            model_in = self.scheduler.scale_model_input(model_in, t)
            down, mid = self.controlnet(
                model_in, t, encoder_hidden_states=cond,
                controlnet_cond=control,
                conditioning_scale=self.controlnet_conditioning_scale,
                return_dict=False)
            noise = self.unet(model_in, t, encoder_hidden_states=cond,
                              down_block_additional_residuals=down,
                              mid_block_additional_residual=mid).sample
            self.num_evaluations += model_in.shape[0]
            if self.guided:
                uncond_noise, cond_noise = noise.chunk(2)
                noise = uncond_noise + self.guidance_scale * (
                    cond_noise - uncond_noise)
            latents = self.scheduler.step(noise, t, latents).prev_sample
        images = self.vae.decode(
            latents / self.vae.config.scaling_factor).sample
        return ((images.float() + 1) / 2).clamp(0, 1)
