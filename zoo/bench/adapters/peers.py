"""Peer libraries at the same ratio or bit width — benchmark dependencies, not runtime ones.

* ``tp-magnitude`` — Torch-Pruning's ``MagnitudePruner`` with its default group importance
  (``GroupMagnitudeImportance(p=2)``), ``pruning_ratio=0.5`` per layer;
* ``tp-magnitude-global`` — the same with global ranking and Torch-Pruning's
  ``max_pruning_ratio=0.75`` (the zoo's cap), the peer of the globally ranked Taylor and Gate
  Decorator at the same ratio (per-layer pruning at 0.5 removes far more FLOPs than global 0.5);
* ``tp-fpgm`` — the same pruner with Torch-Pruning's ``FPGMImportance``;
* ``tp-magnitude-block-internal`` — ``tp-magnitude`` with its importance wrapped in the zoo's
  :class:`~zoo.pruning.pruner.UncoupledImportance`, so that it skips the same residual-coupled
  groups as ``keep_coupled=True`` (Torch-Pruning has no such switch; the ranking and the surgery
  stay Torch-Pruning's);
* ``tp-magnitude-at-latency`` — ``tp-magnitude`` at the per-layer ratio whose measured latency
  reaches HALP's target (:func:`~zoo.bench.adapters.pruning.at_latency`), the peer of ``halp``
  and of ``l1-norm-at-latency``;
* ``torch-prune-magnitude`` — ``torch.nn.utils.prune.global_unstructured`` with
  ``L1Unstructured`` over every conv/Linear weight, ``amount=0.8``;
* ``torch-int8`` — PyTorch's stock FX post-training recipe
  (``get_default_qconfig_mapping("x86")``), the same 4 calibration batches;
* ``ort-int8`` — ONNX Runtime's own static quantisation (QDQ, :func:`zoo.export_onnx_int8`) of
  the exported float model, calibrated on the same 4 batches, and run by ONNX Runtime: accuracy
  from the ORT session on the test set, latency timed in the same session as every row (against
  the baseline in ONNX Runtime), size the ``.onnx`` file's bytes. It needs the deploy extra;
  without it the row is skipped with the install line.

Each is written against the library's own API, not through the zoo, and recovers with the same
fine-tune as the zoo method it is compared with. The classifier is never pruned.
"""

from __future__ import annotations

import copy
import tempfile
import warnings
from importlib import metadata
from pathlib import Path

import torch
import torch_pruning as tp
from torch import nn
from torch.nn.utils import prune as torch_prune

from ...pruning.pruner import UncoupledImportance
from ...registry import import_zoo_module
from ..models import Context
from ..ort import OrtModule
from . import CNNS, Applied, Tolerance, adapter
from .pruning import (
    AT_LATENCY_SETTING,
    LATENCY_AWARE_MODELS,
    PRUNING_TOLERANCE,
    STRUCTURED_RATIO,
    UNSTRUCTURED_RATIO,
    at_latency,
    recovered,
)
from .quantization import CALIBRATION_BATCHES

TP = f"Torch-Pruning {getattr(tp, '__version__', '')}".strip()


def _classifier(model: nn.Module) -> nn.Module:
    """The output layer: the last Linear in registration order."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(f"{type(model).__name__} has no Linear output layer to keep")
    return linears[-1]


def _tp_pruned(ctx: Context, importance: object, ratio: float = STRUCTURED_RATIO,
               **options: object) -> nn.Module:
    model = ctx.trained().eval()  # tracing in eval mode leaves BatchNorm statistics alone
    pruner = tp.pruner.MagnitudePruner(
        model, ctx.example_inputs, importance=importance, pruning_ratio=ratio,
        ignored_layers=[_classifier(model)], **options,
    )
    pruner.step()
    return model


def _tp_prune(ctx: Context, importance: object, **options: object) -> Applied:
    return recovered(ctx, _tp_pruned(ctx, importance, **options))


_STRUCTURED = dict(kind="peer", tolerance=PRUNING_TOLERANCE, models=CNNS)


@adapter("tp-magnitude", quick_models=("digits-cnn", "resnet56"),
         **{**_STRUCTURED, "models": (*CNNS, "mobilenetv2")},
         library=f"{TP}: MagnitudePruner + GroupMagnitudeImportance(p=2)",
         setting=f"pruning_ratio={STRUCTURED_RATIO} per layer, then the same fine-tune")
def tp_magnitude(ctx: Context) -> Applied:
    return _tp_prune(ctx, tp.importance.GroupMagnitudeImportance(p=2))


@adapter("tp-magnitude-at-latency", **{**_STRUCTURED, "models": LATENCY_AWARE_MODELS},
         quick_models=(),
         library=f"{TP}: MagnitudePruner + GroupMagnitudeImportance(p=2)",
         setting=f"per layer, {AT_LATENCY_SETTING}")
def tp_magnitude_at_latency(ctx: Context) -> Applied:
    return at_latency(ctx, lambda ratio: _tp_pruned(ctx, tp.importance.GroupMagnitudeImportance(
        p=2), ratio))


@adapter("tp-magnitude-global", **_STRUCTURED,
         library=f"{TP}: MagnitudePruner(global_pruning=True, max_pruning_ratio=0.75) + "
         "GroupMagnitudeImportance(p=2)",
         setting=f"pruning_ratio={STRUCTURED_RATIO} of all channels, global ranking, no layer "
         "losing more than 75 %, then the same fine-tune")
def tp_magnitude_global(ctx: Context) -> Applied:
    return _tp_prune(ctx, tp.importance.GroupMagnitudeImportance(p=2), global_pruning=True,
                     max_pruning_ratio=0.75)


@adapter("tp-magnitude-block-internal", **{**_STRUCTURED, "models": ("resnet20", "resnet56")},
         quick_models=(),
         library=f"{TP}: MagnitudePruner + GroupMagnitudeImportance(p=2), residual-coupled "
         "groups skipped",
         setting=f"pruning_ratio={STRUCTURED_RATIO} of the filters inside every residual block, "
         "then the same fine-tune")
def tp_magnitude_block_internal(ctx: Context) -> Applied:
    return _tp_prune(ctx, UncoupledImportance(tp.importance.GroupMagnitudeImportance(p=2)))


@adapter("tp-fpgm", **_STRUCTURED, library=f"{TP}: MagnitudePruner + FPGMImportance",
         setting=f"pruning_ratio={STRUCTURED_RATIO} per layer, then the same fine-tune")
def tp_fpgm(ctx: Context) -> Applied:
    return _tp_prune(ctx, tp.importance.FPGMImportance())


@adapter("torch-prune-magnitude", kind="peer", tolerance=PRUNING_TOLERANCE,
         models=("digits-cnn", "resnet20"),
         library=f"PyTorch {torch.__version__}: torch.nn.utils.prune.global_unstructured "
         "(L1Unstructured)",
         setting=f"amount={UNSTRUCTURED_RATIO} over every conv/Linear weight, then the same "
         "fine-tune; masks removed")
def torch_prune_magnitude(ctx: Context) -> Applied:
    model = ctx.trained()
    sites = [(m, "weight") for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    torch_prune.global_unstructured(sites, pruning_method=torch_prune.L1Unstructured,
                                    amount=UNSTRUCTURED_RATIO)
    before = ctx.accuracy(model)
    ctx.fine_tune(model)
    for module, name in sites:
        torch_prune.remove(module, name)
    return Applied(model, before_recovery=before)


@adapter("torch-int8", kind="peer", models=CNNS, quick_models=("digits-cnn", "resnet56"),
         tolerance=Tolerance(points=1.0, source="issue 6 target for int8: within 1 point"),
         library=f"PyTorch {torch.__version__}: FX prepare_fx/convert_fx with "
         "get_default_qconfig_mapping('x86')",
         setting=f"stock x86 qconfig, {CALIBRATION_BATCHES} calibration batches", cost=0.3)
def torch_int8(ctx: Context) -> Applied:
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    torch.backends.quantized.engine = "x86"
    float_model = ctx.trained().eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao announces its move to torchao
        prepared = prepare_fx(copy.deepcopy(float_model), get_default_qconfig_mapping("x86"),
                              (ctx.example_inputs,))
        with torch.no_grad():
            for i, (x, _) in enumerate(ctx.train_data):
                if i == CALIBRATION_BATCHES:
                    break
                prepared(x)
        int8 = convert_fx(prepared)
    return Applied(int8, float_model=float_model)


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "(not installed)"


@adapter("ort-int8", kind="peer", runtime="onnxruntime", models=CNNS,
         quick_models=("digits-cnn", "resnet56"),
         tolerance=Tolerance(points=1.0, source="issue 6 target for int8: within 1 point"),
         library=f"ONNX Runtime {_version('onnxruntime')}: quantize_static (QDQ, MinMax) "
         "through zoo.export_onnx_int8",
         setting=f"uint8 activations, per-channel int8 weights, {CALIBRATION_BATCHES} calibration "
         "batches, run in ONNX Runtime (size: the .onnx file)", cost=0.3)
def ort_int8(ctx: Context) -> Applied:
    # Without onnxruntime: MissingExtraError with the deploy extra's install line (row skipped).
    deploy = import_zoo_module("zoo.deploy", "the benchmark peer ort-int8")
    float_model = ctx.trained().eval()
    with tempfile.TemporaryDirectory(prefix="zoo-bench-ort-int8-") as tmp:
        # A batch of 2 keeps the batch dimension free (dynamo specialises a batch of 1).
        record = deploy.export_onnx_int8(float_model, ctx.split.x_train[:2], ctx.train_data,
                                         Path(tmp) / "int8.onnx", max_batches=CALIBRATION_BATCHES,
                                         latency_repeats=0)
        model = OrtModule.load(record.path, {"exporter": record.exporter, "opset": record.opset,
                                             "quantization": record.quantization})
    return Applied(model, float_model=float_model)
