# Demo: a narrow MaskINT transformer (same architecture: colour + structure
# embeddings, 2D position table, conv 2x down / up, spatial and 2x3
# spatio-temporal window layers alternating) trained by masked token
# modelling on the built-in synthetic videos (textured shapes moving over a
# panned wall with props, Canny edge maps), 8-frame clips at 64 x 96 (8 x 12
# tokens; the architecture takes any clip length, the demo halves the
# paper's 16 to fit a shared CPU), on a CPU in about half an hour. The
# tokenizer is a pixel-space patch VQ (1024 codes of 8x8 RGB patches) fitted
# by k-means on the training frames and edge maps: a random-weight VQModel
# cannot reconstruct frames, and no pretrained VQ is available offline
# (docs/maskint.md, "Demo"). 512 training videos, one clip per video per
# epoch as in the paper, each clip played backwards with probability 0.5
# (reverse_prob): with 64 videos the model memorised them and stayed below
# the keyframe baselines (docs/maskint.md, "Demo").
#
#   python tools/dataset_converters/maskint_precompute_tokens.py \
#       configs/demo/maskint-tiny_1xb8-200e_synthvideos512-8f-64x96.py \
#       --synthetic --fit-patch-codebook
#   python tools/train.py \
#       configs/demo/maskint-tiny_1xb8-200e_synthvideos512-8f-64x96.py
#
# Validation interpolates the held-out videos from their original first and
# last frames and compares with linear blending, nearest-keyframe copying
# and the VQ reconstruction (upper bound). The LPIPS AlexNet backbone is
# random here (no ImageNet weights offline).
_base_ = ['../maskint/maskint-base_8xb8-100e_videos-16f-384x672.py']

import os  # noqa: E402
import os.path as osp  # noqa: E402

# generated data live in $MMHUMAN_EXT_DATA/synthetic/ (default
# ~/.cache/mmhuman_ext/synthetic/), never in the working directory
data_root = osp.join(
    os.environ.get('MMHUMAN_EXT_DATA')
    or osp.join(osp.expanduser('~'), '.cache', 'mmhuman_ext'),
    'synthetic', 'maskint_demo_videos512', '')
token_root = data_root + 'tokens_patchvq1024/'
frame_size = (64, 96)
clip_len = 8
codebook_size = 1024
max_epochs = 200  # of 64 iterations
synthetic_cfg = dict(num_train=512, num_val=8, num_frames=48,
                     frame_size=frame_size, seed=0)
codebook_cfg = dict(num_codes=codebook_size, iters=15, seed=0)

model = dict(
    data_preprocessor=dict(
        tokenizer=dict(
            _delete_=True,
            type='PatchVQTokenizer',
            codebook=data_root + 'patchvq1024.npz'),
        structure_detector=dict(_delete_=True, type='CannyEdgeDetector')),
    transformer=dict(
        codebook_size=codebook_size,
        embed_dims=64,
        num_layers=4,
        num_heads=4,
        token_hw=(frame_size[0] // 8, frame_size[1] // 8),
        window_size=(2, 3),
        layer_pattern=('spatial', 'spatiotemporal') * 2,
        drop_rate=0.0),
    # the most likely token instead of a sample (reveal order unchanged): the
    # demo is scored by PSNR / SSIM against the source frames (docs/maskint.md)
    test_cfg=dict(token_choice='argmax'))

train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='VideoTokenClipDataset',
        data_root=token_root,
        ann_file='train.json',
        clip_len=clip_len,
        frame_intervals=(1, 2, 4),
        pipeline=[
            dict(type='SampleClipIndices', reverse_prob=0.5),
            dict(type='LoadTokenClip'),
            dict(type='PackMaskINTInputs')
        ]))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    dataset=dict(
        data_root=data_root,
        clip_len=clip_len,
        frame_intervals=(4, ),
        clips_per_video=2,
        pipeline=[
            dict(type='SampleClipIndices'),
            dict(type='LoadVideoFrames', with_structure=True),
            dict(type='ResizeVideo', scale=frame_size),
            dict(type='PackMaskINTInputs')
        ]))
test_dataloader = val_dataloader
val_evaluator = dict(lpips_backbone=None)
test_evaluator = val_evaluator

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    clip_grad=dict(max_norm=1.0),
    optimizer=dict(
        type='AdamW', lr=1e-3, betas=(0.9, 0.96), weight_decay=0.045))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs,
         convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=25)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=25, save_best=None))
auto_scale_lr = dict(enable=False, base_batch_size=8)
randomness = dict(seed=0)
