"""Convert an official TransPose-R / TransFusion checkpoint into ours.

    python tools/model_converters/transfusion_official.py SRC DST \
        [--mode {auto,transpose,transfusion}]

SRC is a ``.pth`` holding a state dict, bare or under ``state_dict``
(a DataParallel ``module.`` prefix is removed):

* ``transpose``: TransPose-R-A3 trained on COCO
  (``tp_r_256x192_enc3_d256_h1024_mh8.pth``), TransFusion's
  initialisation: everything is copied except ``final_layer.*`` (COCO joints;
  re-initialised by our head) and ``pos_embedding`` (our sine table is
  rebuilt for the 32x32 grid). Load DST with ``init_cfg=dict(
  type='Pretrained', checkpoint=DST)`` as in
  ``configs/transfusion/transfusion_4xb4-20e_h36m-256x256.py``.
* ``transfusion``: a trained HowieMa/TransFusion-Pose model
  (``multiview_transpose``); its 20-channel "union" output keeps the 17
  Human3.6M channels (union indices below), and the geometry
  (``pos_3d_linear``) or learnable (``pos_3d``) 3D PE is copied. These
  models were trained on BGR images (cv2.imread, never converted): test
  them with ``configs/transfusion/transfusion-bgr_4xb4-20e_h36m-256x256.py``
  or ``--cfg-options model.data_preprocessor.bgr_to_rgb=False``.
* ``auto`` (default): ``transfusion`` when the file holds a 3D PE or a
  20-channel final layer, else ``transpose``.

Key map (official -> ours): ``conv1 bn1 layer1 layer2`` -> ``backbone.*``
(same names as mmpose's ResNet); ``reduce`` -> ``neck.reduce``;
``global_encoder.layers.i.*`` -> ``neck.layers.i.*`` (names of
``nn.TransformerEncoderLayer``, unchanged); ``pos_3d_linear`` ->
``neck.ray_encoding.proj``; ``pos_3d`` (2, L, 1, d) -> ``neck.pos_3d``
(2, L, d); ``deconv_layers.{0,1}`` -> ``head.deconv_layers.{0,1}``;
``final_layer`` -> ``head.final_layer``.
"""
import argparse
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict

import torch

from mmhuman_ext.utils.atomic_io import atomic_torch_save

#: Printed for trained TransFusion models.
BGR_NOTE = ('the official TransFusion code trained this model on BGR images '
            '(cv2.imread without conversion); test it in that colour order: '
            'configs/transfusion/transfusion-bgr_4xb4-20e_h36m-256x256.py, or '
            'add --cfg-options model.data_preprocessor.bgr_to_rgb=False to '
            'another TransFusion config (e.g. Ski-Pose)')

#: Channels of the official 20-joint union output that hold the 17
#: Human3.6M joints, in our order.
UNION_TO_H36M = (0, 1, 2, 3, 4, 5, 6, 7, 9, 11, 12, 14, 15, 16, 17, 18, 19)
PREFIXES = (
    ('conv1.', 'backbone.conv1.'),
    ('bn1.', 'backbone.bn1.'),
    ('layer1.', 'backbone.layer1.'),
    ('layer2.', 'backbone.layer2.'),
    ('reduce.', 'neck.reduce.'),
    ('global_encoder.layers.', 'neck.layers.'),
    ('pos_3d_linear.', 'neck.ray_encoding.proj.'),
    ('deconv_layers.', 'head.deconv_layers.'),
    ('final_layer.', 'head.final_layer.'),
)
SKIPPED = ('pos_embedding', )


class ConversionError(ValueError):
    """The file is not a TransPose-R / TransFusion state dict."""


def official_state_dict(ckpt) -> Dict[str, torch.Tensor]:
    """The tensors of a loaded checkpoint, ``module.`` prefix removed."""
    if isinstance(ckpt, dict) and isinstance(ckpt.get('state_dict'), dict):
        ckpt = ckpt['state_dict']
    if not isinstance(ckpt, dict) or not all(
            isinstance(v, torch.Tensor) for v in ckpt.values()):
        raise ConversionError('expected a state dict (name -> tensor), bare '
                              'or under "state_dict"')
    return OrderedDict((k[7:] if k.startswith('module.') else k, v)
                       for k, v in ckpt.items())


def detect_mode(state: Dict[str, torch.Tensor]) -> str:
    """``'transfusion'`` or ``'transpose'`` (see the module docstring)."""
    final = state.get('final_layer.weight')
    if 'pos_3d_linear.weight' in state or 'pos_3d' in state or (
            final is not None and final.shape[0] == len(UNION_TO_H36M) + 3):
        return 'transfusion'
    return 'transpose'


def convert(state: Dict[str, torch.Tensor],
            mode: str = 'auto') -> 'OrderedDict[str, torch.Tensor]':
    """Map an official state dict to our parameter names.

    Raises:
        ConversionError: A key has no counterpart (named), or the file
            lacks the backbone / encoder.
    """
    if mode == 'auto':
        mode = detect_mode(state)
    if mode not in ('transpose', 'transfusion'):
        raise ValueError(f'mode must be auto, transpose or transfusion, got '
                         f'{mode!r}')
    out = OrderedDict()
    unknown = []
    for key, value in state.items():
        if key in SKIPPED or (mode == 'transpose' and
                              key.startswith('final_layer.')):
            continue
        if key == 'pos_3d':
            out['neck.pos_3d'] = value.reshape(value.shape[0], value.shape[1],
                                               value.shape[-1])
            continue
        for old, new in PREFIXES:
            if key.startswith(old):
                if key.startswith('final_layer.') and \
                        value.shape[0] == len(UNION_TO_H36M) + 3:
                    value = value[list(UNION_TO_H36M)]
                out[new + key[len(old):]] = value
                break
        else:
            unknown.append(key)
    if unknown:
        raise ConversionError(
            f'keys without a counterpart: {unknown[:8]}'
            f'{" ..." if len(unknown) > 8 else ""}; expected a TransPose-R '
            '(ResNet to layer2 + reduce + global_encoder) or TransFusion '
            'state dict')
    for needed in ('backbone.conv1.weight', 'neck.reduce.weight',
                   'neck.layers.0.self_attn.in_proj_weight'):
        if needed not in out:
            raise ConversionError(f'the checkpoint has no {needed!r} '
                                  '(official name ' +
                                  {'backbone.conv1.weight': 'conv1.weight',
                                   'neck.reduce.weight': 'reduce.weight'}.get(
                                       needed, 'global_encoder.layers.0.*') +
                                  ')')
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src')
    parser.add_argument('dst')
    parser.add_argument('--mode', default='auto',
                        choices=('auto', 'transpose', 'transfusion'))
    args = parser.parse_args(argv)
    if not osp.isfile(args.src):
        sys.exit(f'{args.src}: no such file')
    state = official_state_dict(
        torch.load(args.src, map_location='cpu', weights_only=True))
    mode = detect_mode(state) if args.mode == 'auto' else args.mode
    out = convert(state, mode)
    atomic_torch_save(
        dict(state_dict=out, meta=dict(source=osp.basename(args.src),
                                       mode=mode)), args.dst)
    print(f'{args.src} ({mode}): {len(out)} tensors -> {args.dst}')
    if mode == 'transfusion':
        print(f'note: {BGR_NOTE}')


if __name__ == '__main__':
    main()
