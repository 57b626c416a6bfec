"""Post-training int8 quantisation with real integer kernels (Jacob et al.'s scheme).

Paper: Benoit Jacob, Skirmantas Kligys, Bo Chen, Menglong Zhu, Matthew Tang, Andrew Howard,
Hartwig Adam, Dmitry Kalenichenko, *Quantization and Training of Neural Networks for Efficient
Integer-Arithmetic-Only Inference*, CVPR 2018 — catalog id
``2018-cvpr-quantization-training-neural-networks``, https://arxiv.org/abs/1712.05877.

The scheme. Every real tensor is an affine image of an 8-bit integer tensor, ``r = S (q - Z)``
(real scale ``S``, integer zero point ``Z`` so that 0.0 is exactly representable). A layer's
output is then computed with integer arithmetic only::

    q_3 = Z_3 + M · Σ_j (q_1 - Z_1)(q_2 - Z_2)        M = S_1 S_2 / S_3

with an int32 accumulator, an int32 bias of scale ``S_1 S_2``, and ``M`` applied as a fixed-point
multiplier and shift. BatchNorm is folded into the preceding convolution and ReLU fused into its
clamping range, so a Conv–BN–ReLU block is one integer kernel. The ranges (``S``, ``Z``) of
activations come from observing min/max on calibration data.

This module applies the scheme after training (the paper's quantisation-aware training is what
:mod:`.dorefa`-style fake quantisation is for) through PyTorch's FX graph-mode quantisation: it
traces the model, folds and fuses, observes calibration batches, and converts to the quantised
engine's modules (``fbgemm`` / ``x86`` kernels on a CPU). Weights are then stored as int8 — the
``state_dict`` really shrinks to about a quarter — and inference runs integer kernels. It works on
any FX-traceable model, residual additions included.

What static quantisation cannot cover is quantised *dynamically* instead: recurrent layers
(``nn.LSTM``, ``nn.GRU``) get int8 weights and activations quantised per batch at run time
(``torch.ao.nn.quantized.dynamic``), as does any ``nn.Linear`` left without static observers.
Whatever still holds float weights afterwards — ``nn.MultiheadAttention``, whose fused
projections no int8 kernel here covers, ``Embedding``, custom layers — is listed by name in one
``UserWarning`` (:func:`float_layers`), so "int8" never silently means "partly float".

>>> import torch
>>> from zoo.nets import digits_cnn
>>> model = digits_cnn(width=8).eval()
>>> int8 = quantize_int8(model, [(torch.rand(16, 1, 8, 8), None)])
>>> int8(torch.rand(2, 1, 8, 8)).shape
torch.Size([2, 10])
>>> int8.classifier.weight().dtype
torch.qint8

Measured on scikit-learn's digits (4 calibration batches of 64; ``x86`` engine; latency is the
median of a batch of 64 on one CPU thread, on a shared machine):

| model | size fp32 → int8 (bytes) | ratio | accuracy fp32 / int8 | latency fp32 → int8 |
|---|---|---|---|---|
| digits CNN, width 32 | 385 191 → 106 709 | 27.7 % | 99.7 % / 99.7 % | 4.7 → 1.0 ms |
| ResNet-20, 32×32 input | 1 135 167 → 337 131 | 29.7 % | 99.7 % / 99.7 % | 64 → 15 ms |
| digits CNN, width 16 | 103 783 → 34 581 | 33.3 % | 99.4 % / 99.4 % | 1.9 → 0.4 ms |

Weights shrink 4×; the rest of the file is per-tensor framing and quantisation parameters, which
weigh more in very small models (hence width 16's 33 %). ``tests/zoo/test_quantization.py``
asserts the width-32 ratio under 30 %, accuracy within 1.5 points and int8 weight dtypes.

Deviations from the paper
-------------------------
* Post-training calibration instead of quantisation-aware training with simulated quantisation.
* Weights are int8, symmetric (zero point 0) and scaled per output channel; ``per_channel=False``
  gives one scale per layer, as the paper has. Activations are uint8 with a zero point, as in the
  paper. On the ``x86``/``fbgemm`` engine activations use 7 bits
  (``reduce_range``) so that non-VNNI CPUs cannot overflow their 16-bit intermediate sums.
* The engine's kernels requantise with its own fixed-point arithmetic, not the paper's gemmlowp
  code; the result is the same scheme, not bit-identical output.
* Recurrent layers use dynamic int8 (activations scaled per batch at run time), not the paper's
  static ranges. Measured on the float row-LSTM digits net (``digits_lstm``, hidden 64): the
  int8 file is 32 % of the fp32 one (26 111 / 81 045 bytes) but a batch of 64 runs about 1.2–1.3×
  slower (8.6 against 7.0 ms, 10.7 against 8.2 ms in two runs on a loaded shared machine): 8 steps
  of a 64-wide recurrence are too small for int8 kernels to pay for quantising each step's input.

Why torch.ao FX graph mode and not PT2E (issue 14, item 16)
----------------------------------------------------------
PyTorch 2.13 no longer ships PT2E quantisation (``torch.ao.quantization.quantize_pt2e`` and the
X86 Inductor quantiser moved to torchao); torchao 0.18's ``prepare_pt2e``/``convert_pt2e`` with
``X86InductorQuantizer`` gives a graph of quantise/dequantise operations that is only fast once
``torch.compile`` (Inductor, C++ codegen) lowers it. Measured here on ResNet-20 (32×32, batch 64,
one thread, on a machine shared with seven other jobs, so the figures are noisy): export and
conversion 33 s, compilation 290 s, compiled int8 516 ms against compiled fp32 1 110 ms, and the
converted module's ``state_dict`` 1.40 MB against 1.14 MB in fp32 (it keeps float copies) —
whereas the FX path converts in about a second, needs no compiler, stores 29.7 % of the fp32
file and ran ~3.4× faster at batch 64 in the committed full benchmark. So the FX flow stays
until PT2E runs eagerly on int8 kernels; its deprecation notice is filtered below, and the move
is a change of this one function.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from zoo.registry import register

__all__ = ["float_layers", "int8_qconfig", "quantize_int8"]

# Layer types that hold float weights a forward multiplies by (after conversion, any of these
# left is a layer the int8 model runs in float).
_WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.MultiheadAttention, nn.RNNBase,
             nn.Embedding, nn.EmbeddingBag)
_DYNAMIC = (nn.LSTM, nn.GRU)  # what torch.ao.nn.quantized.dynamic covers beside Linear


def int8_qconfig(*, per_channel: bool = True, reduce_range: bool = True) -> Any:
    """The QConfig of the scheme: uint8 affine activations (min/max), int8 symmetric weights."""
    from torch.ao.quantization import QConfig
    from torch.ao.quantization.observer import MinMaxObserver, PerChannelMinMaxObserver

    activation = MinMaxObserver.with_args(
        dtype=torch.quint8,
        qscheme=torch.per_tensor_affine,  # zero point Z makes 0.0 exact, as the paper requires
        quant_min=0,
        quant_max=127 if reduce_range else 255,
    )
    if per_channel:
        weight = PerChannelMinMaxObserver.with_args(
            dtype=torch.qint8, qscheme=torch.per_channel_symmetric, quant_min=-128, quant_max=127
        )
    else:
        weight = MinMaxObserver.with_args(
            dtype=torch.qint8, qscheme=torch.per_tensor_symmetric, quant_min=-128, quant_max=127
        )
    return QConfig(activation=activation, weight=weight)


@register(
    "int8-ptq",
    paper="2018-cvpr-quantization-training-neural-networks",
    category="quantization",
    subcategory="fixed-bit",
    summary="Post-training int8 (affine uint8 activations, int8 weights) on real integer kernels.",
)
def quantize_int8(
    model: nn.Module,
    calibration_data: Iterable[Any],
    *,
    example_inputs: Any = None,
    backend: str = "x86",
    per_channel: bool = True,
    max_batches: int | None = None,
) -> nn.Module:
    """An int8 copy of ``model`` that runs on PyTorch's quantised CPU engine.

    ``calibration_data`` yields input tensors or ``(inputs, targets)`` pairs (a DataLoader does);
    a few hundred samples are plenty. ``example_inputs`` (default: the first calibration batch)
    is used for tracing. ``backend`` is the quantised engine (``"x86"``, ``"fbgemm"``,
    ``"qnnpack"``); it is made the process's active engine, which the returned model needs at
    inference time. The model must be traceable by ``torch.fx``. Takes float inputs, returns
    float outputs.
    """
    from torch.ao.quantization import QConfigMapping, default_dynamic_qconfig, quantize_dynamic
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    if backend not in torch.backends.quantized.supported_engines:
        supported = ", ".join(torch.backends.quantized.supported_engines)
        raise ValueError(f"quantised engine {backend!r} is not available here (have: {supported})")
    torch.backends.quantized.engine = backend
    batches = [_inputs(batch) for batch in _take(calibration_data, max_batches)]
    if not batches:
        raise ValueError("quantize_int8 needs at least one calibration batch")
    example = _as_tuple(example_inputs if example_inputs is not None else batches[0])
    float_model = copy.deepcopy(model).eval()
    reduce_range = backend in {"x86", "fbgemm"}
    mapping = QConfigMapping().set_global(
        int8_qconfig(per_channel=per_channel, reduce_range=reduce_range)
    )
    for layer_type in _DYNAMIC:  # no static int8 recurrent kernels: weights int8, inputs per batch
        mapping.set_object_type(layer_type, default_dynamic_qconfig)
    mapping.set_object_type(nn.MultiheadAttention, None)  # no int8 kernel: stays float, reported
    with warnings.catch_warnings():
        # torch.ao.quantization announces its move to torchao; the eager/FX flow still works and
        # is what this PyTorch ships, so the notice is not the caller's concern.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.ao")
        warnings.filterwarnings("ignore", message=r".*torch\.ao\.quantization is deprecated")
        warnings.filterwarnings("ignore", message=r".*quantized tensor creation functions")
        prepared = prepare_fx(float_model, mapping, example)  # folds BN, fuses ReLU, adds observers
        with torch.no_grad():
            for inputs in batches:
                prepared(*_as_tuple(inputs))  # observers record activation min/max
        converted = convert_fx(prepared)
        # Linear layers the static pass left float (no observed input) get dynamic int8.
        converted = quantize_dynamic(converted, {nn.Linear}, dtype=torch.qint8, inplace=True)
    if left := float_layers(converted):
        warnings.warn(
            f"int8-ptq left {len(left)} layer(s) in float: {', '.join(left)}", stacklevel=2
        )
    return converted


def float_layers(model: nn.Module) -> list[str]:
    """``"name (Type)"`` of every layer of ``model`` that still multiplies by float weights
    (a layer inside one already listed is not listed again)."""
    found: list[str] = []
    for name, module in model.named_modules():
        is_float = isinstance(module, _WEIGHTED) and not type(module).__module__.startswith(
            "torch.ao."  # the quantised modules live there
        )
        if is_float and not any(name.startswith(f"{outer.split(' ')[0]}.") for outer in found):
            found.append(f"{name or 'model'} ({type(module).__name__})")
    return found


def _take(data: Iterable[Any], limit: int | None) -> Iterable[Any]:
    for i, item in enumerate(data):
        if limit is not None and i >= limit:
            return
        yield item


def _inputs(batch: Any) -> Any:
    """The inputs of a calibration item: a tensor, or the first element of an (inputs, targets)."""
    if isinstance(batch, list | tuple) and len(batch) == 2 and isinstance(batch[0], torch.Tensor):
        return batch[0]
    return batch


def _as_tuple(inputs: Any) -> tuple[Any, ...]:
    return tuple(inputs) if isinstance(inputs, list | tuple) else (inputs,)
