# MaskINT edit on a CPU with the trained demo interpolator: the stage-2
# network, patch VQ (1,024 codes) and Canny structure maps of
# maskint-tiny_1xb8-200e_synthvideos512-8f-64x96.py, and a known edit in
# place of stage 1: HueShiftKeyframeEditor rotates the keyframes' hue by
# 120 degrees (the stand-in for Stable Diffusion + ControlNet, whose weights
# are not available offline). Stage 2 then propagates the recoloured
# keyframes to the frames between them; the same hue shift applied to every
# frame is the ground truth (docs/maskint.md, "Demo edit").
#
#   python tools/dataset_converters/maskint_precompute_tokens.py \
#       configs/demo/maskint-tiny_1xb8-200e_synthvideos512-8f-64x96.py \
#       --synthetic --fit-patch-codebook
#   python tools/train.py \
#       configs/demo/maskint-tiny_1xb8-200e_synthvideos512-8f-64x96.py
#   python tools/infer.py edit THIS_CONFIG \
#       work_dirs/maskint-tiny_1xb8-200e_synthvideos512-8f-64x96/\
#   epoch_200.pth IN.mp4 --prompt "hue +120" --out-dir DIR
#
# Frames are edited at about 64 x 96 pixels (the demo's training size),
# keeping the aspect ratio; keyframes every 7 frames (the demo's 8-frame
# clips).
_base_ = ['./maskint-tiny_1xb8-200e_synthvideos512-8f-64x96.py']

default_scope = 'mmhuman_ext'
model = dict(
    _delete_=True,
    type='MaskINTEditPipeline',
    chunk_len={{_base_.clip_len}},
    resolution={{_base_.frame_size}},
    seed=0,
    structure={{_base_.model.data_preprocessor.structure_detector}},
    keyframe_editor=dict(type='HueShiftKeyframeEditor', degrees=120.),
    tokenizer={{_base_.model.data_preprocessor.tokenizer}},
    interpolator=dict(
        type='MaskINT',
        transformer={{_base_.model.transformer}},
        test_cfg={{_base_.model.test_cfg}}))
