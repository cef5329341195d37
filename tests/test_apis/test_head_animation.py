import os.path as osp
import sys

import numpy as np
import pytest
import torch

from mmhuman_ext.apis import HeadAnimator
from mmhuman_ext.datasets.transforms.reenact_transforms import \
    LoadReenactPair
from mmhuman_ext.registry import MODELS

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', 'test_models',
                            'test_editors', 'test_cvthead'))
from test_cvthead import tiny_cfg  # noqa: E402



def test_animate_source_with_codes(cvthead_small_data):
    root = cvthead_small_data
    torch.manual_seed(0)
    anim = HeadAnimator(MODELS.build(tiny_cfg(root)))
    import json
    video = sorted(json.load(open(osp.join(root, 'test_imgs.json'))))[0]
    res = LoadReenactPair()(dict(
        video=video, src_frame=0, drv_video=video, drv_frame=1,
        dirs=dict(frames=osp.join(root, 'frames'),
                  parsing=osp.join(root, 'parsing'),
                  codes=osp.join(root, 'deca'),
                  landmarks=osp.join(root, 'landmarks'))))
    with pytest.raises(RuntimeError, match='set_source'):
        anim.render()
    anim.set_source(torch.from_numpy(res['src_img']),
                    torch.from_numpy(res['src_mask']), res['src_codes'])
    same = anim.render()
    assert same['image'].shape == (64, 64, 3)
    assert same['image'].dtype == np.uint8
    # driving with the source's own codes equals the plain render; another
    # frame's expression and pose change the picture
    again = anim.render(exp=res['src_codes']['exp'])
    assert np.array_equal(same['image'], again['image'])
    moved = anim.render(exp=res['drv_codes']['exp'],
                        pose=res['drv_codes']['pose'])
    assert not np.array_equal(same['image'], moved['image'])
    frames = anim.sweep('jaw')
    assert len(frames) == 10 and not np.array_equal(frames[0], frames[-1])
    assert len(anim.sweep('yaw')) == 12  # -6pi/24 .. 5pi/24 in pi/24 steps
    with pytest.raises(ValueError, match=r'exp code has shape \(10,\)'):
        anim.render(exp=torch.zeros(10))
    with pytest.raises(KeyError, match='unknown code'):
        anim.render(neck=torch.zeros(3))
