"""What the weight-only LLM methods share: checks, the working copy, the per-layer records.

GPTQ, AWQ and the RTN baseline quantise the Linear layers of a decoder's transformer blocks (the
embedding and the output head stay in float, as in the papers). Each returns a *copy* of the
caller's model with the rounded weights written back in float (fake quantisation) and, in
``model.zoo_weight_quant``, one :class:`GroupQuant` per quantised layer (qualified name → scales
and zero points), from which :mod:`zoo.quantization.packing` stores the real 4-/3-bit codes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..language.calibration import block_linears, calibration_batches, decoder_blocks
from .groupwise import check_weight_config, rtn_weight

__all__ = [
    "GroupQuant",
    "block_layers",
    "checked_copy",
    "record",
    "rtn",
    "weight_quant_records",
]

ATTRIBUTE = "zoo_weight_quant"


@dataclass(frozen=True)
class GroupQuant:
    """One layer's grid: scale and zero ``(out, in // group_size)``, bits, group size."""

    scale: torch.Tensor
    zero: torch.Tensor
    bits: int
    group_size: int


def block_layers(model: nn.Module) -> list[tuple[str, nn.Linear]]:
    """The Linear layers of the transformer blocks, by qualified name, in order."""
    names = {id(m): n for n, m in model.named_modules()}
    return [(names[id(m)], m) for block in decoder_blocks(model)
            for m in block_linears(block).values()]


def checked_copy(model: nn.Module, data: Any, *, bits: int, group_size: int,
                 needs_data: bool = True) -> tuple[nn.Module, list[torch.Tensor]]:
    """Validate everything before touching anything, then the deep copy to quantise and the
    calibration batches (one-line ``ValueError`` for each misuse the issue lists)."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"need a torch.nn.Module, got {type(model).__name__}")
    if not any(isinstance(m, nn.Linear) for m in model.modules()):
        raise ValueError(f"{type(model).__name__} has no Linear layers to quantize")
    layers = block_layers(model)
    check_weight_config(bits, group_size, layers)
    batches = calibration_batches(data) if needs_data else []
    if batches:
        try:
            with torch.no_grad():
                model(batches[0][:1, :2])
        except TypeError as exc:
            raise ValueError(f"{type(model).__name__}.forward cannot be called with token ids "
                             f"alone ({exc}); wrap it so model(input_ids) works") from None
        except (IndexError, RuntimeError) as exc:
            raise ValueError(f"calibration data does not fit {type(model).__name__}: "
                             f"{str(exc).splitlines()[0]}") from None
    return copy.deepcopy(model), batches


def record(model: nn.Module, name: str, quant: GroupQuant) -> None:
    """Remember ``name``'s grid on ``model`` (for packing)."""
    records = model.__dict__.setdefault(ATTRIBUTE, {})
    records[name] = quant


def weight_quant_records(model: nn.Module) -> dict[str, GroupQuant]:
    """The grids of a model quantised by RTN, GPTQ or AWQ (qualified name → :class:`GroupQuant`)."""
    records = model.__dict__.get(ATTRIBUTE)
    if not records:
        raise ValueError(f"{type(model).__name__} was not quantized by a weight-only zoo method "
                         "(rtn, gptq, awq): nothing to pack")
    return records


@torch.no_grad()
def rtn(model: nn.Module, data: Any = None, *, bits: int = 4, group_size: int = 128) -> nn.Module:
    """Round-to-nearest group-wise baseline: every block Linear rounded on its own min-max grid,
    no calibration. Returns a quantised copy."""
    model, _ = checked_copy(model, data, bits=bits, group_size=group_size, needs_data=False)
    for name, layer in block_layers(model):
        w, scale, zero = rtn_weight(layer.weight, bits=bits, group_size=group_size)
        layer.weight.copy_(w)
        record(model, name, GroupQuant(scale, zero, bits, group_size))
    return model
