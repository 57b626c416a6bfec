"""Pruning adapters: ``zoo.prune`` at the ratio each method's docstring measures, then fine-tune.

Structured methods remove half of the channels (``pruning_ratio=0.5``: per layer for L1-norm and
FPGM, of all prunable channels with global ranking for Taylor and Gate Decorator, as each method
defaults) and are fine-tuned with the model's recipe; they are compared with Torch-Pruning at the
same ratio and ranking scope (per layer, or global with the same 75 % cap per layer).
``l1-norm-block-internal`` is L1-norm in the paper's own scheme for ResNets (``keep_coupled=True``:
only the channels inside each residual block go, so half of them remove about half of the FLOPs),
beside Torch-Pruning restricted to the same groups.
``halp`` prunes to a latency instead of a ratio: half of the trained model's measured batch-64
latency (one thread, as the latency session measures), Taylor importance on 16 batches, then the
same fine-tune, on ResNet-56 and the MobileNetV2-style net. Its comparators prune *uniformly to the
same measured latency* (:mod:`zoo.bench.at_latency`: a bisection over the per-layer ratio, timed
as HALP times): ``l1-norm-at-latency`` (the zoo's L1-norm) and its peer
``tp-magnitude-at-latency`` (Torch-Pruning's magnitude pruner), ``halp``'s peer, with
``l1-norm-at-latency`` among its ``more_peers`` (``--methods halp`` brings both).
Their rows' ``details`` hold the latency asked for and measured; HALP's also the table's
prediction and build time, the comparators' the ratio found and every bisection step.
Unstructured methods zero 80 % of the conv/Linear weights: magnitude pruning after training, SNIP
at initialisation before training; masks are baked in (``make_permanent``) before measuring, so
size and latency are those of the dense tensors they still are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from ... import prune
from ...pruning.halp import prune_to_latency
from ...pruning.masks import make_permanent
from ..at_latency import uniform_at_latency
from ..models import Context
from . import CNNS, Applied, Tolerance, adapter

STRUCTURED_RATIO = 0.5
UNSTRUCTURED_RATIO = 0.8
PRUNING_TOLERANCE = Tolerance(points=2.0, source="tests/zoo/test_pruning.py: within 2 points "
                              "of the baseline after fine-tuning")


def recovered(ctx: Context, pruned: nn.Module, details: dict[str, Any] | None = None) -> Applied:
    """``pruned`` after the recipe's fine-tune, with its accuracy before it."""
    before = ctx.accuracy(pruned)
    ctx.fine_tune(pruned)
    return Applied(pruned, before_recovery=before, details=details or {})


def _structured(ctx: Context, method: str, **options: object) -> Applied:
    return recovered(ctx, prune(ctx.trained(), ctx.example_inputs, method=method,
                                pruning_ratio=STRUCTURED_RATIO, **options))


_STRUCTURED = dict(tolerance=PRUNING_TOLERANCE, quick_models=("digits-cnn", "resnet56"))


@adapter("l1-norm", peer="tp-magnitude", **_STRUCTURED, models=(*CNNS, "mobilenetv2"),
         setting=f"pruning_ratio={STRUCTURED_RATIO} of every layer's filters, then fine-tune")
def l1_norm(ctx: Context) -> Applied:
    return _structured(ctx, "l1-norm")


@adapter("l1-norm-block-internal", runs="l1-norm", peer="tp-magnitude-block-internal",
         tolerance=PRUNING_TOLERANCE, models=("resnet20", "resnet56"), quick_models=(),
         setting=f"pruning_ratio={STRUCTURED_RATIO} of the filters inside every residual block, "
         "keep_coupled=True (the residual channels stay: Li et al.'s scheme), then fine-tune")
def l1_norm_block_internal(ctx: Context) -> Applied:
    return _structured(ctx, "l1-norm", keep_coupled=True)


HALP_TARGET = 0.5
# Without a cap the knapsack kept 4 of the 256 channels that feed MobileNetV2's classifier (their
# Taylor scores are tiny) and the model recovered to 31 %; the zoo's global rankings cap at 75 %.
HALP_CAP = 0.75
LATENCY_AWARE_MODELS = ("resnet56", "mobilenetv2")


@adapter("halp", peer="tp-magnitude-at-latency", more_peers=("l1-norm-at-latency",),
         tolerance=PRUNING_TOLERANCE,
         models=LATENCY_AWARE_MODELS, quick_models=(),
         setting=f"latency_target={HALP_TARGET} of the measured batch-64 latency (1 thread), "
         "Taylor importance on 16 batches, latency table in steps of 4 channels, no group "
         f"losing more than {HALP_CAP:.0%} (as the global rankings), then fine-tune")
def halp(ctx: Context) -> Applied:
    pruned, report = prune_to_latency(ctx.trained(), ctx.example_inputs,
                                      latency_target=HALP_TARGET, data=ctx.train_data,
                                      batch_size=64, threads=1, max_pruning_ratio=HALP_CAP)
    details = {"latency_target": HALP_TARGET, "baseline_ms": round(report.baseline_ms, 2),
               "target_ms": round(report.target_ms, 2),
               "predicted_ms": round(report.predicted_ms, 2),
               "measured_ms": None if report.measured_ms is None else round(report.measured_ms, 2),
               "table_seconds": round(report.table_seconds, 1),
               "table_from_cache": report.table_from_cache,
               "attempts": [[round(p, 2), round(m, 2)] for p, m in report.attempts],
               "kept": {name: list(k) for name, k in report.kept.items()}}
    return recovered(ctx, pruned, details)


def at_latency(ctx: Context, prune_at: Callable[[float], nn.Module]) -> Applied:
    """``prune_at(ratio)`` (a fresh copy of the trained model pruned uniformly at ``ratio``) at
    the ratio whose measured latency reaches ``HALP_TARGET`` as HALP measures it, fine-tuned."""
    pruned, found = uniform_at_latency(prune_at, ctx.baseline, ctx.example_inputs,
                                       latency_target=HALP_TARGET, batch_size=64, threads=1)
    return recovered(ctx, pruned, {"latency_target": HALP_TARGET, **found.details()})


AT_LATENCY_SETTING = (f"the per-layer pruning_ratio whose measured batch-64 latency (1 thread, "
                      f"HALP's timing) reaches latency_target={HALP_TARGET} of the trained "
                      "model's, found by a 7-step bisection, then the same fine-tune as halp")


@adapter("l1-norm-at-latency", runs="l1-norm", peer="tp-magnitude-at-latency",
         tolerance=PRUNING_TOLERANCE, models=LATENCY_AWARE_MODELS, quick_models=(),
         setting=f"L1-norm, {AT_LATENCY_SETTING}")
def l1_norm_at_latency(ctx: Context) -> Applied:
    return at_latency(ctx, lambda ratio: prune(ctx.trained(), ctx.example_inputs,
                                               method="l1-norm", pruning_ratio=ratio))


@adapter("fpgm", peer="tp-fpgm", tolerance=PRUNING_TOLERANCE,
         setting=f"pruning_ratio={STRUCTURED_RATIO} of every layer's filters, then fine-tune")
def fpgm(ctx: Context) -> Applied:
    return _structured(ctx, "fpgm")


@adapter("taylor", peer="tp-magnitude-global", tolerance=PRUNING_TOLERANCE,
         setting=f"pruning_ratio={STRUCTURED_RATIO} of all channels, global ranking, 'bn' "
         "criterion on 16 batches, then fine-tune")
def taylor(ctx: Context) -> Applied:
    return _structured(ctx, "taylor", data=ctx.train_data)


@adapter("gate-decorator", peer="tp-magnitude-global", tolerance=PRUNING_TOLERANCE,
         setting=f"pruning_ratio={STRUCTURED_RATIO} of all channels, global ranking, one Tock "
         "epoch (L1 on the gates), one Tick epoch, then fine-tune")
def gate_decorator(ctx: Context) -> Applied:
    return _structured(ctx, "gate-decorator", data=ctx.train_data)


@adapter("magnitude", peer="torch-prune-magnitude", tolerance=PRUNING_TOLERANCE,
         models=("digits-cnn", "resnet20"),
         setting=f"pruning_ratio={UNSTRUCTURED_RATIO} of conv/Linear weights, one global "
         "threshold, one round, then fine-tune; masks baked in")
def magnitude(ctx: Context) -> Applied:
    sparse = prune(ctx.trained(), None, method="magnitude", pruning_ratio=UNSTRUCTURED_RATIO)
    before = ctx.accuracy(sparse)
    ctx.fine_tune(sparse)
    return Applied(make_permanent(sparse), before_recovery=before)


@adapter("snip", peer="torch-prune-magnitude", models=("digits-cnn", "resnet20"),
         tolerance=Tolerance(points=2.0, source="tests/zoo/test_pruning.py: within 2 points of "
                             "the dense network"),
         own_setting="pruned at initialisation, then trained from scratch with the baseline "
         "recipe (SNIP prunes before training)",
         setting=f"pruning_ratio={UNSTRUCTURED_RATIO} of conv/Linear weights from one batch at "
         "initialisation (eval mode, as the official code), then the baseline's training; "
         "masks baked in", cost="train")
def snip(ctx: Context) -> Applied:
    sparse = prune(ctx.fresh(), ctx.example_inputs, method="snip",
                   pruning_ratio=UNSTRUCTURED_RATIO, data=ctx.train_data)
    ctx.train(sparse)
    return Applied(make_permanent(sparse))
