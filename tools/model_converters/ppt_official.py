"""Convert an official TokenPose / PPT checkpoint into an mmhuman_ext one.

    python tools/model_converters/ppt_official.py SRC DST [--config CONFIG]

SRC is a ``.pth`` from HowieMa/PPT (single-view) or leeyegy/TokenPose holding
a state dict, bare or under ``state_dict`` (a ``module.`` prefix from
DataParallel is removed). DST can be given to ``load_from`` or to
``tools/test.py``. The variant is read from the tensors; with ``--config``
the converted weights must also load strictly into that config's model.

Supported (official module names -> ours):

* multi-view PPT (``multi-view-PPT`` of HowieMa/PPT: PPT-S 256x256 under
  ``features.*`` plus the 3D-PE linear ``features.pos_3d_linear`` ->
  ``head.ray_encoding.proj``; config
  ``configs/ppt/ppt-s_multiview-bgr_4xb8-20e_h36m-256x256.py``, the
  multi-view PPT config with BGR input: the official model was trained on
  BGR images). Its keypoint tokens are already in Human3.6M order (the
  official code reorders the COCO tokens once, when it initialises
  fine-tuning), so they are copied as they are;
* TokenPose-S-v1 / PPT-S (``features.*``: stem ``conv1 bn1 conv2 bn2 layer1``
  -> ``backbone.*``, the rest -> ``head.*``);
* TokenPose-B / PPT-B (HRNet-W32) and PPT-L/D6 (HRNet-W48, the PPT repo's
  version) (``pre_feature.*`` -> ``backbone.*``, ``transformer.*`` ->
  ``head.*``);
* both attention layouts: PPT's ``layers.i.0.norm`` / ``layers.i.0.fn.to_qkv``
  and TokenPose's ``layers.i.0.fn.norm`` / ``layers.i.0.fn.fn.to_qkv``.

Key map inside the head: ``keypoint_token`` -> ``keypoint_tokens``,
``patch_to_embedding`` -> ``patch_embed``, per layer ``norm`` -> ``norm1``,
``to_qkv`` -> ``qkv``, ``to_out.0`` -> ``proj``, FFN ``norm`` -> ``norm2``,
``net.0`` -> ``fc1``, ``net.3`` -> ``fc2``; ``mlp_head.*`` unchanged.
``pos_embedding`` is not copied (our sine table is rebuilt from the
config) but must equal that table: checkpoints with a learnable or other
position embedding are refused.

``--h36m-init`` turns the COCO 256x256 PPT-S (the multi-view pre-training;
official, or a checkpoint of ours from
``configs/ppt/ppt-s_4xb32-300e_coco-256x256.py``) into the multi-view PPT
initialisation: the keypoint tokens are reordered
COCO -> Human3.6M (row ``i`` of the result is COCO token
``COCO_TO_H36M[i]``, the map of the official fine-tuning; neck and head
top come from the eyes, pelvis and belly from the hips), everything else
is copied and the ray linear is left to its own initialisation.
"""
import argparse
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict, Tuple

import torch

from mmhuman_ext.models.layers.positional_encoding import \
    sine_position_table_2d

# The variants of the PPT paper / repo: (backbone, J, depth, patch (h, w),
# heatmap (h, w)) -> description and config.
KNOWN_VARIANTS = {
    ('S', 17, 12, (4, 3), (64, 48)):
    ('TokenPose-S / PPT-S, COCO 256x192',
     'configs/ppt/ppt-s_4xb32-300e_coco-256x192.py'),
    ('S', 17, 12, (4, 4), (64, 64)):
    ('PPT-S, COCO 256x256 (multi-view pre-training)',
     'configs/ppt/ppt-s_4xb32-300e_coco-256x256.py'),
    ('S', 16, 12, (4, 4), (64, 64)):
    ('TokenPose-S / PPT-S, MPII 256x256',
     'configs/ppt/ppt-s_4xb32-300e_mpii-256x256.py'),
    ('B', 17, 12, (4, 3), (64, 48)):
    ('TokenPose-B / PPT-B, COCO 256x192',
     'configs/ppt/ppt-b_4xb32-300e_coco-256x192.py'),
    ('B', 16, 12, (4, 4), (64, 64)):
    ('TokenPose-B / PPT-B, MPII 256x256',
     'configs/ppt/ppt-b_4xb32-300e_mpii-256x256.py'),
    ('L', 17, 6, (4, 3), (64, 48)):
    ('TokenPose-L/D6 / PPT-L/D6 (PPT repo version), COCO 256x192',
     'configs/ppt/ppt-l-d6_4xb32-300e_coco-256x192.py'),
}
# Multi-view PPT: the PPT-S variant its fusion model is built on.
# Its official code trains on BGR images (cv2.imread, no conversion): the
# config for testing converted weights keeps that channel order.
MULTIVIEW_VARIANTS = {
    ('S', 17, 12, (4, 4), (64, 64)):
    ('multi-view PPT (PPT-S 256x256 + 3D PE), Human3.6M',
     'configs/ppt/ppt-s_multiview-bgr_4xb8-20e_h36m-256x256.py'),
}
BGR_NOTE = ('the official multi-view code trained this model on BGR images '
            '(cv2.imread without conversion); test it in that colour '
            'order: the config above does, or add --cfg-options '
            'model.data_preprocessor.bgr_to_rgb=False to another multi-view '
            'config (e.g. Ski-Pose)')
MULTIVIEW_KEY = 'features.pos_3d_linear.'
# Human3.6M joint i (root, rhip, rkne, rank, lhip, lkne, lank, belly, neck,
# nose, head, lsho, lelb, lwri, rsho, relb, rwri) <- COCO keypoint token.
COCO_TO_H36M = (12, 12, 14, 16, 11, 13, 15, 11, 1, 0, 2, 5, 7, 9, 6, 8, 10)
H36M_INIT_SOURCE = ('S', 17, 12, (4, 4), (64, 64))
BACKBONE_OF_WIDTH = {256: 'S', 32: 'B', 48: 'L'}
BACKBONE_NAMES = {
    'S': 'stem + stage 1 (256 channels)',
    'B': 'HRNet-W32 stages 1-3',
    'L': 'HRNet-W48 stages 1-3'
}
QK_SCALE = {'S': 'dim', 'B': 'head', 'L': 'head'}
NOTES = {
    'L': ('the official PPT-L/D6 code prunes only in layer 3 (its default '
          'layers 3, 6, 9 at depth 6); our config follows the paper (layers '
          '1, 3, 4). For the official numbers test a PPT-L/D6 checkpoint '
          'with configs/ppt/ppt-l-d6-prune3_4xb32-300e_coco-256x192.py '
          '(pruning in layer 3 only)')
}
STEM_KEYS = ('conv1.', 'bn1.', 'conv2.', 'bn2.', 'layer1.')
# Layer parameters: PPT repo (PreNorm(Attention), no Residual wrapper) and
# TokenPose repo (Residual(PreNorm(Attention))) names; the prefixes are
# disjoint, so one map serves both.
LAYER_MAP = {
    '0.norm.': 'norm1.',
    '0.fn.to_qkv.': 'qkv.',
    '0.fn.to_out.0.': 'proj.',
    '0.fn.norm.': 'norm1.',
    '0.fn.fn.to_qkv.': 'qkv.',
    '0.fn.fn.to_out.0.': 'proj.',
    '1.fn.norm.': 'norm2.',
    '1.fn.fn.net.0.': 'fc1.',
    '1.fn.fn.net.3.': 'fc2.',
}
_LAYER = re.compile(r'transformer\.layers\.(\d+)\.(.*)$')


class ConversionError(ValueError):
    """The checkpoint is not a supported official TokenPose / PPT one."""


def _supported() -> str:
    variants = list(KNOWN_VARIANTS.items()) + list(MULTIVIEW_VARIANTS.items())
    return '; '.join(f'{desc} ({BACKBONE_NAMES[k[0]]}, {k[1]} keypoints, '
                     f'depth {k[2]})' for k, (desc, _) in variants)


def official_state_dict(ckpt) -> Dict[str, torch.Tensor]:
    """The model tensors of a loaded official checkpoint, ``module.``
    prefix removed."""
    if isinstance(ckpt, dict) and isinstance(ckpt.get('state_dict'), dict):
        ckpt = ckpt['state_dict']
    if not isinstance(ckpt, dict) or not all(
            isinstance(v, torch.Tensor) for v in ckpt.values()):
        raise ConversionError(
            'expected a state dict (name -> tensor), bare or under '
            '"state_dict"')
    return OrderedDict(
        (k[7:] if k.startswith('module.') else k, v) for k, v in ckpt.items())


def _patch_shape(pos: torch.Tensor, heatmap_hw: Tuple[int, int],
                 area: int) -> Tuple[int, int]:
    """The (h, w) patch whose sine table equals ``pos`` ``(1, N, D)``."""
    fh, fw = heatmap_hw
    for ph in range(1, area + 1):
        pw = area // ph
        if ph * pw != area or fh % ph or fw % pw:
            continue
        gh, gw = fh // ph, fw // pw
        if gh * gw != pos.shape[1]:
            continue
        table = sine_position_table_2d(gh, gw, pos.shape[2])
        if torch.allclose(pos[0].float(), table, atol=1e-5):
            return ph, pw
    raise ConversionError(
        f'pos_embedding {tuple(pos.shape)} is not the fixed 2D sine table of '
        f'a token grid that tiles the {fh}x{fw} feature map: only TokenPose '
        f'/ PPT checkpoints with sine position embeddings ("sine-full") are '
        f'supported, not learnable ones')


def convert(state: Dict[str, torch.Tensor], h36m_init: bool = False):
    """Map an official state dict onto our names.

    Args:
        state: The official tensors (see :func:`official_state_dict`).
        h36m_init (bool): Make the multi-view PPT initialisation from the
            COCO 256x256 PPT-S: keypoint tokens reordered by
            ``COCO_TO_H36M``. Refused for any other variant.

    Returns:
        tuple: ``(state_dict, info)``; ``info`` holds ``variant`` (the KNOWN
        key), ``description``, ``config``, ``qk_scale`` and ``note`` (a
        caveat for that variant, or None); ``multiview`` / ``h36m_init``
        True for a multi-view PPT checkpoint / a ``--h36m-init`` result.

    Raises:
        ConversionError: the keys or shapes are not those of a supported
            variant; the message names what was found and what is supported.
    """
    if h36m_init and 'head.keypoint_tokens' in state:
        return _ours_to_h36m(state)
    if any(k.startswith('features.') for k in state):
        cnn_prefix, tr_prefix = 'features.', 'features.'
        cnn_keys = [
            k for k in state if k[len(cnn_prefix):].startswith(STEM_KEYS)
        ]
        width_key = 'features.layer1.0.downsample.0.weight'
    elif any(k.startswith('pre_feature.') for k in state):
        cnn_prefix, tr_prefix = 'pre_feature.', 'transformer.'
        cnn_keys = [k for k in state if k.startswith(cnn_prefix)]
        width_key = 'pre_feature.transition1.0.0.weight'
    elif any(k.startswith(('global_encoder.', 'reduce.')) for k in state):
        raise ConversionError(
            'this is a TransPose / TransFusion checkpoint (global_encoder / '
            'reduce): convert it with '
            'tools/model_converters/transfusion_official.py')
    else:
        prefixes = sorted({k.split('.')[0] for k in state})
        raise ConversionError(
            f'not a TokenPose / PPT checkpoint: expected keys under '
            f'"features." (TokenPose-S / PPT-S) or "pre_feature." + '
            f'"transformer." (TokenPose-B, PPT-B, PPT-L/D6); found top-level '
            f'names {prefixes}. Supported: {_supported()}')

    required = [
        width_key, tr_prefix + 'keypoint_token', tr_prefix + 'pos_embedding',
        tr_prefix + 'patch_to_embedding.weight'
    ]
    missing = [k for k in required if k not in state]
    if missing:
        raise ConversionError(
            f'checkpoint lacks {missing}; supported: {_supported()}')
    width = state[width_key].shape[0]
    if width not in BACKBONE_OF_WIDTH:
        raise ConversionError(
            f'CNN front of width {width} ({width_key}) is none of '
            f'{BACKBONE_NAMES}; supported: {_supported()}')
    family = BACKBONE_OF_WIDTH[width]

    out = OrderedDict(
        ('backbone.' + k[len(cnn_prefix):], state[k]) for k in cnn_keys)
    head_keys = [k for k in state if k not in set(cnn_keys)]
    unknown = []
    for key in head_keys:
        name = key[len(tr_prefix):] if key.startswith(tr_prefix) else None
        if name == 'pos_embedding':
            continue
        if name == 'keypoint_token':
            out['head.keypoint_tokens'] = state[key]
        elif name is not None and name.startswith('patch_to_embedding.'):
            out['head.patch_embed.' + name.split('.', 1)[1]] = state[key]
        elif name is not None and name.startswith('mlp_head.'):
            out['head.' + name] = state[key]
        elif key.startswith(MULTIVIEW_KEY):
            out['head.ray_encoding.proj.' + key[len(MULTIVIEW_KEY):]] = \
                state[key]
        elif name is not None and _LAYER.match(name):
            index, rest = _LAYER.match(name).groups()
            for old, new in LAYER_MAP.items():
                if rest.startswith(old):
                    out[f'head.transformer.layers.{index}.{new}'
                        f'{rest[len(old):]}'] = state[key]
                    break
            else:
                unknown.append(key)
        else:
            unknown.append(key)
    if unknown:
        shown = ', '.join(unknown[:6]) + (' ...' if len(unknown) > 6 else '')
        raise ConversionError(
            f'{len(unknown)} tensors belong to no supported TokenPose / PPT '
            f'module: {shown}. Supported: {_supported()}')

    num_kpt = out['head.keypoint_tokens'].shape[1]
    depth = 1 + max(
        int(k.split('.')[3]) for k in out if k.startswith('head.transformer'))
    last = max(
        int(k.split('.')[2]) for k in out
        if k.startswith('head.mlp_head.') and k.endswith('.weight'))
    hm_dim = out[f'head.mlp_head.{last}.weight'].shape[0]
    heatmap = {3072: (64, 48), 4096: (64, 64)}.get(hm_dim)
    patch_dim = out['head.patch_embed.weight'].shape[1]
    if heatmap is None or patch_dim % width:
        raise ConversionError(
            f'heatmap size {hm_dim} / patch dim {patch_dim} fit no supported '
            f'variant; supported: {_supported()}')
    patch = _patch_shape(state[tr_prefix + 'pos_embedding'], heatmap,
                         patch_dim // width)
    variant = (family, num_kpt, depth, patch, heatmap)
    found = (f'{BACKBONE_NAMES[family]}, {num_kpt} keypoints, depth {depth}, '
             f'{patch[0]}x{patch[1]} patches, {heatmap[0]}x{heatmap[1]} '
             'heatmaps')
    if 'head.ray_encoding.proj.weight' in out:
        if variant not in MULTIVIEW_VARIANTS:
            raise ConversionError(
                f'multi-view checkpoint ({MULTIVIEW_KEY}*) with {found}: the '
                'official multi-view PPT is PPT-S at 256x256 with 4x4 '
                f'patches and 17 Human3.6M joints. Supported: {_supported()}')
        ray = out['head.ray_encoding.proj.weight']
        dim = out['head.keypoint_tokens'].shape[-1]
        if tuple(ray.shape) != (dim, 3):
            raise ConversionError(
                f'{MULTIVIEW_KEY}weight is {tuple(ray.shape)}, expected a '
                f'Linear(3, {dim}) ray encoding ({(dim, 3)})')
        if h36m_init:
            raise ConversionError(
                '--h36m-init reorders the keypoint tokens of the COCO '
                '256x256 PPT-S; this is already a multi-view PPT checkpoint '
                '(Human3.6M order): convert it without --h36m-init')
        description, config = MULTIVIEW_VARIANTS[variant]
        return out, dict(
            variant=variant,
            description=description,
            config=config,
            qk_scale=QK_SCALE[family],
            note=BGR_NOTE,
            multiview=True)
    if h36m_init:
        if variant != H36M_INIT_SOURCE:
            raise ConversionError(
                f'--h36m-init needs the COCO 256x256 PPT-S '
                f'({KNOWN_VARIANTS[H36M_INIT_SOURCE][0]}); found {found}')
        out['head.keypoint_tokens'] = _to_h36m_order(
            out['head.keypoint_tokens'])
        description, config = MULTIVIEW_VARIANTS[H36M_INIT_SOURCE]
        return out, dict(
            variant=variant,
            description=(f'{KNOWN_VARIANTS[variant][0]}, keypoint tokens in '
                         'Human3.6M order (initialisation of '
                         f'{description})'),
            config=config,
            qk_scale=QK_SCALE[family],
            note=('the ray encoding head.ray_encoding.proj is not in the '
                  'file (new layer): use it as init_cfg / load_from, which '
                  'load it non-strictly'),
            h36m_init=True)
    if variant not in KNOWN_VARIANTS:
        raise ConversionError(
            f'found {found}: not a variant of the PPT paper. '
            f'Supported: {_supported()}')
    description, config = KNOWN_VARIANTS[variant]
    return out, dict(
        variant=variant,
        description=description,
        config=config,
        qk_scale=QK_SCALE[family],
        note=NOTES.get(family))


def _to_h36m_order(tokens: torch.Tensor) -> torch.Tensor:
    """``(1, 17, D)`` COCO keypoint tokens in Human3.6M order."""
    return tokens[:, torch.tensor(COCO_TO_H36M)].clone()


def _ours_to_h36m(state: Dict[str, torch.Tensor]):
    """``--h36m-init`` on a checkpoint of ours (e.g. a run of
    ``configs/ppt/ppt-s_4xb32-300e_coco-256x256.py``): the same reorder."""
    tokens = state['head.keypoint_tokens']
    patch = state.get('head.patch_embed.weight')
    if (tokens.shape[1] != 17 or patch is None
            or tuple(patch.shape) != (192, 4096)
            or any(k.startswith('head.ray_encoding.') for k in state)):
        raise ConversionError(
            '--h36m-init needs a COCO 256x256 PPT-S (17 keypoint tokens, '
            '4x4 patches of 256 channels, no ray encoding); found keypoint '
            f'tokens {tuple(tokens.shape)}, patch embedding '
            f'{None if patch is None else tuple(patch.shape)}')
    out = OrderedDict(state)
    out['head.keypoint_tokens'] = _to_h36m_order(tokens)
    description, config = MULTIVIEW_VARIANTS[H36M_INIT_SOURCE]
    return out, dict(
        variant=H36M_INIT_SOURCE,
        description=('PPT-S, COCO 256x256 (ours), keypoint tokens in '
                     f'Human3.6M order (initialisation of {description})'),
        config=config,
        qk_scale='dim',
        note=None,
        h36m_init=True)


def check_against_config(state: Dict[str, torch.Tensor], info: dict,
                         config: str) -> None:
    """Raise unless ``state`` loads strictly into ``config``'s model."""
    from mmengine.config import Config

    from mmhuman_ext.registry import MODELS
    from mmhuman_ext.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(config)
    expected_scale = cfg.model.head.get('qk_scale', 'dim')
    if expected_scale != info['qk_scale']:
        raise ConversionError(
            f'{config} uses qk_scale={expected_scale!r}, but the checkpoint '
            f'is {info["description"]}, trained with '
            f'qk_scale={info["qk_scale"]!r}; use {info["config"]}')
    model = MODELS.build(cfg.model)
    try:
        if info.get('h36m_init'):
            # the ray encoding is new; everything else must fit
            missing, unexpected = model.load_state_dict(state, strict=False)
            extra = [
                k for k in missing if not k.startswith('head.ray_encoding.')
            ] + list(unexpected)
            if extra or not any(
                    k.startswith('head.ray_encoding.') for k in missing):
                raise RuntimeError(
                    f'missing or unexpected keys: {extra or missing}')
        else:
            model.load_state_dict(state, strict=True)
    except (RuntimeError, ValueError) as exc:
        hint = ''
        if (info['variant'] == H36M_INIT_SOURCE and not info.get('multiview')
                and not info.get('h36m_init')
                and 'head.ray_encoding.' in str(exc)):
            hint = ('\nfor the multi-view PPT initialisation convert it '
                    'with --h36m-init (keypoint tokens to Human3.6M order)')
        raise ConversionError(
            f'the checkpoint is {info["description"]} (config '
            f'{info["config"]}) and does not fit {config}:\n{exc}{hint}'
        ) from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official TokenPose / PPT .pth')
    parser.add_argument('dst', help='output .pth for load_from / test.py')
    parser.add_argument(
        '--config', help='also check that the result loads into this config')
    parser.add_argument(
        '--h36m-init',
        action='store_true',
        help='COCO 256x256 PPT-S -> multi-view PPT initialisation (keypoint '
        'tokens reordered COCO -> Human3.6M)')
    args = parser.parse_args(argv)

    from mmhuman_ext.utils.atomic_io import atomic_torch_save
    from mmhuman_ext.utils.checkpoint import load_checkpoint_file
    try:
        state, info = convert(
            official_state_dict(load_checkpoint_file(args.src, 'cpu')),
            h36m_init=args.h36m_init)
        if args.config:
            check_against_config(state, info, args.config)
    except ConversionError as exc:
        print(f'error: {args.src}: {exc}', file=sys.stderr)
        return 1
    atomic_torch_save(
        dict(
            state_dict=state,
            meta=dict(
                converted_from=osp.basename(args.src),
                variant=info['description'],
                config=info['config'])), args.dst)
    print(f'{args.src}: {info["description"]} ({len(state)} tensors) -> '
          f'{args.dst}\nuse it with {info["config"]}')
    if info['note']:
        print(f'note: {info["note"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
