"""Convert the official CVTHead checkpoint into mmhuman_ext files.

    python tools/model_converters/cvthead_official.py SRC DST [--config CFG]
        [--deca-out PATH] [--parsing-out PATH]

SRC is ``cvthead.pt`` of HowieMa/CVTHead: the model's state dict under
``model`` (or ``state_dict``, or bare; a ``module.`` prefix is removed). It
holds every sub-network of the official ``CVTHead`` module, 1189 tensors.
Each key goes to exactly one place; an unknown key is an error:

* the generator -> ``DST`` ``generator.*`` (key map below);
* the hair/shoulder deformation ``f_H`` (``hair_model.*`` ResNet-50,
  buffers ``deform_mean``, ``deform_basis``) -> ``DST`` ``hair_deformer.*``;
* DECA's coarse encoder ``deca.E_flame.*`` -> ``--deca-out`` as
  ``{'E_flame': ...}`` (the ``deca_model.tar`` layout that ``DECAEncoder``
  loads; default ``DST`` with ``_deca.pth``);
* the face parser ``face_parsing.net.*`` (BiSeNet) -> ``--parsing-out`` in the
  layout of face-parsing.PyTorch's ``79999_iter.pth`` (default ``DST`` with
  ``_face_parsing.pth``), for precomputing the masks;
* left out, after a check where there is something to check:
  ``pos_embedding`` (the fixed 2D sine table, compared with ours),
  ``face_parsing.mean``/``std`` (ImageNet constants) and ``deca.flame.*``
  (FLAME buffers: copies of ``generic_model.pkl`` and the landmark
  embedding, which the config reads itself).

DST holds ``{'state_dict': {'generator.*', 'hair_deformer.*'}}`` for
``load_from``; with ``--config`` it must load into that config's generator and
hair deformer strictly. The official outputs need the official spiral order:
configs that read ``transform.pkl`` get it by default (``MeshHierarchy``
``spiral_order='openmesh'``).

Generator key map (official -> ``generator.*``):

* ``autoencoder.net.0`` -> ``encoder.stem``; ``autoencoder.net.{i}`` (the
  bottlenecks, max-pools between groups) -> ``encoder.groups.{g}.{b}``;
  inside a block ``main.{0,2,3,5,6,8,9,11}`` -> ``norm1 conv1 norm2 conv2
  norm3 conv3 norm4 conv4``, ``skip`` unchanged;
* ``ae_proj`` -> ``vertex_transformer.proj``; ``patch_to_embedding`` ->
  ``vertex_transformer.patch_embed``; ``vtx_query (1, V, C)`` ->
  ``vertex_transformer.queries (V, C)``;
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
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict, Optional

import torch

from mmhuman_ext.models.editors.cvthead.rome_encoder import rome_to_ours

_LAYER = {'0.norm': 'norm1', '0.fn.to_qkv': 'qkv', '0.fn.to_out.0': 'proj',
          '1.norm': 'norm2', '1.fn.net.0': 'fc1', '1.fn.net.3': 'fc2'}
_UNET = {'down': {'conv1': 'conv1.0', 'norm0': 'conv1.1', 'conv2': 'conv2.0',
                  'norm1': 'conv2.1'},
         'up': {'upconv': 'upconv.0', 'norm0': 'upconv.1',
                'conv1': 'conv1.0', 'norm1': 'conv1.1', 'conv2': 'conv2.0',
                'norm2': 'conv2.1'}}
#: official keys that are left out (see the module docstring)
DROPPED = ('pos_embedding', 'face_parsing.mean', 'face_parsing.std')
DROPPED_PREFIXES = ('deca.flame.', )


def _generator_key(key: str, value: torch.Tensor):
    """Official generator key -> ``(our key, value)``, or None."""
    if key.startswith('ae_proj.'):
        return 'vertex_transformer.proj.' + key.split('.', 1)[1], value
    if key.startswith('patch_to_embedding.'):
        return 'vertex_transformer.patch_embed.' + key.split('.', 1)[1], value
    if key == 'vtx_query':
        return 'vertex_transformer.queries', value.reshape(value.shape[-2],
                                                           value.shape[-1])
    if key.startswith('vtx_descriptor_head.0.'):
        return 'descriptor_head.' + key.split('.', 2)[2], value
    if key in ('unet_generator.conv_final.weight',
               'unet_generator.conv_final.bias'):
        return 'renderer.' + key.split('.', 1)[1], value
    m = re.match(r'transformer\.layers\.(\d+)\.(.+)\.(weight|bias)$', key)
    if m and m.group(2) in _LAYER:
        return (f'vertex_transformer.layers.{m.group(1)}.'
                f'{_LAYER[m.group(2)]}.{m.group(3)}'), value
    m = re.match(r'vtx_upsampler\.de_layers\.(\d+)\.(?:conv\.)?'
                 r'layer\.(weight|bias)$', key)
    if m:
        return f'upsampler.de_layers.{m.group(1)}.layer.{m.group(2)}', value
    m = re.match(r'unet_generator\.(down|up)_convs\.(\d+)\.(\w+)\.(.+)$', key)
    if m and m.group(3) in _UNET[m.group(1)]:
        return (f'renderer.{m.group(1)}_convs.{m.group(2)}.'
                f'{_UNET[m.group(1)][m.group(3)]}.{m.group(4)}'), value
    return None


def _check_pos_embedding(value: torch.Tensor) -> None:
    """The official image PE is a fixed sine table; it must be ours."""
    from mmhuman_ext.models.layers import sine_position_table_2d
    num, dim = value.shape[-2], value.shape[-1]
    side = int(round(num**0.5))
    ours = sine_position_table_2d(side, side, dim)
    if side * side != num or tuple(ours.shape[-2:]) != (num, dim) or \
            not torch.allclose(ours.reshape(num, dim).float(),
                               value.reshape(num, dim).float(), atol=1e-5):
        raise ValueError('official pos_embedding differs from the 2D sine '
                         'table the vertex transformer builds; the '
                         'checkpoint is not the CVTHead layout this converter '
                         'knows')


def convert(state: Dict[str, torch.Tensor]) -> Dict[str, 'OrderedDict']:
    """Official state dict -> ``{'model', 'deca', 'face_parsing',
    'dropped'}``: our model keys (``generator.*``, ``hair_deformer.*``),
    DECA's ``E_flame`` state dict, the BiSeNet state dict and the list of
    keys left out.

    Raises:
        KeyError: a key of no known part of the official model.
    """
    for key in ('model', 'state_dict'):
        if key in state and isinstance(state[key], dict):
            state = state[key]
    state = {k[len('module.'):] if k.startswith('module.') else k: v
             for k, v in state.items()}
    out = dict(model=OrderedDict(), deca=OrderedDict(),
               face_parsing=OrderedDict(), dropped=[])
    encoder = {k[len('autoencoder.'):]: v for k, v in state.items()
               if k.startswith('autoencoder.')}
    mapped = rome_to_ours(encoder)
    if len(mapped) != len(encoder):
        raise KeyError(f'{len(encoder) - len(mapped)} autoencoder.* keys '
                       'are not encoder layers')
    for k, v in mapped.items():
        out['model'][f'generator.encoder.{k}'] = v
    unknown = []
    for key, value in state.items():
        if key.startswith('autoencoder.'):
            continue
        if key in DROPPED or key.startswith(DROPPED_PREFIXES):
            if key == 'pos_embedding':
                _check_pos_embedding(value)
            out['dropped'].append(key)
        elif key.startswith('hair_model.'):
            out['model']['hair_deformer.net.' + key[len('hair_model.'):]] = \
                value
        elif key in ('deform_mean', 'deform_basis'):
            out['model'][f'hair_deformer.{key}'] = value
        elif key.startswith('deca.E_flame.'):
            out['deca'][key[len('deca.E_flame.'):]] = value
        elif key.startswith('face_parsing.net.'):
            out['face_parsing'][key[len('face_parsing.net.'):]] = value
        else:
            mapped = _generator_key(key, value)
            if mapped is None:
                unknown.append(key)
            else:
                out['model']['generator.' + mapped[0]] = mapped[1]
    if unknown:
        raise KeyError(f'unexpected official keys: {unknown[:5]} '
                       f'({len(unknown)} in all)')
    return out


def _save(obj, path: str) -> None:
    from mmhuman_ext.utils.atomic_io import atomic_torch_save
    atomic_torch_save(obj, path)


def _side_path(dst: str, given: Optional[str], suffix: str) -> str:
    return given or osp.splitext(dst)[0] + suffix


def check_against_config(model_state: Dict[str, torch.Tensor],
                         config: str) -> None:
    """Load ``generator.*`` and ``hair_deformer.*`` strictly into the
    config's generator and hair deformer (built without their files)."""
    from mmengine import Config

    from mmhuman_ext.registry import MODELS
    from mmhuman_ext.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(config).model
    gen_cfg = cfg.generator
    gen_cfg.encoder.init_ckpt = None
    parts = dict(generator=MODELS.build(gen_cfg))
    if cfg.get('hair_deformer'):
        parts['hair_deformer'] = MODELS.build(dict(
            type=cfg.hair_deformer.type,
            num_vertices=parts['generator'].num_vertices))
    for name, module in parts.items():
        module.load_state_dict({k[len(name) + 1:]: v
                                for k, v in model_state.items()
                                if k.startswith(name + '.')}, strict=True)
    extra = [k for k in model_state if k.split('.')[0] not in parts]
    if extra:
        raise KeyError(f'{config} has no place for {extra[:3]} '
                       f'({len(extra)} keys; hair_deformer=None?)')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src')
    parser.add_argument('dst')
    parser.add_argument('--config', help='check against this config')
    parser.add_argument('--deca-out', help='DECA E_flame file')
    parser.add_argument('--parsing-out', help='BiSeNet face parser file')
    args = parser.parse_args(argv)
    from mmhuman_ext.utils.checkpoint import load_checkpoint_file
    parts = convert(load_checkpoint_file(args.src, map_location='cpu'))
    if args.config:
        check_against_config(parts['model'], args.config)
    _save(dict(state_dict=parts['model'],
               meta=dict(converted_from=osp.basename(args.src))), args.dst)
    print(f'{args.dst}: {len(parts["model"])} tensors (generator, '
          'hair_deformer)')
    for name, suffix, opt, wrap in (
            ('deca', '_deca.pth', args.deca_out, lambda s: dict(E_flame=s)),
            ('face_parsing', '_face_parsing.pth', args.parsing_out,
             lambda s: s)):
        if parts[name]:
            path = _side_path(args.dst, opt, suffix)
            _save(wrap(parts[name]), path)
            print(f'{path}: {len(parts[name])} tensors ({name})')
    print(f'left out: {len(parts["dropped"])} tensors (pos_embedding checked,'
          ' face-parsing constants, FLAME buffers)')


if __name__ == '__main__':
    sys.exit(main())
