"""Convert the official CVTHead generator checkpoint into an mmhuman_ext one.

    python tools/model_converters/cvthead_official.py SRC DST [--config CFG]

SRC is ``cvthead.pt`` of HowieMa/CVTHead: a state dict, bare or under
``state_dict`` / ``model`` (a ``module.`` prefix from DataParallel is
removed). Frozen parts (``face_parsing``, ``deca``, ``hair_model``) and the
discriminator are skipped. DST holds ``{'state_dict': {'generator.*': ...}}``
for ``load_from``; with ``--config`` it must also load into that config's
generator (strictly). Note: our spirals order each ring by angle, not by
openmesh circulation (see ``mesh_hierarchy``), so the spiral layers only
reproduce the official outputs with spirals in the official order.

Key map (official -> ``generator.*``):

* ``autoencoder.net.0`` -> ``encoder.stem``; ``autoencoder.net.{i}`` (the
  bottlenecks, max-pools between groups) -> ``encoder.groups.{g}.{b}``;
  inside a block ``main.{0,2,3,5,6,8,9,11}`` -> ``norm1 conv1 norm2 conv2
  norm3 conv3 norm4 conv4``, ``skip`` unchanged;
* ``ae_proj`` -> ``vertex_transformer.proj``; ``patch_to_embedding`` ->
  ``vertex_transformer.patch_embed``; ``vtx_query (1, V, C)`` ->
  ``vertex_transformer.queries (V, C)``; ``pos_embedding`` is dropped (a
  fixed table that we rebuild);
* ``transformer.layers.{i}.0.norm`` / ``.0.fn.to_qkv`` / ``.0.fn.to_out.0`` /
  ``.1.norm`` / ``.1.fn.net.0`` / ``.1.fn.net.3`` ->
  ``vertex_transformer.layers.{i}.`` ``norm1`` / ``qkv`` / ``proj`` /
  ``norm2`` / ``fc1`` / ``fc2``;
* ``vtx_upsampler.de_layers.{0,1}.conv.layer`` and
  ``vtx_upsampler.de_layers.2.layer`` -> ``upsampler.de_layers.{i}.layer``;
* ``vtx_descriptor_head.0`` -> ``descriptor_head``;
* ``unet_generator.down_convs.{i}.{conv1,norm0,conv2,norm1}`` ->
  ``renderer.down_convs.{i}.{conv1.0,conv1.1,conv2.0,conv2.1}``;
  ``unet_generator.up_convs.{i}.{upconv,norm0,conv1,norm1,conv2,norm2}`` ->
  ``renderer.up_convs.{i}.{upconv.0,upconv.1,conv1.0,conv1.1,conv2.0,
  conv2.1}``; ``conv_final`` unchanged.
"""
import argparse
import re
import sys
from collections import OrderedDict
from typing import Dict

import torch

from mmhuman_ext.models.backbones.rome_encoder import rome_to_ours

SKIPPED = ('face_parsing.', 'deca.', 'hair_model.', 'discriminator.',
           'pos_embedding')
_LAYER = {'0.norm': 'norm1', '0.fn.to_qkv': 'qkv', '0.fn.to_out.0': 'proj',
          '1.norm': 'norm2', '1.fn.net.0': 'fc1', '1.fn.net.3': 'fc2'}
_UNET = {'down': {'conv1': 'conv1.0', 'norm0': 'conv1.1', 'conv2': 'conv2.0',
                  'norm1': 'conv2.1'},
         'up': {'upconv': 'upconv.0', 'norm0': 'upconv.1',
                'conv1': 'conv1.0', 'norm1': 'conv1.1', 'conv2': 'conv2.0',
                'norm2': 'conv2.1'}}


def convert(state: Dict[str, torch.Tensor]) -> 'OrderedDict':
    """Official generator state dict -> ours (``generator.*`` keys)."""
    for key in ('state_dict', 'model'):
        if key in state and isinstance(state[key], dict):
            state = state[key]
    state = {k[len('module.'):] if k.startswith('module.') else k: v
             for k, v in state.items()}
    out = OrderedDict()
    encoder = {k[len('autoencoder.'):]: v for k, v in state.items()
               if k.startswith('autoencoder.')}
    for k, v in rome_to_ours(encoder).items():
        out[f'encoder.{k}'] = v
    unknown = []
    for key, value in state.items():
        if key.startswith(SKIPPED) or key.startswith('autoencoder.'):
            continue
        new = None
        if key.startswith('ae_proj.'):
            new = 'vertex_transformer.proj.' + key.split('.', 1)[1]
        elif key.startswith('patch_to_embedding.'):
            new = 'vertex_transformer.patch_embed.' + key.split('.', 1)[1]
        elif key == 'vtx_query':
            new, value = 'vertex_transformer.queries', value.reshape(
                value.shape[-2], value.shape[-1])
        elif key.startswith('vtx_descriptor_head.0.'):
            new = 'descriptor_head.' + key.split('.', 2)[2]
        elif key == 'unet_generator.conv_final.weight' or \
                key == 'unet_generator.conv_final.bias':
            new = 'renderer.' + key.split('.', 1)[1]
        else:
            m = re.match(r'transformer\.layers\.(\d+)\.(.+)\.(weight|bias)$',
                         key)
            if m and m.group(2) in _LAYER:
                new = (f'vertex_transformer.layers.{m.group(1)}.'
                       f'{_LAYER[m.group(2)]}.{m.group(3)}')
            m2 = re.match(r'vtx_upsampler\.de_layers\.(\d+)\.(?:conv\.)?'
                          r'layer\.(weight|bias)$', key)
            if m2:
                new = f'upsampler.de_layers.{m2.group(1)}.layer.' \
                      f'{m2.group(2)}'
            m3 = re.match(r'unet_generator\.(down|up)_convs\.(\d+)\.(\w+)\.'
                          r'(.+)$', key)
            if m3 and m3.group(3) in _UNET[m3.group(1)]:
                new = (f'renderer.{m3.group(1)}_convs.{m3.group(2)}.'
                       f'{_UNET[m3.group(1)][m3.group(3)]}.{m3.group(4)}')
        if new is None:
            unknown.append(key)
        else:
            out[new] = value
    if unknown:
        raise KeyError(f'unexpected official keys: {unknown[:5]} '
                       f'({len(unknown)} in all)')
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src')
    parser.add_argument('dst')
    parser.add_argument('--config', help='check against this config')
    args = parser.parse_args(argv)
    from mmhuman_ext.utils import load_checkpoint_file
    gen = convert(load_checkpoint_file(args.src, map_location='cpu'))
    if args.config:
        from mmengine import Config

        from mmhuman_ext.registry import MODELS
        from mmhuman_ext.utils import register_all_modules
        register_all_modules()
        model = MODELS.build(Config.fromfile(args.config).model.generator)
        model.load_state_dict(gen, strict=True)
    torch.save(dict(state_dict=OrderedDict(
        (f'generator.{k}', v) for k, v in gen.items())), args.dst)
    print(f'wrote {len(gen)} tensors to {args.dst}')


if __name__ == '__main__':
    sys.exit(main())
