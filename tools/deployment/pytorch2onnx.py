"""Export a config's model to ONNX and check it against PyTorch.

    python tools/deployment/pytorch2onnx.py CONFIG [CHECKPOINT] \
        --output-file model.onnx [--shape H W] [--opset 17] \
        [--no-dynamic-batch] [--no-verify] [--tolerance 1e-4]

Top-down 2D pose configs (TokenPose / PPT, pruning included) export
``input`` (B, 3, H, W) -> ``heatmaps``; lifting configs (P-STMO) export
``input`` (B, N, J, 2) -> ``pose_3d`` (+ ``pose_3d_seq``); the batch axis
is dynamic (see :mod:`mmhuman_ext.apis.onnx_export`). Without a checkpoint
the weights are random (for a speed or export check). The check runs the
file in onnxruntime (CPU) on two random batches of other sizes than the
traced one and fails when an output differs from PyTorch by more than
``--tolerance``. A model that cannot be exported stops with the operator
that the exporter could not translate.
"""
import argparse
import sys

import torch
from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?')
    parser.add_argument('--output-file', default='tmp.onnx')
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        help='input shape per sample (H W) if the config '
        'does not tell')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument('--no-dynamic-batch', action='store_true')
    parser.add_argument(
        '--no-verify', action='store_true', help='skip the onnxruntime check')
    parser.add_argument('--tolerance', type=float, default=1e-4)
    parser.add_argument(
        '--partial-load',
        action='store_true',
        help='export with a checkpoint that fills fewer than half of the '
        'model\'s tensors (refused by default; the check then compares with '
        'that partly loaded model)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None):
    from mmhuman_ext.apis.onnx_export import (OnnxExportError,
                                              compare_with_pytorch,
                                              export_onnx, ort_session)
    from mmhuman_ext.utils.model_analysis import subject_from_config
    from mmhuman_ext.utils.run import (CheckpointMismatchError,
                                       checkpoint_fit, load_model_weights,
                                       model_state_of)
    args = parse_args(argv)
    subject = subject_from_config(
        args.config, shape=args.shape, cfg_options=args.cfg_options)
    model = subject.model
    weights = 'random weights'
    if args.checkpoint:
        try:
            checkpoint = load_model_weights(model, args.checkpoint,
                                            args.partial_load)
        except CheckpointMismatchError as err:
            sys.exit(f'{err}; nothing was exported')
        loaded, total, _ = checkpoint_fit(model, model_state_of(checkpoint))
        weights = f'{args.checkpoint}, {loaded} of {total} tensors'
        if loaded < total:
            weights += (f'; the other {total - loaded} keep random values: '
                        'this checks the export of the partly loaded model, '
                        'not of the checkpoint\'s model')
    model.eval()
    torch.manual_seed(0)
    example = subject.make_inputs(1 if args.no_dynamic_batch else 2)
    if not isinstance(example, torch.Tensor):
        sys.exit(f'{args.config}: the model takes several inputs; ONNX '
                 'export covers single-input models')
    try:
        out = export_onnx(
            model,
            example,
            args.output_file,
            args.opset,
            dynamic_batch=not args.no_dynamic_batch)
    except OnnxExportError as err:
        sys.exit(f'{args.config}: {err}')
    print(f'wrote {args.output_file} ({len(out["onnx"]) / 2**20:.1f} MiB): '
          f'{out["input_names"][0]} {tuple(example.shape[1:])} -> '
          f'{", ".join(out["output_names"])}, batch ' +
          ('fixed' if args.no_dynamic_batch else 'dynamic'))
    if args.no_verify:
        return
    session = ort_session(args.output_file)
    sizes = (1, ) if args.no_dynamic_batch else (1, 3)
    worst = 0.
    for batch in sizes:
        inputs = subject.make_inputs(batch)
        diffs = compare_with_pytorch(model, session, inputs)
        worst = max(worst, *diffs)
        print(f'batch {batch}: max |onnxruntime - PyTorch| per output ' +
              ', '.join(f'{n} {d:.2e}'
                        for n, d in zip(out['output_names'], diffs)))
    if worst > args.tolerance:
        sys.exit(f'onnxruntime differs from PyTorch by {worst:.2e} > '
                 f'{args.tolerance:g}')
    print(f'onnxruntime matches PyTorch within {args.tolerance:g} '
          f'(weights: {weights})')


if __name__ == '__main__':
    main()
