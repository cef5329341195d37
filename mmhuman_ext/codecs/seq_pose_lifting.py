"""Codec for sequence-to-(centre frame + all frames) lifting (P-STMO)."""
from typing import Optional

import numpy as np
from mmpose.codecs import VideoPoseLifting

from mmhuman_ext.registry import KEYPOINT_CODECS


@KEYPOINT_CODECS.register_module()
class SeqPoseLifting(VideoPoseLifting):
    """mmpose's ``VideoPoseLifting`` plus root-relative targets for every
    input frame.

    Inputs are normalised as in ``VideoPoseLifting``:
    ``(x - [w/2, h/2]) / (w/2)`` with the camera's ``w``/``h``; keypoints keep
    the ``(N, J, 2)`` layout (``reshape_keypoints=False``). In addition to
    the centre-frame target ``lifting_target_label`` (1, J, 3), the encoded
    dict holds ``lifting_target_label_seq`` (1, N, J, 3): ``keypoints_3d``
    (N, J, 3) of the window's frames made root-relative per frame (root
    joint exactly 0). The leading 1 keeps all labels of a sample the same
    length inside ``PackPoseInputs``' ``InstanceData``.

    Args:
        num_keypoints (int): J.
        root_index (int): Root joint (0 for Human3.6M, 14 for 3DHP).
        **kwargs: Other ``VideoPoseLifting`` arguments.
    """

    auxiliary_encode_keys = VideoPoseLifting.auxiliary_encode_keys | {
        'keypoints_3d'
    }
    label_mapping_table = dict(
        VideoPoseLifting.label_mapping_table,
        lifting_target_label_seq='lifting_target_label_seq')

    def __init__(self,
                 num_keypoints: int,
                 root_index: int = 0,
                 reshape_keypoints: bool = False,
                 **kwargs):
        super().__init__(
            num_keypoints,
            root_index=root_index,
            reshape_keypoints=reshape_keypoints,
            **kwargs)

    def encode(self,
               keypoints: np.ndarray,
               keypoints_visible: Optional[np.ndarray] = None,
               lifting_target: Optional[np.ndarray] = None,
               lifting_target_visible: Optional[np.ndarray] = None,
               camera_param: Optional[dict] = None,
               keypoints_3d: Optional[np.ndarray] = None) -> dict:
        """Encode one window.

        Args:
            keypoints (np.ndarray): (N, J, 2) pixel coordinates.
            keypoints_visible (np.ndarray, optional): (N, J).
            lifting_target (np.ndarray, optional): (1, J, 3) centre frame.
            lifting_target_visible (np.ndarray, optional): (1, J).
            camera_param (dict, optional): Needs ``w`` and ``h``.
            keypoints_3d (np.ndarray, optional): (N, J, 3) camera-frame 3D
                of all window frames.

        Returns:
            dict: ``VideoPoseLifting``'s items, plus
            ``lifting_target_label_seq`` (1, N, J, 3) when ``keypoints_3d``
            is given.
        """
        encoded = super().encode(keypoints, keypoints_visible, lifting_target,
                                 lifting_target_visible, camera_param)
        if keypoints_3d is not None:
            root = keypoints_3d[:, self.root_index].mean(axis=1, keepdims=True)
            seq = (keypoints_3d - root).astype(np.float32)
            encoded['lifting_target_label_seq'] = seq[None]
        encoded['lifting_target_label'] = encoded[
            'lifting_target_label'].astype(np.float32)
        return encoded
