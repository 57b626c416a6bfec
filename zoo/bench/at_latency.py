"""Uniform pruning at a measured latency: HALP's comparators at equal latency.

HALP (:mod:`zoo.pruning.halp`) prunes to a latency; a uniform pruner (the same share of every
layer's channels) prunes to a ratio. Compared at the same ratio, the two land at different latencies
and the comparison says little. :func:`uniform_at_latency` finds the uniform ratio whose *measured*
latency reaches the same target instead: a bisection over the ratio, each step pruning the trained
model afresh and timing it as HALP times its calibration
(:func:`~zoo.pruning.halp.relative_latency`: eager, one thread by default, batch 64, 10 passes
alternating with the unpruned model's; the target is a fraction of the unpruned latency, so the
machine's load, which moved by 1.5× within one benchmark run, cancels out). Latency falls with the
ratio, up to timing noise and the staircase of channel counts, so the bisection keeps every
measurement and returns, of the steps within :data:`~zoo.pruning.halp.REACHED` × the target, the one
with the smallest ratio (it keeps the most channels) — HALP's own rule between two attempts that are
both on time.

>>> import torch, zoo
>>> from zoo.nets import digits_cnn
>>> model, x = digits_cnn(width=32), torch.zeros(1, 1, 8, 8)
>>> small, found = uniform_at_latency(
...     lambda r: zoo.prune(model, x, method="l1-norm", pruning_ratio=r), model, x,
...     latency_target=0.8, steps=3)
>>> small(x).shape, 0 < found.ratio <= 0.9, 1 <= len(found.steps) <= 3
(torch.Size([1, 10]), True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from ..pruning.halp import REACHED, measure_latency, relative_latency

__all__ = ["AtLatency", "uniform_at_latency"]


@dataclass(frozen=True)
class AtLatency:
    """What :func:`uniform_at_latency` found; times in milliseconds at ``batch_size``."""

    ratio: float  # the uniform pruning ratio chosen
    baseline_ms: float
    target_ms: float
    measured_ms: float  # the chosen model, measured
    reached: bool  # measured ≤ REACHED × target
    steps: list[tuple[float, float]] = field(default_factory=list)  # (ratio, measured ms)

    def details(self) -> dict[str, Any]:
        """The figures for a benchmark row's ``details``."""
        return {"pruning_ratio": round(self.ratio, 4), "baseline_ms": round(self.baseline_ms, 2),
                "target_ms": round(self.target_ms, 2), "measured_ms": round(self.measured_ms, 2),
                "reached": self.reached,
                "steps": [[round(r, 4), round(ms, 2)] for r, ms in self.steps]}


def uniform_at_latency(
    prune: Callable[[float], nn.Module],
    model: nn.Module,
    example_inputs: Any,
    *,
    latency_target: float,
    batch_size: int = 64,
    threads: int = 1,
    steps: int = 7,
    max_ratio: float = 0.9,
) -> tuple[nn.Module, AtLatency]:
    """The model ``prune(ratio)`` returns for the smallest uniform ``ratio`` found whose measured
    latency is within :data:`~zoo.pruning.halp.REACHED` × ``latency_target`` × ``model``'s
    measured latency (``latency_target`` a fraction in (0, 1)), bisecting ``(0, max_ratio]``
    in ``steps`` measured steps. ``prune`` must leave ``model`` as it is.

    When no step is on time (the target needs more than ``max_ratio``, or the timing noise was
    against it), the fastest model measured is returned with ``reached=False``.
    """
    if not 0.0 < latency_target < 1.0:
        raise ValueError(f"latency_target is a fraction of the baseline latency in (0, 1), got "
                         f"{latency_target}")
    if steps < 1 or not 0.0 < max_ratio < 1.0:
        raise ValueError(f"need steps ≥ 1 and max_ratio in (0, 1), got {steps}, {max_ratio}")
    baseline = measure_latency(model, example_inputs, batch_size=batch_size, threads=threads)
    target = latency_target * baseline
    low, high = 0.0, max_ratio  # measured(low) > target ≥ measured(high), as far as we know
    tried: list[tuple[float, float, nn.Module]] = []
    for _ in range(steps):
        # the first step tries the widest ratio: if even that is too slow, nothing will do
        ratio = high if not tried else (low + high) / 2
        pruned = prune(ratio)
        measured = baseline * relative_latency(pruned, model, example_inputs,
                                               batch_size=batch_size, threads=threads)
        tried.append((ratio, measured, pruned))
        if measured <= target:
            high = ratio
        else:
            low = ratio
            if ratio == max_ratio:
                break  # unreachable within max_ratio: more steps would only prune less
        if abs(measured / target - 1) <= 0.02:
            break  # as close as two medians on a shared machine can tell
    on_time = [t for t in tried if t[1] <= REACHED * target]
    ratio, measured, pruned = (min(on_time, key=lambda t: t[0]) if on_time
                               else min(tried, key=lambda t: t[1]))
    return pruned, AtLatency(ratio=ratio, baseline_ms=1e3 * baseline, target_ms=1e3 * target,
                             measured_ms=1e3 * measured, reached=bool(on_time),
                             steps=[(r, 1e3 * m) for r, m, _ in tried])
