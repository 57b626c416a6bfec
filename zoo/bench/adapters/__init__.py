"""Method adapters: "apply method X with its documented default to model M, fine-tune if it calls
for it" — one small function per registered zoo method and per peer library.

An adapter takes a :class:`~zoo.bench.models.Context` (trained baseline, data, recipe, seed) and
returns :class:`Applied`: the model to measure plus what the harness cannot see from outside
(accuracy before recovery, the float model whose FLOPs an int8 model shares, bit widths of
fake-quantised weights for their packed size). Adapters use only the zoo's public entry points
(``zoo.prune``, ``zoo.decompose``, the functions in each package's ``__all__``).

Each adapter also declares where it applies (``models``; ``quick_models`` for ``--quick``), its
setting in words, the accuracy tolerance its own tests state (:class:`Tolerance`), the peer it is
compared with, and — for methods that are not a transformation of a trained CNN (NAS, distillation,
lightweight layers trained from scratch, the recurrent binarisation) — the ``own_setting`` it is
benchmarked in. Methods listed in :data:`NOT_APPLICABLE` are reported with the reason instead.

Modules: :mod:`.pruning`, :mod:`.quantization`, :mod:`.lowrank`, :mod:`.lightweight`,
:mod:`.nas`, :mod:`.distillation`, :mod:`.dynamic` (zoo methods) and :mod:`.peers` (Torch-Pruning,
``torch.nn.utils.prune``, PyTorch's stock int8 recipe, ONNX Runtime's static int8).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from torch import nn

from ..models import Context

__all__ = [
    "ADAPTERS",
    "NOT_APPLICABLE",
    "Adapter",
    "Applied",
    "Tolerance",
    "adapter",
    "load_adapters",
]

Kind = Literal["method", "peer", "reference"]
Runtime = Literal["pytorch", "onnxruntime"]
CNNS = ("digits-cnn", "resnet20", "resnet56")


@dataclass(frozen=True)
class Tolerance:
    """How far below the baseline a method's accuracy may fall: ``points`` (percentage points of
    the baseline's mean) or an absolute ``floor`` in [0, 1]; ``source`` says who states it."""

    points: float | None = None
    floor: float | None = None
    source: str = ""

    def allows(self, accuracy: float, baseline: float) -> bool:
        if self.floor is not None and accuracy < self.floor:
            return False
        return self.points is None or accuracy >= baseline - self.points / 100

    def describe(self) -> str:
        parts = []
        if self.points is not None:
            parts.append(f"within {self.points:g} points of the baseline")
        if self.floor is not None:
            parts.append(f"at least {100 * self.floor:g} %")
        return " and ".join(parts) or "none"


@dataclass
class Applied:
    """What an adapter produced for one seed."""

    model: nn.Module
    before_recovery: float | None = None  # test accuracy right after compression, if meaningful
    float_model: nn.Module | None = None  # int8: the float model, where params/FLOPs are counted
    weight_bits: dict[str, int] | None = None  # parameter name → bits, for the packed size
    details: dict[str, Any] = field(default_factory=dict)  # method-specific facts for the row


ApplyFn = Callable[[Context], Applied]


@dataclass(frozen=True)
class Adapter:
    """One benchmarked method or peer and how the harness runs it."""

    name: str
    apply: ApplyFn
    setting: str
    tolerance: Tolerance
    models: tuple[str, ...] = CNNS
    quick_models: tuple[str, ...] = ("digits-cnn",)
    kind: Kind = "method"
    peer: str | None = None  # the row this one is compared with (same model)
    # Further rows it is compared with (``vs_more_peers``): the same idea in another library or
    # runtime, e.g. int8-ptq against ONNX Runtime's own int8 beside PyTorch's stock recipe.
    more_peers: tuple[str, ...] = ()
    # Where its model runs, for accuracy and latency: "onnxruntime" rows return an OrtModule
    # (zoo.bench.ort) and are compared with the baseline's ONNX Runtime latency.
    runtime: Runtime = "pytorch"
    own_setting: str | None = None  # set when not applied to the trained baseline itself
    # Rough cost for the ETA: "fine-tune" or "train" (the recipe's epochs), or a number of epochs.
    cost: str | float = "fine-tune"
    library: str | None = None  # peers: the library and what of it is used
    runs: str | None = None  # a variant's registered method (``name`` is then the row's own name)

    @property
    def peers(self) -> tuple[str, ...]:
        """Every row it is compared with: ``peer`` first, then ``more_peers``."""
        return ((self.peer,) if self.peer else ()) + self.more_peers

    @property
    def method(self) -> str:
        """The registered zoo method (or peer) this adapter runs."""
        return self.runs or self.name


ADAPTERS: dict[str, Adapter] = {}

# Registered methods that have no meaningful benchmark row on the CNNs, and why.
_LM_ROWS = ("language-model method: measured on the trained small Llama by the language-model "
            "rows (zoo/bench/lm_pruning.py, benchmarks/results/lm-pruning.json)")
_LM_QUANT_ROWS = ("language-model method: measured on the trained small Llama beside RTN and "
                  "llmcompressor (zoo/bench/language.py, benchmarks/results/language.json)")
NOT_APPLICABLE: dict[str, str] = {
    **{name: _LM_ROWS for name in ("sparsegpt", "wanda", "llm-pruner", "minillm")},
    **{name: _LM_QUANT_ROWS for name in ("gptq", "awq", "smoothquant")},
}


def adapter(name: str, **fields: Any) -> Callable[[ApplyFn], ApplyFn]:
    """Register the decorated function as the adapter ``name`` (a zoo method or a peer name)."""

    def add(apply: ApplyFn) -> ApplyFn:
        if name in ADAPTERS:
            raise ValueError(f"benchmark adapter {name!r} defined twice")
        ADAPTERS[name] = Adapter(name=name, apply=apply, **fields)
        return apply

    return add


# Import order is row order: methods by category, then the peers.
_MODULES = ("pruning", "quantization", "lowrank", "lightweight", "distillation", "nas", "dynamic",
            "peers")


def load_adapters() -> dict[str, Adapter]:
    """Import every adapter module (which registers its adapters) and return the registry."""
    import importlib

    for module in _MODULES:
        importlib.import_module(f"{__name__}.{module}")
    return ADAPTERS
