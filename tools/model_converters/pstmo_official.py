"""Convert an official P-STMO checkpoint into an mmhuman_ext one.

    python tools/model_converters/pstmo_official.py SRC DST [--refine REF]

SRC is a ``.pth`` of paTRICK-swk/P-STMO: a state dict, bare (``torch.save(
model.state_dict())``) or under ``model_pos`` (``save_model_new``); the
``module.`` prefix of ``nn.DataParallel`` is removed. Three kinds are
recognised from the keys:

* Stage II (``Model`` of ``model/stmo.py``) -> a ``PoseLifter`` with the
  ``STMO`` backbone and ``STMOHead`` (``backbone.*``, ``head.*``);
* Stage I (``Model_MAE`` of ``model/stmo_pretrain.py``) ->
  ``MaskedPoseModeling`` (``encoder.*``, ``decoder.*``,
  ``spatial_mask_token``);
* the refinement module (``refine`` of ``model/block/refine.py``) ->
  ``STMORefineHead.refine`` (``head.refine.*``); ``--refine REF`` merges
  it into the Stage II checkpoint SRC (the official code keeps the two in
  separate files), giving one checkpoint for the ``*-gtroot-refine``
  config.

DST (``{'state_dict': ..., 'meta': ...}``) can be given to ``load_from``,
``tools/test.py`` or ``init_cfg=dict(type='Pretrained', ...)``. The script
prints the variant read from the tensor shapes (N, TEM depth, MOFA depth).

Key map (official -> ours; 1x1 ``Conv1d`` weights lose their last axis):

* SEM ``encoder.fc_1 / bn_1 / layers.i.{w1,batch_norm1,w2,batch_norm2} /
  fc_2`` -> ``encoder.sem.{fc_in, bn_in, blocks.i.{fc1,bn1,fc2,bn2},
  fc_out}``;
* TEM ``Transformer.pos_embedding`` -> ``encoder.pos_embed``;
  ``Transformer.model.layers.i.self_attn.linears.{0,1,2}`` -> one fused
  ``encoder.layers.i.attn.qkv`` (q, k, v stacked), ``linears.3`` ->
  ``attn.proj``, ``feed_forward.w_1/w_2`` -> ``ffn.fc1/fc2``,
  ``sublayer.{0,1}.norm.{a_2,b_2}`` -> ``norm{1,2}.{weight,bias}``,
  ``Transformer.model.norm`` -> ``encoder.final_norm``;
* MOFA ``Transformer_reduce.model.pos_embedding_{1,2,3}`` -> stacked
  ``mofa.pos_embeds``; layers as TEM but ``feed_forward.w_1`` ->
  ``fc1`` and ``feed_forward.w_2`` (k=3) -> ``conv``;
* heads ``fcn.{0,1}`` -> ``head.single_head.{bn,fc}``, ``fcn_1.{0,1}`` ->
  ``head.multi_head.{bn,fc}``;
* Stage I ``Transformer_dec.model.*`` -> ``decoder.layers.* /
  decoder.final_norm``, ``encoder_LN`` -> ``decoder.in_norm``,
  ``encoder_to_decoder`` -> ``decoder.in_proj``, ``dec_pos_embedding`` ->
  ``decoder.pos_embed``, ``mask_token`` -> ``decoder.mask_token``,
  ``fcn_dec.{0,1}`` -> ``decoder.head.{bn,fc}``, ``spatial_mask_token``
  (1, 1, 2) -> ``spatial_mask_token`` (2,);
* refine ``post_refine.{0,3}`` -> ``head.refine.{fc1,fc2}``.
"""
import argparse
import re
from collections import OrderedDict
from typing import Dict, Tuple

import torch

from mmhuman_ext.utils.atomic_io import atomic_torch_save

Tensors = Dict[str, torch.Tensor]


class ConversionError(ValueError):
    """The checkpoint is not a supported official P-STMO one."""


def official_state_dict(ckpt) -> Tensors:
    """Model tensors of a loaded official checkpoint (``model_pos`` or
    bare), ``module.`` prefix removed."""
    if isinstance(ckpt, dict) and isinstance(ckpt.get('model_pos'), dict):
        ckpt = ckpt['model_pos']
    if not isinstance(ckpt, dict) or not ckpt or not all(
            isinstance(v, torch.Tensor) for v in ckpt.values()):
        raise ConversionError('expected a state dict (name -> tensor), bare '
                              'or under "model_pos"')
    return OrderedDict(
        (k[7:] if k.startswith('module.') else k, v) for k, v in ckpt.items())


_SEM = [(re.compile(r'^encoder\.fc_1\.'), 'sem.fc_in.'),
        (re.compile(r'^encoder\.bn_1\.'), 'sem.bn_in.'),
        (re.compile(r'^encoder\.fc_2\.'), 'sem.fc_out.'),
        (re.compile(r'^encoder\.layers\.(\d+)\.w1\.'), r'sem.blocks.\1.fc1.'),
        (re.compile(r'^encoder\.layers\.(\d+)\.w2\.'), r'sem.blocks.\1.fc2.'),
        (re.compile(r'^encoder\.layers\.(\d+)\.batch_norm1\.'),
         r'sem.blocks.\1.bn1.'),
        (re.compile(r'^encoder\.layers\.(\d+)\.batch_norm2\.'),
         r'sem.blocks.\1.bn2.')]
# inside one transformer layer (after 'layers.i.')
_LAYER = {
    'self_attn.linears.3.': 'attn.proj.',
    'sublayer.0.norm.a_2': 'norm1.weight',
    'sublayer.0.norm.b_2': 'norm1.bias',
    'sublayer.1.norm.a_2': 'norm2.weight',
    'sublayer.1.norm.b_2': 'norm2.bias',
}
_FFN_VANILLA = {
    'feed_forward.w_1.': 'ffn.fc1.',
    'feed_forward.w_2.': 'ffn.fc2.'
}
_FFN_STRIDED = {'feed_forward.w_1.': 'fc1.', 'feed_forward.w_2.': 'conv.'}
_NORM = {'a_2': 'weight', 'b_2': 'bias'}


def _squeeze_1x1(key: str, value: torch.Tensor) -> torch.Tensor:
    """1x1 ``Conv1d`` weight (out, in, 1) -> ``Linear`` weight (out, in)."""
    if key.endswith('weight') and value.ndim == 3 and value.shape[-1] == 1:
        return value[..., 0]
    return value


def _convert_transformer(sd: Tensors, src: str, dst: str,
                         ffn_map: Dict[str, str], out: Tensors) -> None:
    """Map ``{src}.model.layers.i.*`` and ``{src}.model.norm.*`` onto
    ``{dst}.layers.i.*`` and ``{dst}.final_norm.*`` (fusing q, k, v)."""
    layer_re = re.compile(rf'^{re.escape(src)}\.model\.layers\.(\d+)\.(.*)$')
    table = dict(_LAYER, **ffn_map)
    qkv: Dict[Tuple[int, str], Dict[int, torch.Tensor]] = {}
    for key, value in sd.items():
        m = layer_re.match(key)
        if m:
            i, rest = int(m.group(1)), m.group(2)
            lin = re.match(r'self_attn\.linears\.([012])\.(weight|bias)$',
                           rest)
            if lin:
                qkv.setdefault((i, lin.group(2)),
                               {})[int(lin.group(1))] = value
                continue
            new = next((n + rest[len(o):]
                        for o, n in table.items() if rest.startswith(o)), None)
            if new is None:
                raise ConversionError(f'unexpected official key {key!r}')
            out[f'{dst}.layers.{i}.{new}'] = _squeeze_1x1(key, value)
        elif key.startswith(f'{src}.model.norm.'):
            out[f'{dst}.final_norm.{_NORM[key.rsplit(".", 1)[1]]}'] = value
    for (i, kind), parts in qkv.items():
        if sorted(parts) != [0, 1, 2]:
            raise ConversionError(f'{src} layer {i}: incomplete q/k/v')
        out[f'{dst}.layers.{i}.attn.qkv.{kind}'] = torch.cat(
            [parts[0], parts[1], parts[2]], dim=0)


def _convert_encoder(sd: Tensors, prefix: str, out: Tensors) -> None:
    for key, value in sd.items():
        for pattern, repl in _SEM:
            if pattern.match(key):
                out[prefix + pattern.sub(repl, key)] = _squeeze_1x1(key, value)
                break
    out[prefix + 'pos_embed'] = sd['Transformer.pos_embedding']
    _convert_transformer(sd, 'Transformer', prefix.rstrip('.'), _FFN_VANILLA,
                         out)


def _bn_linear(sd: Tensors, src: str, dst: str, out: Tensors) -> None:
    for key, value in sd.items():
        if key.startswith(f'{src}.0.'):
            out[f'{dst}.bn.{key[len(src) + 3:]}'] = value
        elif key.startswith(f'{src}.1.'):
            out[f'{dst}.fc.{key[len(src) + 3:]}'] = _squeeze_1x1(key, value)


def convert_stage2(sd: Tensors) -> Tensors:
    """Official ``Model`` (Stage II) -> our ``PoseLifter`` keys."""
    out: Tensors = OrderedDict()
    _convert_encoder(sd, 'backbone.encoder.', out)
    out['backbone.mofa.pos_embeds'] = torch.cat(
        [sd[f'Transformer_reduce.model.pos_embedding_{i}'] for i in (1, 2, 3)])
    _convert_transformer(sd, 'Transformer_reduce', 'backbone.mofa',
                         _FFN_STRIDED, out)
    _bn_linear(sd, 'fcn', 'head.single_head', out)
    _bn_linear(sd, 'fcn_1', 'head.multi_head', out)
    return out


def convert_stage1(sd: Tensors) -> Tensors:
    """Official ``Model_MAE`` (Stage I) -> our ``MaskedPoseModeling`` keys."""
    out: Tensors = OrderedDict()
    _convert_encoder(sd, 'encoder.', out)
    _convert_transformer(sd, 'Transformer_dec', 'decoder', _FFN_VANILLA, out)
    out['decoder.in_norm.weight'] = sd['encoder_LN.a_2']
    out['decoder.in_norm.bias'] = sd['encoder_LN.b_2']
    out['decoder.in_proj.weight'] = sd['encoder_to_decoder.weight']
    out['decoder.pos_embed'] = sd['dec_pos_embedding']
    out['decoder.mask_token'] = sd['mask_token']
    _bn_linear(sd, 'fcn_dec', 'decoder.head', out)
    out['spatial_mask_token'] = sd['spatial_mask_token'].reshape(-1)
    return out


def convert_refine(sd: Tensors) -> Tensors:
    """Official ``refine`` -> our ``STMORefineHead`` keys
    (``head.refine.*``)."""
    names = {
        'post_refine.0.': 'head.refine.fc1.',
        'post_refine.3.': 'head.refine.fc2.'
    }
    out: Tensors = OrderedDict()
    for key, value in sd.items():
        for old, new in names.items():
            if key.startswith(old):
                out[new + key[len(old):]] = value
    return out


def convert(ckpt) -> Tuple[Tensors, str]:
    """Convert a loaded official checkpoint.

    Returns:
        tuple: our state dict and a description of the recognised model.

    Raises:
        ConversionError: Not a supported official P-STMO checkpoint, or
            tensors left unconverted.
    """
    sd = official_state_dict(ckpt)
    if 'Transformer_dec.model.norm.a_2' in sd:
        out, kind = convert_stage1(sd), 'Stage I (masked pose modelling)'
    elif 'Transformer_reduce.model.pos_embedding_1' in sd:
        out, kind = convert_stage2(sd), 'Stage II (STMO)'
    elif 'post_refine.0.weight' in sd:
        return convert_refine(sd), 'refinement module'
    else:
        raise ConversionError(
            'not an official P-STMO checkpoint: found none of '
            'Transformer_reduce.* (Stage II), Transformer_dec.* (Stage I), '
            f'post_refine.* (refine); first keys: {list(sd)[:5]}')
    num_in = sum(v.numel() for v in sd.values())
    num_out = sum(v.numel() for v in out.values())
    if num_in != num_out:
        raise ConversionError(f'{num_in - num_out} official parameters were '
                              'not converted')
    seq_len = sd['Transformer.pos_embedding'].shape[1]
    depth = 1 + max(
        int(k.split('.')[3])
        for k in sd if k.startswith('Transformer.model.layers.'))
    desc = f'{kind}: N={seq_len}, TEM layers={depth}'
    if 'Transformer_reduce.model.pos_embedding_1' in sd:
        mofa = 1 + max(
            int(k.split('.')[3])
            for k in sd if k.startswith('Transformer_reduce.model.layers.'))
        desc += f', MOFA layers={mofa}'
    return out, desc


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='official checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument(
        '--refine', help='official refinement-module checkpoint to merge')
    args = parser.parse_args()
    state_dict, desc = convert(
        torch.load(args.src, map_location='cpu', weights_only=True))
    if args.refine:
        refine, refine_desc = convert(
            torch.load(args.refine, map_location='cpu', weights_only=True))
        if refine_desc != 'refinement module':
            raise ConversionError(f'{args.refine} is a {refine_desc} '
                                  'checkpoint, not a refinement module')
        state_dict.update(refine)
        desc += ' + refinement module'
    atomic_torch_save(
        dict(
            state_dict=state_dict,
            meta=dict(converted_from=args.src, model=desc)), args.dst)
    print(f'{desc}: {len(state_dict)} tensors written to {args.dst}')


if __name__ == '__main__':
    main()
