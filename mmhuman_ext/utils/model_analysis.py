"""Parameters, FLOPs, speed and memory of a config's model.

Used by ``tools/analysis/get_flops.py`` and ``tools/analysis/benchmark.py``.

A model is measured on dummy inputs of the shape it is trained on:

1. ``model.dummy_inputs(batch_size)`` when the model defines it (multi-input
   models: lifting, generators);
2. for ``MultiViewTopdownPoseEstimator`` (TransFusion, multi-view PPT):
   ``(B, V, 3, H, W)`` crops (``V`` = ``views``, else the model's
   ``num_views``, else 4) and, when the config computes camera rays
   (``ComputeCameraRays``), data samples carrying random unit
   ``ray_dirs`` ``(V, L, 3)``, ``L`` the tokens at that ray stride;
3. else a ``(B, 3, H, W)`` image tensor from ``--shape``, ``cfg.input_shape``
   or the codec's ``input_size`` (``(W, H)``, mmpose convention); for
   mmpose's ``VideoPoseLifting`` codec (e.g. VideoPose3D's TCN) a
   ``(B, K * 2, T)`` keypoint sequence, ``T`` the dataset's ``seq_len``.

FLOPs are counted by :class:`torch.utils.flop_counter.FlopCounterMode`
(matrix products, convolutions and attention; MACs = FLOPs / 2). The
counter does not see the fused CPU attention kernels of
``scaled_dot_product_attention`` / ``nn.MultiheadAttention``;
``count_flops(..., math_attention=True)`` runs under the math SDPA backend
so that the attention products are counted too.

A subject's ``views`` is the number of images per sample (1 for
single-image models), so that throughput can be given in views (crops) per
second.
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
    views: int = 1


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
    if (codec is not None and codec.get('type') == 'VideoPoseLifting'
            and codec.get('reshape_keypoints', True)):
        # mmpose packs a lifting window as (K * C, T) (codec.encode)
        seq_len = cfg.test_dataloader.dataset.get('seq_len', 1)
        return (codec['num_keypoints'] * 2, seq_len)
    raise ValueError(
        'cannot tell the input shape of this config: pass --shape H W, set '
        '`input_shape = (C, H, W)` in the config, or give the model a '
        '`dummy_inputs(batch_size)` method')


def _forward_tensor_mode(model, inputs):
    if isinstance(inputs, dict):
        return model(**inputs, mode='tensor')
    return model(inputs, None, mode='tensor')


def _find_transform(obj, type_name: str) -> Optional[dict]:
    """The first dict with ``type=type_name`` nested in ``obj``."""
    if isinstance(obj, dict):
        if obj.get('type') == type_name:
            return obj
        children = obj.values()
    elif isinstance(obj, (list, tuple)):
        children = obj
    else:
        return None
    for child in children:
        found = _find_transform(child, type_name)
        if found is not None:
            return found
    return None


def multiview_inputs(cfg, model: nn.Module, views: Optional[int] = None,
                     shape: Optional[Sequence[int]] = None
                     ) -> Tuple[int, Callable[[int], dict]]:
    """``(V, make_inputs)`` for a ``MultiViewTopdownPoseEstimator``:
    ``make_inputs(B)`` gives ``dict(inputs=(B, V, C, H, W),
    data_samples=...)``, the samples carrying unit ``ray_dirs`` when the
    config's test pipeline computes rays (``ComputeCameraRays``)."""
    from mmpose.structures import PoseDataSample
    num_views = views or getattr(model, 'num_views', None) or 4
    c, h, w = input_shape_of(cfg, shape)
    rays = _find_transform(cfg.get('test_dataloader'), 'ComputeCameraRays')
    tokens = None
    if rays is not None:
        stride = rays.get('stride', 1)
        tokens = (h // stride) * (w // stride)

    def make_inputs(batch_size):
        g = torch.Generator().manual_seed(0)
        imgs = torch.randn(batch_size, num_views, c, h, w, generator=g)
        samples = []
        for _ in range(batch_size):
            sample = PoseDataSample(metainfo={})
            if tokens is not None:
                dirs = torch.randn(num_views, tokens, 3, generator=g)
                sample.set_field(dirs / dirs.norm(dim=-1, keepdim=True),
                                 'ray_dirs')
            samples.append(sample)
        return dict(inputs=imgs, data_samples=samples)

    return num_views, make_inputs


def _set_views(model_cfg, views: int) -> None:
    """Let a multi-view model take ``views`` crops per sample: the view
    count, and for test pairs that do not cover them, the one pair of a
    two-view sample."""
    if model_cfg.get('num_views') is not None:
        model_cfg.num_views = views
    pairs = model_cfg.get('test_pairs')
    if model_cfg.get('view_mode') == 'pairs' and pairs is not None and \
            sorted(v for p in pairs for v in p) != list(range(views)):
        if views != 2:
            raise ValueError(
                f'test_pairs {pairs} do not cover {views} views: set '
                'model.test_pairs with --cfg-options')
        model_cfg.test_pairs = [(0, 1)]


def subject_from_config(path: str, name: Optional[str] = None,
                        shape: Optional[Sequence[int]] = None,
                        cfg_options: Optional[dict] = None,
                        views: Optional[int] = None) -> Subject:
    """Build the model of a config file (random weights, eval mode);
    ``views``: images per sample of a multi-view model."""
    from mmhuman_ext.registry import MODELS
    from mmhuman_ext.utils.setup_env import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    multiview = cfg.model.get('type') == 'MultiViewTopdownPoseEstimator'
    if multiview and views:
        _set_views(cfg.model, views)
    try:
        model = MODELS.build(cfg.model).eval()
    except KeyError as exc:
        from mmhuman_ext.utils.errors import explain_unknown_type
        message = explain_unknown_type(exc)
        if message is None:
            raise
        raise ValueError(f'{path}: {message}') from None
    num_views = 1
    if hasattr(model, 'dummy_inputs'):
        make_inputs = model.dummy_inputs
    elif multiview:
        num_views, make_inputs = multiview_inputs(cfg, model, views, shape)
    else:
        sample_shape = input_shape_of(cfg, shape)

        def make_inputs(batch_size):
            return torch.randn(batch_size, *sample_shape)

    return Subject(name or path, model, make_inputs, _forward_tensor_mode,
                   views=num_views)


def subject_from_python(spec: str, name: Optional[str] = None,
                        views: Optional[int] = None) -> Subject:
    """Load ``py:FILE.py:FUNC`` with ``FUNC(batch_size) -> (model, inputs)``.

    This measures code that lives outside the repository (e.g. an official
    implementation) in the same run as ours, without importing it here.
    ``inputs`` is a tensor or a tuple of positional arguments. ``views``
    (images per sample, for views/s) defaults to ``FUNC.views`` or 1.
    """
    _, file, func = spec.split(':', 2)
    module_spec = importlib.util.spec_from_file_location('_bench_ext', file)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    factory = getattr(module, func)
    model = factory(1)[0].eval()

    def forward(m, inputs):
        return m(*inputs) if isinstance(inputs, tuple) else m(inputs)

    return Subject(name or spec, model, lambda b: factory(b)[1], forward,
                   views=views or getattr(factory, 'views', 1))


def make_subject(spec: str, **kwargs) -> Subject:
    """A config path, or ``py:FILE:FUNC`` for outside code."""
    if spec.startswith('py:'):
        return subject_from_python(spec, kwargs.get('name'),
                                   kwargs.get('views'))
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
def count_flops(subject: Subject, batch_size: int = 1,
                math_attention: bool = False) -> int:
    """FLOPs of one forward pass of ``batch_size`` samples; with
    ``math_attention`` under the math SDPA backend, so that attention
    products are counted on CPU as well (see the module docstring)."""
    import contextlib

    from torch.utils.flop_counter import FlopCounterMode
    inputs = subject.make_inputs(batch_size)
    counter = FlopCounterMode(display=False)
    backend = contextlib.nullcontext()
    if math_attention:
        from torch.nn.attention import SDPBackend, sdpa_kernel
        backend = sdpa_kernel(SDPBackend.MATH)
    with backend, counter:
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
    """Median latency per batch (ms), throughput (samples/s) and views
    (images) per second."""
    median = statistics.median(subject.times)
    return dict(
        latency_ms=1000 * median,
        latency_ms_min=1000 * min(subject.times),
        throughput=batch_size / median,
        views_per_sample=subject.views,
        views_per_s=batch_size * subject.views / median)


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
