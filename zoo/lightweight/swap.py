"""Swap the convolutions of an existing model for a light drop-in module and report the savings.

Every module in :mod:`zoo.lightweight` takes the constructor arguments of the ``nn.Conv2d`` it
replaces, so one helper serves them all: :func:`swap_convs` rebuilds each matching convolution as
``light(**conv_arguments, **options)`` in place and measures parameters and FLOPs
(:mod:`zoo.metrics`) before and after. The new modules start from fresh weights — the papers train
these architectures from scratch — so train the model after swapping.

>>> import torch
>>> from zoo.nets import digits_cnn
>>> from zoo.lightweight import GhostModule
>>> model = digits_cnn(width=16)
>>> report = swap_convs(model, GhostModule, example_inputs=torch.zeros(1, 1, 8, 8), ratio=2)
>>> len(report.replaced), report.params_after < report.params_before
(3, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from ..metrics import count_flops, count_parameters
from .geometry import ConvSpec

__all__ = ["SwapReport", "dense_spatial_convs", "swap_convs"]

Matcher = Callable[[str, nn.Conv2d], bool]


def dense_spatial_convs(name: str, conv: nn.Conv2d) -> bool:
    """The default match: plain ``nn.Conv2d`` with ``groups=1`` and a kernel larger than ``1×1``."""
    return type(conv) is nn.Conv2d and conv.groups == 1 and max(conv.kernel_size) > 1


@dataclass(frozen=True)
class SwapReport:
    """What :func:`swap_convs` replaced and the model's size and cost before and after."""

    replaced: tuple[str, ...]
    params_before: int
    params_after: int
    flops_before: int
    flops_after: int

    @property
    def param_ratio(self) -> float:
        """``params_after / params_before`` (whole model)."""
        return self.params_after / self.params_before

    @property
    def flop_ratio(self) -> float:
        """``flops_after / flops_before`` (whole model, one forward pass on the example inputs)."""
        return self.flops_after / self.flops_before

    def __str__(self) -> str:
        return (
            f"replaced {len(self.replaced)} conv(s): params {self.params_before:,} → "
            f"{self.params_after:,} (×{self.param_ratio:.3f}), FLOPs {self.flops_before:,} → "
            f"{self.flops_after:,} (×{self.flop_ratio:.3f})"
        )


def swap_convs(
    model: nn.Module,
    light: Callable[..., nn.Module],
    *,
    example_inputs: Any,
    match: Matcher = dense_spatial_convs,
    **options: Any,
) -> SwapReport:
    """Replace, in place, every ``nn.Conv2d`` of ``model`` that ``match(name, conv)`` accepts.

    ``light`` is called with the convolution's constructor arguments plus ``options`` (e.g.
    ``ratio=2`` for :class:`~zoo.lightweight.GhostModule`); the new module is moved to the
    convolution's device and dtype. Raises ``ValueError`` naming the layer a module rejects.
    """
    params_before = count_parameters(model)
    flops_before = count_flops(model, example_inputs)
    targets = [
        (name, module)
        for name, module in model.named_modules()
        if name and isinstance(module, nn.Conv2d) and match(name, module)  # "" has no parent
    ]
    if not targets:
        raise ValueError(f"no convolution of {type(model).__name__} matches {match.__name__}")
    replacements = {}
    for name, conv in targets:  # build every replacement before touching the model
        try:
            new = light(**ConvSpec.from_conv(conv).kwargs(), **options)
        except ValueError as exc:
            raise ValueError(f"cannot replace {name!r} ({conv}): {exc}") from exc
        replacements[name] = new.to(device=conv.weight.device, dtype=conv.weight.dtype)
    for name, new in replacements.items():
        model.set_submodule(name, new, strict=True)
    return SwapReport(
        replaced=tuple(replacements),
        params_before=params_before,
        params_after=count_parameters(model),
        flops_before=flops_before,
        flops_after=count_flops(model, example_inputs),
    )
