"""ONNX export of single-input models and their check with onnxruntime.

Exported are the networks of top-down 2D pose configs (TokenPose / PPT,
token pruning included: the kept-token count is fixed by the input size, so
HTI becomes ``TopK`` + ``GatherElements``) and of 2D-to-3D lifting configs
(P-STMO): what ``model(x, mode='tensor')`` computes, with the batch axis
dynamic. Pre-processing (crop, normalisation) and decoding (heatmap argmax /
DARK, flip test) stay outside the graph, as in mmdeploy's pose SDK:

* top-down: ``input`` ``(B, 3, H, W)`` normalised crops -> ``heatmaps``
  ``(B, K, h, w)``;
* lifting: ``input`` ``(B, N, J, 2)`` normalised 2D windows -> ``pose_3d``
  ``(B, 1, J, 3)`` root-relative centre frame and ``pose_3d_seq``
  ``(B, N, J, 3)`` (P-STMO's all-frame head).

The TorchScript-based exporter (``dynamo=False``) is used: it needs no
extra package and handles these graphs. An operator it cannot translate
stops the export with :class:`OnnxExportError` naming that operator.
"""
import io
import re
from typing import Dict, List, Optional

import numpy as np
import torch
from torch import Tensor, nn

from mmhuman_ext.utils.atomic_io import atomic_write_bytes

DEFAULT_OPSET = 17


class OnnxExportError(RuntimeError):
    """The model cannot be exported; the message names the operator or
    the part of the model that stops it."""


class TensorModeGraph(nn.Module):
    """``model(x, None, mode='tensor')`` as a module of one input whose
    outputs are a flat tuple of tensors."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: Tensor):
        out = self.model(x, None, mode='tensor')
        flat: List[Tensor] = []

        def collect(value):
            if isinstance(value, Tensor):
                flat.append(value)
            elif isinstance(value, (list, tuple)):
                for v in value:
                    collect(v)
            elif value is not None:
                raise OnnxExportError(
                    f'{type(self.model).__name__} returns a '
                    f'{type(value).__name__} in tensor mode; only tensors '
                    'can be graph outputs')

        collect(out)
        return tuple(flat)


def model_kind(model: nn.Module) -> str:
    """``'topdown'`` or ``'lifting'``; raises :class:`OnnxExportError` for
    models that take more than one input."""
    name = type(model).__name__
    if name == 'PoseLifter':
        return 'lifting'
    if name in ('TopdownPoseEstimator', ):
        return 'topdown'
    if name == 'MultiViewTopdownPoseEstimator':
        raise OnnxExportError(
            f'{name}: the graph needs each view\'s camera rays from the data '
            'samples besides the images; ONNX export covers single-input '
            'models (top-down 2D pose, 2D-to-3D lifting)')
    raise OnnxExportError(
        f'{name}: ONNX export covers TopdownPoseEstimator (TokenPose / PPT) '
        'and PoseLifter (P-STMO) configs')


def output_names(kind: str, num_outputs: int) -> List[str]:
    """Names of the graph outputs (module docstring)."""
    known = dict(topdown=['heatmaps'], lifting=['pose_3d', 'pose_3d_seq'])
    names = known[kind][:num_outputs]
    return names + [f'output_{i}' for i in range(len(names), num_outputs)]


_OPERATOR = re.compile(r"operator '?([\w:.]+)'?", re.IGNORECASE)


def _failing_operator(err: BaseException) -> Optional[str]:
    """The operator named by an exporter error (``aten::op``), if any."""
    text = str(err)
    match = _OPERATOR.search(text)
    if match:
        return match.group(1)
    match = re.search(r'(aten::\w+|prim::\w+|onnx::\w+)', text)
    return match.group(1) if match else None


def export_onnx(model: nn.Module,
                example: Tensor,
                path: Optional[str] = None,
                opset: int = DEFAULT_OPSET,
                dynamic_batch: bool = True) -> Dict:
    """Export ``model`` (eval mode) traced on ``example``.

    Args:
        model (nn.Module): A top-down or lifting estimator.
        example (Tensor): One input batch (its non-batch shape is fixed in
            the graph).
        path (str, optional): Write the ``.onnx`` file here (atomically).
        opset (int): ONNX opset. Defaults to 17.
        dynamic_batch (bool): Make the batch axis of every input and output
            dynamic.

    Returns:
        dict: ``onnx`` (the serialised model bytes), ``input_names``,
        ``output_names``, ``kind``.
    """
    import warnings
    kind = model_kind(model)
    graph = TensorModeGraph(model.eval()).eval()
    with torch.no_grad():
        num_outputs = len(graph(example))
    inputs, outputs = ['input'], output_names(kind, num_outputs)
    dynamic_axes = {n: {0: 'batch'} for n in inputs + outputs} \
        if dynamic_batch else None
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # tracer and deprecation notes
            torch.onnx.export(
                graph, (example, ),
                buffer,
                input_names=inputs,
                output_names=outputs,
                dynamic_axes=dynamic_axes,
                opset_version=opset,
                dynamo=False)
    except OnnxExportError:
        raise
    except Exception as err:  # the exporter raises several types
        op = _failing_operator(err)
        where = f'operator {op}' if op else type(err).__name__
        raise OnnxExportError(
            f'{type(model).__name__}: the ONNX exporter (opset {opset}) '
            f'stops at {where}: {str(err).splitlines()[0]}') from err
    data = buffer.getvalue()
    if path:
        atomic_write_bytes(path, data)
    return dict(onnx=data, input_names=inputs, output_names=outputs, kind=kind)


def ort_session(model_file, threads: Optional[int] = None):
    """An onnxruntime CPU session of an ``.onnx`` path or its bytes."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return ort.InferenceSession(
        model_file, options, providers=['CPUExecutionProvider'])


def run_session(session, inputs: np.ndarray) -> List[np.ndarray]:
    """Outputs of a one-input session on a float32 array."""
    name = session.get_inputs()[0].name
    return session.run(None, {name: np.ascontiguousarray(inputs, np.float32)})


@torch.no_grad()
def compare_with_pytorch(model: nn.Module, session,
                         inputs: Tensor) -> List[float]:
    """Largest absolute difference of each output, onnxruntime vs PyTorch,
    on ``inputs``."""
    expected = TensorModeGraph(model.eval())(inputs)
    got = run_session(session, inputs.numpy())
    if len(got) != len(expected):
        raise AssertionError(f'onnxruntime gives {len(got)} outputs, '
                             f'PyTorch {len(expected)}')
    diffs = []
    for e, g in zip(expected, got):
        if tuple(e.shape) != g.shape:
            raise AssertionError(f'output shape {g.shape} (onnxruntime) vs '
                                 f'{tuple(e.shape)} (PyTorch)')
        diffs.append(float(np.abs(e.numpy() - g).max()))
    return diffs
