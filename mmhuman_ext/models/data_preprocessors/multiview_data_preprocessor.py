"""Batching and normalisation of multi-view image groups."""
from typing import Optional, Sequence

import torch
from mmengine.model import BaseDataPreprocessor

from mmhuman_ext.registry import MODELS


@MODELS.register_module()
class MultiViewPoseDataPreprocessor(BaseDataPreprocessor):
    """Stack per-sample ``(V, 3, H, W)`` images into ``(B, V, 3, H, W)``
    float, optionally BGR -> RGB, then ``(x - mean) / std``; move the data
    samples to the device.

    Args:
        mean (Sequence[float], optional): Per channel, after the colour swap.
        std (Sequence[float], optional): Per channel.
        bgr_to_rgb (bool): Swap the channel order. Defaults to False.

    Raises a ``ValueError`` naming the samples when their view counts or
    image sizes differ.
    """

    def __init__(self,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 bgr_to_rgb: bool = False,
                 non_blocking: bool = False):
        super().__init__(non_blocking)
        self.bgr_to_rgb = bgr_to_rgb
        self.normalize = mean is not None
        if self.normalize:
            self.register_buffer(
                'mean', torch.tensor(mean).view(1, 1, -1, 1, 1), False)
            self.register_buffer(
                'std', torch.tensor(std).view(1, 1, -1, 1, 1), False)

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs, samples = data['inputs'], data.get('data_samples')
        if isinstance(inputs, (list, tuple)):
            shapes = [tuple(x.shape) for x in inputs]
            if len(set(shapes)) > 1:
                names = [ds.metainfo.get('sample_key', i)
                         for i, ds in enumerate(samples)] if samples \
                    else list(range(len(shapes)))
                raise ValueError(
                    'a batch needs equal view counts and image sizes; got '
                    'inputs (V, 3, H, W) = ' + ', '.join(
                        f'{n}: {s}' for n, s in zip(names, shapes)))
            inputs = torch.stack(inputs)
        x = inputs.float()
        if self.bgr_to_rgb:
            x = x.flip(2)
        if self.normalize:
            x = (x - self.mean) / self.std
        return dict(inputs=x, data_samples=samples)
