"""Parameters, FLOPs, speed and memory of a config's model.

Used by ``tools/analysis/get_flops.py`` and ``tools/analysis/benchmark.py``.

A model is measured on dummy inputs of the shape it is trained on:

1. ``model.dummy_inputs(batch_size)`` when the model defines it (multi-input
   models: multi-view, lifting, generators);
2. else a ``(B, 3, H, W)`` image tensor from ``--shape``, ``cfg.input_shape``
   or the codec's ``input_size`` (``(W, H)``, mmpose convention).

FLOPs are counted by :class:`torch.utils.flop_counter.FlopCounterMode`
(matrix products, convolutions and attention; MACs = FLOPs / 2).
"""
import gc
import importlib.util
import resource
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from torch import nn


@dataclass
class Subject:
    """One model under measurement."""
    name: str
    model: nn.Module
    make_inputs: Callable[[int], object]
    forward: Callable[[nn.Module, object], object]
    times: List[float] = field(default_factory=list)


def _find_codec(cfg) -> Optional[dict]:
    codec = cfg.get('codec')
    if isinstance(codec, dict):
        return codec
    if isinstance(codec, (list, tuple)) and codec:
        return codec[0]
    return None


def input_shape_of(cfg, shape: Optional[Sequence[int]] = None
                   ) -> Tuple[int, ...]:
    """The per-sample input shape ``(C, H, W)`` used to measure ``cfg``."""
    if shape:
        return tuple(shape) if len(shape) == 3 else (3, *shape)
    if cfg.get('input_shape'):
        return tuple(cfg.input_shape)
    codec = _find_codec(cfg)
    if codec is not None and 'input_size' in codec:
        w, h = codec['input_size']
        return (3, h, w)
    raise ValueError(
        'cannot tell the input shape of this config: pass --shape H W, set '
        '`input_shape = (C, H, W)` in the config, or give the model a '
        '`dummy_inputs(batch_size)` method')


def _forward_tensor_mode(model, inputs):
    if isinstance(inputs, dict):
        return model(**inputs, mode='tensor')
    return model(inputs, None, mode='tensor')


def subject_from_config(path: str, name: Optional[str] = None,
                        shape: Optional[Sequence[int]] = None,
                        cfg_options: Optional[dict] = None) -> Subject:
    """Build the model of a config file (random weights, eval mode)."""
    from mmhuman_ext.registry import MODELS
    from mmhuman_ext.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model = MODELS.build(cfg.model).eval()
    if hasattr(model, 'dummy_inputs'):
        make_inputs = model.dummy_inputs
    else:
        sample_shape = input_shape_of(cfg, shape)

        def make_inputs(batch_size):
            return torch.randn(batch_size, *sample_shape)

    return Subject(name or path, model, make_inputs, _forward_tensor_mode)


def subject_from_python(spec: str, name: Optional[str] = None) -> Subject:
    """Load ``py:FILE.py:FUNC`` with ``FUNC(batch_size) -> (model, inputs)``.

    This measures code that lives outside the repository (e.g. an official
    implementation) in the same run as ours, without importing it here.
    ``inputs`` is a tensor or a tuple of positional arguments.
    """
    _, file, func = spec.split(':', 2)
    module_spec = importlib.util.spec_from_file_location('_bench_ext', file)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    factory = getattr(module, func)
    model = factory(1)[0].eval()

    def forward(m, inputs):
        return m(*inputs) if isinstance(inputs, tuple) else m(inputs)

    return Subject(name or spec, model, lambda b: factory(b)[1], forward)


def make_subject(spec: str, **kwargs) -> Subject:
    """A config path, or ``py:FILE:FUNC`` for outside code."""
    if spec.startswith('py:'):
        return subject_from_python(spec, kwargs.get('name'))
    return subject_from_config(spec, **kwargs)


def count_parameters(model: nn.Module) -> Dict[str, int]:
    """All and trainable parameter counts."""
    return dict(
        params=sum(p.numel() for p in model.parameters()),
        trainable=sum(p.numel() for p in model.parameters()
                      if p.requires_grad))


def _to(inputs, device):
    if isinstance(inputs, torch.Tensor):
        return inputs.to(device)
    if isinstance(inputs, dict):
        return {k: _to(v, device) for k, v in inputs.items()}
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(_to(v, device) for v in inputs)
    return inputs


@torch.inference_mode()
def count_flops(subject: Subject, batch_size: int = 1) -> int:
    """FLOPs of one forward pass of ``batch_size`` samples."""
    from torch.utils.flop_counter import FlopCounterMode
    inputs = subject.make_inputs(batch_size)
    counter = FlopCounterMode(display=False)
    with counter:
        subject.forward(subject.model, inputs)
    return counter.get_total_flops()


def _sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


@torch.inference_mode()
def time_alternating(subjects: List[Subject], batch_size: int,
                     warmup: int, repeats: int,
                     device: torch.device) -> None:
    """Time one batch per subject per round, alternating, into ``.times``.

    Alternating the subjects inside every round exposes all of them to the
    same machine load, so their ratio holds on a noisy shared machine.
    """
    batches = []
    for s in subjects:
        s.model.to(device)
        batches.append(_to(s.make_inputs(batch_size), device))
    for round_idx in range(warmup + repeats):
        for s, inputs in zip(subjects, batches):
            _sync(device)
            start = time.perf_counter()
            s.forward(s.model, inputs)
            _sync(device)
            if round_idx >= warmup:
                s.times.append(time.perf_counter() - start)


@torch.inference_mode()
def peak_memory_mib(subject: Subject, batch_size: int,
                    device: torch.device) -> float:
    """Extra memory at the peak of one forward pass, in MiB.

    GPU: the allocator's peak above what was allocated before. CPU: the
    process's peak resident set size above its size before the forward,
    meaningful only in a fresh process (benchmark.py runs one per model).
    """
    if device.type != 'cuda':
        inputs = subject.make_inputs(batch_size)
        gc.collect()
        with open('/proc/self/statm') as f:
            base = int(f.read().split()[1]) * resource.getpagesize()
        subject.forward(subject.model, inputs)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return max(peak - base, 0) / 2**20
    inputs = _to(subject.make_inputs(batch_size), device)
    gc.collect()
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device)
    subject.forward(subject.model.to(device), inputs)
    _sync(device)
    return (torch.cuda.max_memory_allocated(device) - base) / 2**20


def summarize(subject: Subject, batch_size: int) -> Dict[str, float]:
    """Median latency per batch (ms) and throughput (samples/s)."""
    median = statistics.median(subject.times)
    return dict(
        latency_ms=1000 * median,
        latency_ms_min=1000 * min(subject.times),
        throughput=batch_size / median)


def ratios_to_first(subjects: List[Subject]) -> List[float]:
    """Per-round speed ratio of each subject to the first, medianed."""
    base = subjects[0].times
    return [
        statistics.median(b / t for b, t in zip(base, s.times))
        for s in subjects
    ]


def matmul_gflops(device: torch.device, n: int = 2048,
                  repeats: int = 5) -> float:
    """The machine's fp32 matrix-multiply rate, a reference for FLOP/s."""
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    a @ b
    _sync(device)
    best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9
