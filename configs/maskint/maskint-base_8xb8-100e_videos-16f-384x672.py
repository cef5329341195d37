# MaskINT stage 2 (thesis Ch. 5, Eq. 5.5): the Base interpolation transformer
# (12 window layers, width 768, 12 heads, MLP 3072; spatial and 6x6
# spatio-temporal windows alternating) trained by masked token modelling on
# unlabeled 16-frame clips at 384 x 672 (48 x 84 tokens), frame interval
# from {1, 2, 4}, keyframes (first, last) never masked, cosine mask ratio.
# Recipe: AdamW lr 1e-4 betas (0.9, 0.96) wd 0.045, 5k-iteration linear
# warm-up, cosine decay over 100 epochs, grad clip 1.0, bf16 AMP; 8 GPUs x 8
# clips (global batch 64). Values the paper leaves open follow MaskGIT's
# config (docs/maskint.md).
#
# Data: any folder of videos (the paper's 100k ShutterStock clips are
# private), described by train.json / val.json (docs/maskint.md, "Data").
# Training reads the offline token cache; write it once with
#   python tools/dataset_converters/maskint_precompute_tokens.py THIS_CONFIG
# Validation tokenises frames online (HED -> MoVQ) and reports PSNR / SSIM /
# LPIPS of the interpolation from the original keyframes (Table 5.2).
# Local weights (nothing downloads):
#   checkpoints/kandinsky-2-2-decoder/movq/  MoVQ f8, 16,384 codes
#       (kandinsky-community/kandinsky-2-2-decoder)
#   checkpoints/ControlNetHED.pth            lllyasviel/Annotators
#   checkpoints/alexnet-owt-7be5be79.pth     torchvision AlexNet (LPIPS)
_base_ = ['../_base_/default_runtime.py']

data_root = 'data/videos/'
token_root = 'data/videos/tokens/'
frame_size = (384, 672)
clip_len = 16
codebook_size = 16384

model = dict(
    type='MaskINT',
    data_preprocessor=dict(
        type='MaskINTDataPreprocessor',
        tokenizer=dict(
            type='VQGANTokenizer',
            vq=dict(
                from_pretrained='checkpoints/kandinsky-2-2-decoder',
                subfolder='movq')),
        structure_detector=dict(
            type='HEDEdgeDetector',
            checkpoint='checkpoints/ControlNetHED.pth')),
    transformer=dict(
        type='MaskINTTransformer',
        codebook_size=codebook_size,
        embed_dims=768,
        num_layers=12,
        num_heads=12,
        mlp_ratio=4.0,
        token_hw=(frame_size[0] // 8, frame_size[1] // 8),
        down_factor=2,
        window_size=(6, 6),
        layer_pattern=('spatial', 'spatiotemporal') * 6,
        temporal_pos_embed=False,
        drop_rate=0.1),
    train_cfg=dict(
        mask_schedule='cosine',
        given_frames='first_last',
        min_mask_ratio=0.0,
        label_smoothing=0.0),
    test_cfg=dict(
        num_steps=32,
        choice_temperature=4.5,
        token_choice='sample',  # MaskGIT: tokens drawn from the softmax
        mask_schedule='cosine',
        given_frames='first_last',
        seed=0))

train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='VideoTokenClipDataset',
        data_root=token_root,
        ann_file='train.json',
        clip_len=clip_len,
        frame_intervals=(1, 2, 4),
        pipeline=[
            dict(type='SampleClipIndices'),
            dict(type='LoadTokenClip'),
            dict(type='PackMaskINTInputs')
        ]))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VideoFramesClipDataset',
        data_root=data_root,
        ann_file='val.json',
        clip_len=clip_len,
        frame_intervals=(1, ),
        test_mode=True,
        pipeline=[
            dict(type='SampleClipIndices'),
            dict(type='LoadVideoFrames', with_structure=True),
            dict(type='ResizeVideo', scale=frame_size),
            dict(type='PackMaskINTInputs')
        ]))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='FrameInterpolationMetric',
    frames='intermediate',
    lpips_backbone='checkpoints/alexnet-owt-7be5be79.pth')
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='AmpOptimWrapper',
    dtype='bfloat16',
    clip_grad=dict(max_norm=1.0),
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.96), weight_decay=0.045))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=5000),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=100,
         convert_to_iter_based=True)
]
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=5)
default_hooks = dict(
    checkpoint=dict(
        interval=5, save_best='interp/psnr', rule='greater'))
# the global batch of 64 that the learning rate is set for
auto_scale_lr = dict(base_batch_size=64)
