# MaskINT edit pipeline with tiny random-weight networks of the real
# architectures (SD U-Net + ControlNet + VAE + CLIP text encoder through
# diffusers / transformers, a diffusers VQModel f8, a MaskINT transformer),
# built from constructor kwargs: no files needed. For tests and the speed
# benchmark (tools/analysis/maskint_edit_benchmark.py); its edits are noise.
# Text prompts need a CLIP tokenizer folder:
#   --cfg-options model.keyframe_editor.tokenizer.from_pretrained=DIR
default_scope = 'mmhuman_ext'

blocks = ('CrossAttnDownBlock2D', 'DownBlock2D')
model = dict(
    type='MaskINTEditPipeline',
    chunk_len=16,
    resolution=(64, 96),
    seed=0,
    structure=dict(type='HEDEdgeDetector'),
    keyframe_editor=dict(
        type='JointKeyframeEditor',
        num_inference_steps=50,
        guidance_scale=7.5,
        controlnet_conditioning_scale=1.0,
        extended_attention=True,
        share_noise=True,
        unet=dict(
            type='mmagic.UNet2DConditionModel',
            sample_size=8,
            in_channels=4,
            out_channels=4,
            layers_per_block=1,
            block_out_channels=(32, 64),
            down_block_types=blocks,
            up_block_types=('UpBlock2D', 'CrossAttnUpBlock2D'),
            cross_attention_dim=32,
            attention_head_dim=8,
            norm_num_groups=8),
        controlnet=dict(
            type='mmagic.ControlNetModel',
            in_channels=4,
            layers_per_block=1,
            block_out_channels=(32, 64),
            down_block_types=blocks,
            cross_attention_dim=32,
            attention_head_dim=8,
            norm_num_groups=8,
            conditioning_embedding_out_channels=(8, 8, 8, 8)),
        vae=dict(
            type='mmagic.AutoencoderKL',
            in_channels=3,
            out_channels=3,
            latent_channels=4,
            block_out_channels=(8, 8, 8, 8),
            down_block_types=('DownEncoderBlock2D', ) * 4,
            up_block_types=('UpDecoderBlock2D', ) * 4,
            norm_num_groups=4,
            layers_per_block=1),
        text_encoder=dict(
            vocab_size=49408,
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=77),
        tokenizer=dict(from_pretrained=None),
        scheduler=dict(
            num_train_timesteps=1000,
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule='scaled_linear',
            clip_sample=False,
            set_alpha_to_one=False,
            steps_offset=1)),
    tokenizer=dict(
        type='VQGANTokenizer',
        vq=dict(
            in_channels=3,
            out_channels=3,
            down_block_types=('DownEncoderBlock2D', ) * 4,
            up_block_types=('UpDecoderBlock2D', ) * 4,
            block_out_channels=(16, 16, 32, 32),
            layers_per_block=1,
            latent_channels=4,
            num_vq_embeddings=64,
            vq_embed_dim=4,
            norm_num_groups=8)),
    interpolator=dict(
        type='MaskINT',
        transformer=dict(
            type='MaskINTTransformer',
            codebook_size=64,
            embed_dims=32,
            num_layers=2,
            num_heads=2,
            token_hw=(8, 12),
            down_factor=2,
            window_size=(2, 2),
            drop_rate=0.),
        test_cfg=dict(num_steps=32, choice_temperature=4.5)))
