# The networks of maskint-edit-hed_davis2017-384x672.py at their real widths
# with random weights, built from constructor kwargs (no files): SD-1.5's
# U-Net, ControlNet, VAE and CLIP ViT-L/14 text encoder (the values of their
# diffusers / transformers config.json files), the full-size HED-Apache2,
# an f8 VQModel of MoVQ's layout with 16,384 codes and the MaskINT-Base
# transformer. For cost figures only (FLOPs, CPU timing:
# tools/analysis/maskint_edit_cost.py); the edits are noise.
_base_ = ['./maskint-edit-hed_davis2017-384x672.py']

sd_blocks = (320, 640, 1280, 1280)
model = dict(
    structure=dict(_delete_=True, type='HEDEdgeDetector'),
    keyframe_editor=dict(
        unet=dict(
            _delete_=True,
            type='mmagic.UNet2DConditionModel',
            sample_size=64,
            in_channels=4,
            out_channels=4,
            layers_per_block=2,
            block_out_channels=sd_blocks,
            down_block_types=('CrossAttnDownBlock2D', ) * 3 +
            ('DownBlock2D', ),
            up_block_types=('UpBlock2D', ) + ('CrossAttnUpBlock2D', ) * 3,
            cross_attention_dim=768,
            attention_head_dim=8),
        controlnet=dict(
            _delete_=True,
            type='mmagic.ControlNetModel',
            in_channels=4,
            layers_per_block=2,
            block_out_channels=sd_blocks,
            down_block_types=('CrossAttnDownBlock2D', ) * 3 +
            ('DownBlock2D', ),
            cross_attention_dim=768,
            attention_head_dim=8,
            conditioning_embedding_out_channels=(16, 32, 96, 256)),
        vae=dict(
            _delete_=True,
            type='mmagic.AutoencoderKL',
            in_channels=3,
            out_channels=3,
            latent_channels=4,
            block_out_channels=(128, 256, 512, 512),
            down_block_types=('DownEncoderBlock2D', ) * 4,
            up_block_types=('UpDecoderBlock2D', ) * 4,
            layers_per_block=2,
            sample_size=512),
        text_encoder=dict(
            _delete_=True,
            vocab_size=49408,
            hidden_size=768,
            intermediate_size=3072,
            num_hidden_layers=12,
            num_attention_heads=12,
            max_position_embeddings=77,
            hidden_act='quick_gelu'),
        tokenizer=dict(_delete_=True, from_pretrained=None),
        scheduler=dict(
            _delete_=True,
            num_train_timesteps=1000,
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule='scaled_linear',
            clip_sample=False,
            set_alpha_to_one=False,
            steps_offset=1)),
    tokenizer=dict(
        _delete_=True,
        type='VQGANTokenizer',
        vq=dict(
            in_channels=3,
            out_channels=3,
            down_block_types=('DownEncoderBlock2D', ) * 3 +
            ('AttnDownEncoderBlock2D', ),
            up_block_types=('AttnUpDecoderBlock2D', ) +
            ('UpDecoderBlock2D', ) * 3,
            block_out_channels=(128, 256, 256, 512),
            layers_per_block=2,
            latent_channels=4,
            num_vq_embeddings=16384,
            vq_embed_dim=4,
            norm_type='spatial')))
