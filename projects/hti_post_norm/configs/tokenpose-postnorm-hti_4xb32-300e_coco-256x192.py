# PPT's Human Token Identification inside a different transformer: the
# TokenPose-S tokens and heatmap head over a DETR / TransPose-style encoder
# (post-norm layers, position table added to queries and keys of every
# layer instead of the residual stream, ReLU FFN of width 4D, biased
# projections, dropout 0.1). Only `layer_cfg` changes: HTI prunes in layers
# 3, 6, 9 with the keypoint rows of each post-norm layer's attention, and the
# keep-ratio schedule hook finds it as in PPT. Not a paper setting.
_base_ = ['../../../configs/ppt/ppt-s_4xb32-300e_coco-256x192.py']

model = dict(
    head=dict(
        layer_cfg=dict(
            type='PostNormTransformerLayer',
            embed_dims=192,
            num_heads=8,
            feedforward_channels=768,
            dropout=0.1)))
