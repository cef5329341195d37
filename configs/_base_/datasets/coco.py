# COCO's 17 keypoints (names, flip pairs, skeleton, OKS sigmas), as mmpose
# defines them: `dataset_info`.
_base_ = 'mmpose::_base_/datasets/coco.py'
