"""Quantisation adapters, each at the setting its module docstring measures.

* ``int8-ptq`` — :func:`~zoo.quantization.quantize_int8` with 4 calibration batches, no training;
  the only method here whose model runs on integer kernels, so the only one whose size and latency
  really shrink. Its FLOPs are counted on the float model (same operations, 8-bit operands).
  Compared with PyTorch's stock int8 recipe (``torch-int8``) and with ONNX Runtime's own static
  int8 (``ort-int8``, each in its own runtime).
* ``binaryconnect`` (trained from scratch, as measured), ``xnor-net`` (binary weights, 4-epoch
  fine-tune), ``dorefa`` (W4/A4, 4 epochs), ``relaxed-quantization`` (W4/A4, 3 epochs, BatchNorm
  re-estimated), ``haq`` (greedy policy under the weight bytes of a uniform 3-bit model, 2 epochs)
  — quantisation-aware methods that simulate low precision in float: the file stays float and
  inference is slower than the baseline. Their ``packed_bytes`` is what the weights would take at
  their bit widths (the rest in float32).
* ``recurrent-binary-ternary`` — binarises LSTM weights, so it is benchmarked in its own setting:
  the binary row-LSTM digits classifier against the same network in float.
"""

from __future__ import annotations

from ...quantization import (
    apply_bit_policy,
    binaryconnect,
    dorefa,
    haq_search,
    quantizable_layers,
    quantize_int8,
    quantized_weights,
    recalibrate_batchnorm,
    relaxed_quantization,
    row_lstm_classifier,
    weight_bytes,
    xnor_net,
)
from ..models import Context
from . import CNNS, Applied, Tolerance, adapter

CALIBRATION_BATCHES = 4
_TESTS = "tests/zoo/test_quantization.py"


def _bits(model: object, bits: int) -> dict[str, int]:
    """Every quantised layer's weight at ``bits`` bits (parameter name → bits)."""
    return {f"{name}.weight": bits for name in quantized_weights(model)}  # type: ignore[arg-type]


@adapter("int8-ptq", peer="torch-int8", more_peers=("ort-int8",), models=CNNS,
         quick_models=("digits-cnn", "resnet56"),
         tolerance=Tolerance(points=1.0, source=f"issue 6 target (within 1 point; {_TESTS} "
                             "asserts 1.5)"),
         setting=f"x86 engine, per-channel int8 weights, uint8 activations, "
         f"{CALIBRATION_BATCHES} calibration batches, no training", cost=0.3)
def int8_ptq(ctx: Context) -> Applied:
    float_model = ctx.trained().eval()
    int8 = quantize_int8(float_model, ctx.train_data, max_batches=CALIBRATION_BATCHES)
    return Applied(int8, float_model=float_model)


@adapter("binaryconnect", tolerance=Tolerance(floor=0.95, source=f"{_TESTS}: at least 95 %"),
         models=("digits-cnn",), cost="train",
         own_setting="trained from scratch with binary weights (the baseline recipe)",
         setting="deterministic ±1 weights, first and last layer in float, trained from scratch")
def binaryconnect_(ctx: Context) -> Applied:
    model = binaryconnect(ctx.fresh())
    ctx.train(model)
    return Applied(model, weight_bits=_bits(model, 1))


@adapter("xnor-net", models=("digits-cnn",), cost=4,
         tolerance=Tolerance(points=3.0, source=f"{_TESTS}: within 3 points of float"),
         setting="α·sign(W) weights, float inputs, first and last layer in float, 4-epoch "
         "fine-tune")
def xnor_net_(ctx: Context) -> Applied:
    model = xnor_net(ctx.trained())
    before = ctx.accuracy(model)
    ctx.fine_tune(model, epochs=4)
    return Applied(model, before_recovery=before, weight_bits=_bits(model, 1))


@adapter("dorefa", models=("digits-cnn",), cost=4,
         tolerance=Tolerance(points=2.0, source=f"{_TESTS}: within 2 points of float"),
         setting="W4/A4 (the defaults), first and last layer in float, 4-epoch fine-tune")
def dorefa_(ctx: Context) -> Applied:
    model = dorefa(ctx.trained())
    before = ctx.accuracy(model)
    ctx.fine_tune(model, epochs=4)
    return Applied(model, before_recovery=before, weight_bits=_bits(model, 4))


@adapter("relaxed-quantization", models=("digits-cnn",), cost=15,  # ~5× a float epoch
         tolerance=Tolerance(points=2.0, source=f"{_TESTS}: within 2 points of float"),
         setting="W4/A4 (the defaults), first and last layer in float, 3-epoch fine-tune, "
         "BatchNorm re-estimated")
def relaxed_quantization_(ctx: Context) -> Applied:
    model = relaxed_quantization(ctx.trained())
    ctx.fine_tune(model, epochs=3)
    recalibrate_batchnorm(model, ctx.train_data)
    return Applied(model, weight_bits=_bits(model, 4))


@adapter("haq", models=("digits-cnn",), cost=2.5,
         tolerance=Tolerance(points=2.0, source=f"{_TESTS}: within 2 points of float"),
         setting="greedy per-layer bits (2–8) under the weight bytes of a uniform 3-bit model, "
         "2-epoch fine-tune")
def haq(ctx: Context) -> Applied:
    trained = ctx.trained()
    budget = sum(weight_bytes(name, layer, 3) for name, layer in quantizable_layers(trained))
    policy = haq_search(trained, ctx.train_data, budget=budget)
    model = apply_bit_policy(trained, policy)
    before = ctx.accuracy(model)
    ctx.fine_tune(model, epochs=2)
    bits = {f"{name}.weight": b for name, b in policy.bits.items()}
    return Applied(model, before_recovery=before, weight_bits=bits,
                   details={"bits": policy.bits, "budget_bytes": budget})


@adapter("recurrent-binary-ternary", models=("digits-lstm",), quick_models=("digits-lstm",),
         cost="train", tolerance=Tolerance(floor=0.93, source=f"{_TESTS}: at least 93 %"),
         own_setting="binarises LSTM weights, so not applicable to the CNNs: the binary row-LSTM "
         "digits classifier against the same LSTM in float",
         setting="binary W_x and W_h (deterministic), batch-normalised gate inputs, hidden size "
         "64, trained from scratch")
def recurrent_binary_ternary(ctx: Context) -> Applied:
    model = ctx.fresh(lambda: row_lstm_classifier("binary", hidden_size=64))
    ctx.train(model)
    return Applied(model, weight_bits={"lstm.weight_ih": 1, "lstm.weight_hh": 1})
