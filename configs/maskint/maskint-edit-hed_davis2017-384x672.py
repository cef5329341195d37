# MaskINT text-driven video editing (thesis Ch. 5): HED structure maps,
# joint keyframe editing with SD-1.5 + ControlNet-HED (DDIM 50 steps, CFG
# 7.5, shared noise, extended self-attention), MaskINT-Base interpolation
# (K = 32) on MoVQ f8 tokens (16,384 codes), 16-frame clips at 384 x 672.
#
# Every network loads from a local folder; nothing is downloaded:
#   checkpoints/stable-diffusion-v1-5/   runwayml/stable-diffusion-v1-5
#       (unet/ vae/ text_encoder/ tokenizer/ scheduler/)
#   checkpoints/sd-controlnet-hed/       lllyasviel/sd-controlnet-hed
#   checkpoints/ControlNetHED.pth        lllyasviel/Annotators
#   checkpoints/kandinsky-2-2-decoder/movq/  (kandinsky-community/...)
#   checkpoints/clip-vit-large-patch14/  openai/clip-vit-large-patch14
#   checkpoints/raft_large_C_T_SKHT_V2-ff5fadd5.pth   torchvision RAFT-large
# The stage-2 checkpoint (tools/train.py on configs/maskint/) is given on
# the command line:
#   python tools/infer.py edit THIS_CONFIG CKPT IN.mp4 \
#       --prompt "a wolf" --out-dir DIR
#   python tools/test.py THIS_CONFIG \
#       --cfg-options model.interpolator_checkpoint=CKPT   (DAVIS-2017 list)
# (tools/test.py's own CKPT argument would load into the whole pipeline;
# the stage-2 checkpoint holds the interpolator only.)
# The HED detector, the VQ tokenizer and the transformer come from the
# stage-2 training config, so the editor always matches what was trained.
_base_ = ['./maskint-base_8xb8-100e_videos-16f-384x672.py']

sd = 'checkpoints/stable-diffusion-v1-5'

model = dict(
    _delete_=True,
    type='MaskINTEditPipeline',
    chunk_len=16,
    resolution=(384, 672),
    seed=0,
    structure={{_base_.model.data_preprocessor.structure_detector}},
    keyframe_editor=dict(
        type='JointKeyframeEditor',
        num_inference_steps=50,
        guidance_scale=7.5,
        controlnet_conditioning_scale=1.0,
        extended_attention=True,
        share_noise=True,
        unet=dict(
            type='mmagic.UNet2DConditionModel',
            from_pretrained=sd,
            subfolder='unet'),
        controlnet=dict(
            type='mmagic.ControlNetModel',
            from_pretrained='checkpoints/sd-controlnet-hed'),
        vae=dict(
            type='mmagic.AutoencoderKL', from_pretrained=sd,
            subfolder='vae'),
        text_encoder=dict(from_pretrained=sd, subfolder='text_encoder'),
        tokenizer=dict(from_pretrained=sd, subfolder='tokenizer'),
        scheduler=dict(from_pretrained=sd, subfolder='scheduler')),
    tokenizer={{_base_.model.data_preprocessor.tokenizer}},
    interpolator=dict(
        type='MaskINT',
        transformer={{_base_.model.transformer}},
        test_cfg={{_base_.model.test_cfg}}))

test_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    collate_fn=dict(type='pseudo_collate'),
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VideoEditBenchmarkDataset',
        ann_file='configs/maskint/data/davis2017_edit_prompts.json',
        data_root='data/DAVIS/JPEGImages/480p',
        clip_len=16,
        frame_interval=1))
test_evaluator = [
    dict(type='CLIPVideoConsistency',
         clip='checkpoints/clip-vit-large-patch14'),
    dict(type='FlowWarpingError',
         raft_checkpoint='checkpoints/raft_large_C_T_SKHT_V2-ff5fadd5.pth',
         long_term=True),
    dict(type='EditRuntime'),
]
test_cfg = dict(type='TestLoop')
