"""Lightweight-design adapters: architectures trained from scratch, in their own setting.

The layers of :mod:`zoo.lightweight` start from fresh weights (their papers train from scratch),
so they are not a transformation of the trained baseline: the two inner 3×3 convolutions of the
digits CNN are swapped for the light layer (:func:`~zoo.lightweight.swap_convs`, as the module
docstrings measure) and the network is trained with the baseline's recipe from the same seed; the
Ghost bottleneck is benchmarked as the miniature GhostNet built from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ...lightweight import (
    GhostDigitsNet,
    GhostModule,
    HetConv,
    LegoConv2d,
    SparseShiftConv,
    freeze_lego,
    shift_penalty,
    shift_sparsity,
    swap_convs,
)
from ..models import Context
from . import Applied, Tolerance, adapter

_TESTS = "tests/zoo/test_lightweight.py"
_SWAPPED = ("the digits CNN's two inner 3×3 convs swapped, trained from scratch with the "
            "baseline recipe")
SHIFT_PENALTY = 1e-2


def _inner(_name: str, conv: nn.Conv2d) -> bool:
    """The convolutions after the stem (the stem reads one channel and has few weights)."""
    return conv.in_channels > 1 and conv.groups == 1 and max(conv.kernel_size) > 1


def _swapped(ctx: Context, light: Callable[..., nn.Module], **options: Any) -> nn.Module:
    model = ctx.fresh()
    swap_convs(model, light, example_inputs=ctx.example_inputs, match=_inner, **options)
    return model


_OPTS: dict[str, Any] = dict(models=("digits-cnn",), cost="train", own_setting=_SWAPPED)


@adapter("ghost-module", **_OPTS, tolerance=Tolerance(floor=0.93, source=f"{_TESTS}: ≥ 93 %"),
         setting="GhostModule(ratio=2, dw_size=3) for the inner convs")
def ghost_module(ctx: Context) -> Applied:
    model = _swapped(ctx, GhostModule, ratio=2)
    ctx.train(model)
    return Applied(model)


@adapter("hetconv", **_OPTS, tolerance=Tolerance(floor=0.93, source=f"{_TESTS}: ≥ 93 %"),
         setting="HetConv(part=4) for the inner convs")
def hetconv(ctx: Context) -> Applied:
    model = _swapped(ctx, HetConv, part=4)
    ctx.train(model)
    return Applied(model)


@adapter("legonet", **_OPTS, tolerance=Tolerance(floor=0.90, source=f"{_TESTS}: ≥ 90 %"),
         setting="LegoConv2d(n_split=2, n_lego=0.5) for the inner convs, frozen after training")
def legonet(ctx: Context) -> Applied:
    model = _swapped(ctx, LegoConv2d, n_split=2, n_lego=0.5)
    ctx.train(model)
    freeze_lego(model)
    return Applied(model)


@adapter("sparse-shift", **_OPTS, tolerance=Tolerance(floor=0.90, source=f"{_TESTS}: ≥ 90 %"),
         setting=f"SparseShiftConv for the inner convs, shift penalty λ={SHIFT_PENALTY:g}")
def sparse_shift(ctx: Context) -> Applied:
    model = _swapped(ctx, SparseShiftConv)

    def penalty(m: nn.Module) -> torch.Tensor:
        return SHIFT_PENALTY * shift_penalty(m)

    ctx.train(model, regularizer=penalty)
    return Applied(model, details={"unshifted_channels": round(shift_sparsity(model), 4)})


@adapter("ghost-bottleneck", models=("digits-cnn",), cost="train",
         tolerance=Tolerance(floor=0.90, source=f"{_TESTS}: ≥ 90 %"),
         own_setting="GhostDigitsNet(width=8) — a stem and four Ghost bottlenecks — trained from "
         "scratch with the digits CNN's recipe, against the digits CNN",
         setting="GhostDigitsNet(width=8), trained from scratch")
def ghost_bottleneck(ctx: Context) -> Applied:
    model = ctx.fresh(lambda: GhostDigitsNet(width=8))
    ctx.train(model)
    return Applied(model)
