"""Measuring a model the way the result rows report it, on top of :mod:`zoo.metrics`.

* :func:`static_figures` — parameters, non-zero parameters, FLOPs (of the float model when the
  measured model is int8), serialized size, and the packed size of fake-quantised weights at their
  bit widths.
* :func:`latency_session` — CPU latency of several models at once, *interleaved*: round after
  round, each model runs a few timed forward passes (:func:`zoo.metrics.latency`, thread count
  fixed), in an order shuffled every round, and its latency is the median of its round medians.
  On a shared machine the load drifts and comes in bursts; interleaving in random order exposes
  every model to the same drift, so the speed-ups and the ours ÷ peer ratios computed within one
  session stay fair. (In a fixed order, a periodic burst made one of two identical pruned
  ResNet-56s 12 % slower than the other.)
* :func:`steady_allocator` — keeps glibc's ``malloc`` from handing activation buffers back to
  the kernel between forward passes, so latency is that of the steady state a serving process
  reaches (Intel's PyTorch CPU tuning guide swaps in jemalloc or tcmalloc for the same reason).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import random
import statistics
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from ..metrics import (
    count_flops,
    count_nonzero_parameters,
    count_parameters,
    latency,
    serialized_size,
)

__all__ = [
    "LatencyProtocol",
    "deployed",
    "latency_session",
    "packed_bytes",
    "static_figures",
    "steady_allocator",
]

# glibc's mallopt parameters (malloc.h) and the largest mmap threshold it accepts on 64-bit.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD_MAX = 32 * 2**20
_TRIM_NEVER = 2**31 - 1


def packed_bytes(model: nn.Module, weight_bits: Mapping[str, int]) -> int:
    """Bytes of the parameters with the named ones at their bit widths and the rest in float32."""
    named = dict(model.named_parameters())
    unknown = sorted(set(weight_bits) - set(named))
    if unknown:
        raise ValueError(f"weight_bits names parameters the model lacks: {', '.join(unknown)}")
    bits = sum(p.numel() * weight_bits.get(name, 32) for name, p in named.items())
    return (bits + 7) // 8


def static_figures(model: nn.Module, example_inputs: torch.Tensor, *,
                   float_model: nn.Module | None = None,
                   weight_bits: Mapping[str, int] | None = None) -> dict[str, Any]:
    """Parameters, non-zero parameters, FLOPs per input, serialized and packed bytes.

    An int8 model's packed weights are not parameters and its integer kernels are invisible
    to the FLOP counter, so with ``float_model`` (what it was converted from: the same operations
    on 8-bit operands) parameters and FLOPs are counted there; the size is always ``model``'s:
    ``torch.save`` of its state, or the file's bytes for a model run by ONNX Runtime.
    """
    from .ort import OrtModule

    counted = float_model if float_model is not None else model
    return {
        "params": count_parameters(counted),
        "nonzero_params": count_nonzero_parameters(counted),
        "flops": count_flops(counted, example_inputs),
        "size_bytes": model.size_bytes if isinstance(model, OrtModule) else serialized_size(model),
        "packed_bytes": packed_bytes(model, weight_bits) if weight_bits else None,
    }


def deployed(model: nn.Module, example_inputs: torch.Tensor) -> tuple[nn.Module, bool]:
    """The inference form of ``model``: BatchNorm folded into the preceding convolution.

    Deployment runtimes (TorchScript freezing, ONNX Runtime, PyTorch's int8 flow) all fold
    BatchNorm, and the unfolded BN and activation passes, which shrink only linearly with the
    channel count, hide much of what pruning saves. Folding uses ``torch.fx``'s ``fuse`` (exact
    ``Conv2d``–``BatchNorm2d`` pairs only, so quantisation-aware layers are left alone); a model
    that does not trace, or whose folded outputs differ, is returned as it is (``False``).
    """
    with warnings.catch_warnings():  # the module imports torch.utils.mkldnn, which announces
        warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript's deprecation
        from torch.fx.experimental.optimization import fuse

    was_training = model.training
    model.eval()
    try:
        folded = fuse(model)
        with torch.no_grad():
            same = torch.allclose(folded(example_inputs), model(example_inputs), rtol=1e-3,
                                  atol=1e-4)
    except Exception:  # not traceable by torch.fx: measure the module as it is
        return model, False
    finally:
        model.train(was_training)
    def norms(m: nn.Module) -> int:
        return sum(isinstance(sub, nn.modules.batchnorm._BatchNorm) for sub in m.modules())

    return (folded, True) if same and norms(folded) < norms(model) else (model, False)


def steady_allocator() -> str:
    """Stop glibc's ``malloc`` from returning freed memory to the kernel; say what was done.

    By default glibc serves blocks above a dynamic threshold with fresh ``mmap`` pages and trims
    the heap when the top is free, so a forward pass can pay a page fault for every 4 KiB of
    activations it writes. Measured here on ResNet-56 at batch 64 (4 MiB activations): 20 000 –
    30 000 minor faults per pass and 150 ms → 200–300 ms, depending on which model ran before —
    noise that has nothing to do with the model. Raising the mmap threshold to glibc's maximum
    (32 MiB) and disabling trimming keeps the pages mapped for the rest of the process. Other C
    libraries are left alone (the returned text says so).
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return f"default (no glibc mallopt in {name or 'this C library'})"
    mmap_ok = mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX) == 1
    trim_ok = mallopt(_M_TRIM_THRESHOLD, _TRIM_NEVER) == 1
    if not (mmap_ok and trim_ok):
        return "default (glibc refused mallopt)"
    return "glibc malloc, mmap threshold 32 MiB, heap trimming off (steady state, no page faults)"


class LatencyProtocol:
    """Thread count, batch sizes, warm-up and the interleaving of a latency session."""

    def __init__(self, *, threads: int = 1, batch_sizes: Sequence[int] = (1, 64),
                 warmup: int = 3, rounds: int = 5, repeats: int = 5, seed: int = 0) -> None:
        if threads < 1 or rounds < 1 or repeats < 1:
            raise ValueError(f"threads, rounds and repeats must be ≥ 1: {threads}, {rounds}, "
                             f"{repeats}")
        self.threads, self.batch_sizes = threads, tuple(batch_sizes)
        self.warmup, self.rounds, self.repeats, self.seed = warmup, rounds, repeats, seed

    @classmethod
    def for_run(cls, *, quick: bool, threads: int = 1) -> LatencyProtocol:
        """Nine rounds of five timed passes; three of three with ``quick``. (With five rounds,
        two identical pruned ResNet-56s still differed by 5 % at batch 64 on a shared machine.)"""
        return cls(threads=threads, rounds=3, repeats=3) if quick else cls(threads=threads,
                                                                          rounds=9)

    def as_dict(self) -> dict[str, Any]:
        return {"threads": self.threads, "batch_sizes": list(self.batch_sizes),
                "warmup": self.warmup, "rounds": self.rounds, "repeats_per_round": self.repeats,
                "statistic": "median over rounds of the median forward time of each round; "
                             "the models' order is shuffled every round (seeded)",
                "order_seed": self.seed,
                "form": "deployed: BatchNorm folded into convolutions where torch.fx can (the "
                        "row's bn_folded); latency_eager_ms times the module as trained"}


def latency_session(models: Mapping[str, nn.Module], inputs: torch.Tensor,
                    protocol: LatencyProtocol) -> dict[str, dict[str, dict[str, float]]]:
    """``{name: {batch: {"median": ms, "min": ms, "max": ms}}}`` for every model and batch size.

    ``inputs`` must hold at least the largest batch size of images; ``min``/``max`` are the
    extreme round medians (how much the machine's load moved the figure).
    """
    largest = max(protocol.batch_sizes)
    if len(inputs) < largest:
        raise ValueError(f"need {largest} inputs for batch size {largest}, got {len(inputs)}")
    rounds: dict[str, dict[int, list[float]]] = {
        name: {b: [] for b in protocol.batch_sizes} for name in models}
    for batch in protocol.batch_sizes:
        x = inputs[:batch]
        for model in models.values():  # warm-up: allocation, kernel selection, caches
            latency(model, x, warmup=protocol.warmup, repeats=1, threads=protocol.threads)
        order = list(models)
        shuffle = random.Random(f"{protocol.seed}-{batch}").shuffle
        for _ in range(protocol.rounds):
            shuffle(order)  # a burst of load elsewhere must not always hit the same models
            for name in order:
                seconds = latency(models[name], x, warmup=1, repeats=protocol.repeats,
                                  threads=protocol.threads)
                rounds[name][batch].append(1e3 * seconds)
    return {
        name: {str(b): {"median": round(statistics.median(v), 4), "min": round(min(v), 4),
                        "max": round(max(v), 4)} for b, v in per_batch.items()}
        for name, per_batch in rounds.items()
    }
