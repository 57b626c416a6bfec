"""How much of a FLOP reduction a CPU delivers: one model pruned at several ratios, timed.

The method rows measure each method at its one documented setting. Whether the fewer FLOPs turn
into less time depends on the shapes pruning leaves behind: oneDNN runs an 8-channel convolution
at about half the efficiency per FLOP of a 16-channel one, and channels that a residual addition
ties together shrink every block. So for ResNet-56 the harness also prunes the trained baseline
with L1-norm at several ratios under two schemes, and times those models in the same interleaved
session as the rows:

* ``every-layer`` — the zoo's default: residual-coupled channels are pruned too (with summed
  scores), so the stem, every block and the shortcuts narrow;
* ``block-internal`` — ``keep_coupled=True``, the scheme of Li et al. for ResNets: only the
  channels inside each block (the first convolution's outputs) go, the residual width stays.

Block-internal pruning at ratio 0.5 removes just under half of ResNet-56's FLOPs (the stem, the
shortcuts and the classifier keep theirs), so the full sweep adds 0.625 to have a block-internal
point past the target's 50 %.

Latency and FLOPs depend on the architecture alone, not on the weights, so the swept models are
not fine-tuned and no accuracy is reported for them — the method rows carry the accuracy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .. import prune
from ..metrics import count_flops, count_parameters
from .results import speedups

__all__ = ["RATIOS", "SCHEMES", "SWEEP_METHOD", "SweepPoint", "sweep_models", "sweep_rows"]

SWEEP_METHOD = "l1-norm"
RATIOS = {"full": (0.25, 0.5, 0.625, 0.75), "quick": (0.5,)}
SCHEMES: dict[str, dict[str, Any]] = {
    "every-layer": {},
    "block-internal": {"keep_coupled": True},
}


@dataclass(frozen=True)
class SweepPoint:
    """One swept setting: a scheme and a per-layer pruning ratio."""

    scheme: str
    pruning_ratio: float

    @property
    def key(self) -> str:
        """Its name in the latency session (never a method or peer name)."""
        return f"sweep:{self.scheme}:{self.pruning_ratio:g}"


def sweep_models(model: nn.Module, example_inputs: torch.Tensor,
                 *, quick: bool) -> dict[SweepPoint, nn.Module]:
    """``model`` pruned by :data:`SWEEP_METHOD` at every ratio under every scheme (copies)."""
    ratios = RATIOS["quick" if quick else "full"]
    return {
        SweepPoint(scheme, ratio): prune(model, example_inputs, method=SWEEP_METHOD,
                                         pruning_ratio=ratio, **options)
        for scheme, options in SCHEMES.items() for ratio in ratios
    }


def _widths(model: nn.Module) -> list[int]:
    """Output channels of every convolution, in module order (what the scheme left)."""
    return [m.out_channels for m in model.modules() if isinstance(m, nn.Conv2d)]


def sweep_rows(models: Mapping[SweepPoint, nn.Module], example_inputs: torch.Tensor,
               measured: Mapping[str, dict[str, dict[str, float]]], model_name: str,
               baseline: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One record per swept model: FLOPs, parameters, latency and the ratios to ``baseline``
    (the model's baseline row, timed in the same session)."""
    records = []
    for point, pruned in models.items():
        timing = measured[point.key]
        latency = {b: v["median"] for b, v in timing.items()}
        flops = count_flops(pruned, example_inputs)
        widths = _widths(pruned)
        records.append({
            "method": SWEEP_METHOD, "model": model_name, "scheme": point.scheme,
            "pruning_ratio": point.pruning_ratio,
            "options": SCHEMES[point.scheme],
            "params": count_parameters(pruned), "flops": flops,
            "conv_widths": {"min": min(widths), "max": max(widths)},
            "latency_ms": latency,
            "latency_range_ms": {b: [v["min"], v["max"]] for b, v in timing.items()},
            **speedups(latency, flops, baseline),
        })
    return records
