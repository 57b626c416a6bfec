"""Aladin Light-Weight-Model-Zoo: a catalog of compression papers and reference implementations.

``zoo.catalog.load()`` returns the validated paper catalog; ``zoo.list_methods()`` and
``zoo.get(name)`` return the registered implementations' records, each indexed to its catalog
paper; ``zoo.load(name)`` returns the implementation itself (``zoo.get(name).obj``).
Implementations need PyTorch: see the README's Install section (``zoo.registry.INSTALL_ZOO``).
``zoo.export_onnx`` and ``zoo.export_onnx_int8`` (:mod:`zoo.deploy`) deploy a result to ONNX
Runtime; they also need the ``deploy`` extra.
"""

from __future__ import annotations

from typing import Any

from .registry import (
    MethodRecord,
    MissingExtraError,
    get,
    import_zoo_module,
    list_methods,
    load,
    register,
)

__all__ = ["MethodRecord", "MissingExtraError", "get", "list_methods", "load", "register"]
__version__ = "0.1.0"

# Entry points that live in torch-dependent modules, imported on first use so that
# ``import zoo`` and the catalog tools work without PyTorch.
_LAZY = {
    "prune": "zoo.pruning",
    "quantize": "zoo.quantization",
    "decompose": "zoo.lowrank",
    "distill": "zoo.distillation",
    "export_onnx": "zoo.deploy",
    "export_onnx_int8": "zoo.deploy",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'zoo' has no attribute {name!r}")
    return getattr(import_zoo_module(_LAZY[name], f"zoo.{name}"), name)
