"""What a compressed model is judged by: parameters, FLOPs, bytes on disk, CPU latency, accuracy.

* FLOPs come from :class:`torch.utils.flop_counter.FlopCounterMode`, which counts a multiply-add
  as **two** FLOPs (so a conv's FLOPs are ``2 · MACs``) and only counts the big operators
  (convolutions, matrix products, attention); element-wise ops such as BN or ReLU count zero.
* Serialized size is the byte length of ``torch.save(model.state_dict())`` — quantized modules'
  packed int8 weights included, so it shows real savings rather than a theoretical bit count.
* Latency is the median wall time of repeated forward passes after warm-up, with the thread count
  fixed for the measurement and restored afterwards.
* Accuracy is top-1, a fraction in [0, 1] ("2 points" = 0.02).

>>> import torch
>>> from zoo.nets import digits_cnn
>>> model, x = digits_cnn(), torch.zeros(1, 1, 8, 8)
>>> count_parameters(model) > 0 and count_flops(model, x) > 0
True
>>> serialized_size(model) > 4 * count_parameters(model)  # fp32 weights plus a little framing
True
"""

from __future__ import annotations

from .registry import import_zoo_module

import_zoo_module("torch", __name__)  # without PyTorch: MissingExtraError with the install line

import io
import statistics
import time
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

__all__ = [
    "accuracy",
    "count_flops",
    "count_nonzero_parameters",
    "count_parameters",
    "latency",
    "outputs_and_targets",
    "serialized_size",
    "top1",
]

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]


def _as_args(example_inputs: Any) -> tuple[Any, ...]:
    return tuple(example_inputs) if isinstance(example_inputs, list | tuple) else (example_inputs,)


def count_parameters(model: nn.Module) -> int:
    """Number of parameter elements (pruning masks are buffers, so they do not count)."""
    return sum(p.numel() for p in model.parameters())


def count_nonzero_parameters(model: nn.Module) -> int:
    """Parameter elements that are not zero once masks are applied — the unstructured-pruning size.

    With ``torch.nn.utils.prune`` the effective weight is the attribute ``<name>`` (original times
    mask), so the count reads the modules' effective tensors, not ``<name>_orig``.
    """
    total = 0
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            effective = getattr(module, name.removesuffix("_orig"), param)
            total += int(torch.count_nonzero(effective.detach()))
    return total


@torch.no_grad()
def count_flops(model: nn.Module, example_inputs: Any) -> int:
    """FLOPs of one forward pass on ``example_inputs`` (a tensor or a tuple of positional args)."""
    was_training = model.training
    model.eval()
    try:
        with FlopCounterMode(display=False) as counter:
            model(*_as_args(example_inputs))
    finally:
        model.train(was_training)
    return int(counter.get_total_flops())


def serialized_size(model: nn.Module) -> int:
    """Bytes of ``torch.save(model.state_dict())``."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


@torch.no_grad()
def latency(
    model: nn.Module, example_inputs: Any, *, warmup: int = 5, repeats: int = 30, threads: int = 1
) -> float:
    """Median seconds per forward pass on the CPU, using ``threads`` intra-op threads.

    With glibc's default ``malloc``, large activations can cost page faults on every pass and
    the figure then depends on what ran before; :func:`zoo.bench.measure.steady_allocator`
    (what ``aladin bench`` calls once per process) removes that noise.
    """
    args = _as_args(example_inputs)
    previous_threads = torch.get_num_threads()
    was_training = model.training
    model.eval()
    torch.set_num_threads(threads)
    try:
        for _ in range(warmup):  # first calls pay for allocation and kernel selection
            model(*args)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model(*args)
            times.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous_threads)
        model.train(was_training)
    return statistics.median(times)


@torch.no_grad()
def outputs_and_targets(model: nn.Module, data: Batches) -> tuple[torch.Tensor, torch.Tensor]:
    """All of the model's outputs on ``data`` (``(inputs, targets)`` batches), in eval mode."""
    was_training = model.training
    model.eval()
    try:
        outputs, targets = [], []
        for x, y in data:
            outputs.append(model(x))
            targets.append(y)
    finally:
        model.train(was_training)
    if not outputs:
        raise ValueError("no batches to evaluate on: the data iterable is empty")
    return torch.cat(outputs), torch.cat(targets)


def top1(outputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of rows whose arg-max equals the target."""
    return float((outputs.argmax(dim=1) == targets).float().mean())


def accuracy(model: nn.Module, data: Batches) -> float:
    """Top-1 accuracy in [0, 1] of ``model`` on ``data`` (``(inputs, targets)`` batches)."""
    return top1(*outputs_and_targets(model, data))
