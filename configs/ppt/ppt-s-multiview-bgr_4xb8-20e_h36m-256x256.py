# Multi-view PPT (Tables 3.5 / 3.6) fed BGR images: the configuration for
# testing a checkpoint converted from the multi-view-PPT code of HowieMa/PPT
# (tools/model_converters/ppt_official.py). Its data loader reads images
# with cv2.imread and never converts them, so the official model was
# trained on BGR input normalised with the ImageNet RGB statistics in that
# channel order; mmpose's LoadImage also gives BGR, so here the
# preprocessor keeps the order. Train with
# ppt-s-multiview_4xb8-20e_h36m-256x256.py (RGB, the usual convention).
_base_ = ['./ppt-s-multiview_4xb8-20e_h36m-256x256.py']

model = dict(data_preprocessor=dict(bgr_to_rgb=False))
