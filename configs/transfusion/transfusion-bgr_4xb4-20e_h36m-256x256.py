# TransFusion (Table 2.1) fed BGR images: the configuration for testing a
# checkpoint converted from HowieMa/TransFusion-Pose
# (tools/model_converters/transfusion_official.py --mode transfusion).
# The official data loader reads images with cv2.imread and never converts
# them, so the official models were trained on BGR input normalised with
# the ImageNet RGB statistics in that channel order; mmpose's LoadImage
# also gives BGR, so here the preprocessor keeps the order. Train with
# transfusion_4xb4-20e_h36m-256x256.py (RGB, the usual convention).
_base_ = ['./transfusion_4xb4-20e_h36m-256x256.py']

model = dict(data_preprocessor=dict(bgr_to_rgb=False))
