"""ONNX export with a round trip through ONNX Runtime: the file is written only if it runs and
matches PyTorch.

:func:`export_onnx` exports with ``torch.onnx.export`` — the dynamo exporter (``torch.export``
graph, translated by onnxscript) first, the TorchScript exporter where dynamo fails — into a
temporary file beside ``path``, opens it in ONNX Runtime (``CPUExecutionProvider``, its default
graph optimisations, which fold BatchNorm and fuse activations), runs it on the example inputs and
on a perturbed copy of them (catching values traced as constants), and compares every output::

    |ORT − PyTorch| ≤ atol + rtol · |PyTorch|        element-wise, for every output

Only then does ``os.replace`` put the file at ``path``; on any failure the previous file (or
nothing) stays there and :class:`OnnxExportError` says, in one line, which operator failed
(parsed from the exporter's or ONNX Runtime's message), at which stage, and what to change.

>>> import tempfile, torch
>>> from pathlib import Path
>>> from zoo.nets import digits_cnn
>>> with tempfile.TemporaryDirectory() as tmp:
...     result = export_onnx(digits_cnn(width=8), torch.rand(2, 1, 8, 8), Path(tmp) / "cnn.onnx")
>>> result.exporter, result.dynamic_batch, result.max_abs_diff < 1e-4
('dynamo', True, True)

What exports, with which exporter (torch 2.13, onnxscript 0.7, onnxruntime 1.32), and how far ONNX
Runtime is from PyTorch (trained on scikit-learn's digits, 64 test images; untrained for the ViT
and LSTM):

| result | exporter | max abs diff | default tolerance |
|---|---|---|---|
| digits CNN; L1-pruned 0.5; low-rank (energy 0.9) | dynamo | 3.8e-6; 3.8e-6; 6.7e-6 | float |
| ResNet-20 (32×32); L1-pruned (coupled residuals); low-rank | dynamo | ≤ 5.7e-6 | float |
| ``GhostDigitsNet`` (depthwise, squeeze-excite, concat) | dynamo | 6.7e-6 | float |
| ``digits_vit`` (attention); ``digits_lstm`` | dynamo | 2.4e-7; 4.5e-8 | float |
| ``int8-ptq`` of the three CNNs and three ResNet-20s | TorchScript | 0.13–0.81 | int8 |
| ``int8-ptq`` of ``GhostDigitsNet`` | TorchScript | 1.5: fails (bound 0.84) | int8 |

(logits of the trained nets reach about 17.)

Tolerances: **float** results (structured pruning, low-rank, lightweight, distilled or searched
nets, which are all plain float modules) ``rtol = atol = 1e-4`` (``FLOAT_TOLERANCE``): measured
differences are below 1e-5 on logits up to ~17, so the bound holds with more than ten times
margin yet catches any real mismatch. **int8** models holding ``torch.ao`` quantised modules
(``INT8_TOLERANCE``) get ``atol`` = 5 % of the largest |output|, ``rtol`` 0: PyTorch's fbgemm/x86
kernels and ORT's QDQ-fused kernels requantise with their own rounding, and a one-step difference
inside the net travels to the logits. The measured differences use 30–90 % of that bound (the
most on the low-rank ResNet-20: 0.81 of 0.89), so it is a bound for "the same int8 model", not a
loose one; test accuracy in ORT equals PyTorch int8's for the CNN, pruned CNN, low-rank CNN and
ResNet-20, and moved by 2 and 3 of 360 images for the L1-pruned (92.5 → 93.1 %) and low-rank
(89.7 → 88.9 %) ResNet-20. ORT's own int8
(:func:`~zoo.deploy.export_onnx_int8`) is not compared element-wise: judge it by accuracy.

Measured latency (batch 64, one intra-op thread in both runtimes, median of 30 runs after 5
warm-ups; PyTorch eager as trained, ORT with its default optimisations; on a 2-core machine shared
with another job running its own benchmarks and tests, so single figures can be off by tens of
per cent):

| model | PyTorch fp32 | ORT fp32 | ``int8-ptq`` | ``int8-ptq`` in ORT | ORT static int8 |
|---|---|---|---|---|---|
| digits CNN (width 16) | 4.6 ms | 1.8 ms | 2.5 ms | 1.2 ms | 1.2 ms |
| same, L1-pruned 0.5 | 2.5 ms | 0.46 ms | 1.3 ms | 0.59 ms | 0.40 ms |
| ``GhostDigitsNet(width=8)`` | 16.9 ms | 1.1 ms | — | fails the check | 3.0 ms |
| ResNet-20, 32×32 | 157 ms | 84 ms | 94 ms | 62 ms | 58 ms |

On these small inputs PyTorch eager pays a fixed cost per operator that ORT's fused graph does not
(hence the Ghost net's 15×, many tiny operators); BatchNorm folding alone did not change PyTorch's
figures much (4.7, 2.4, 14.4 and 161 ms).

Deviations and limits
---------------------
* Inputs are positional tensors (a tensor or a tuple); keyword inputs and non-tensor arguments
  are not exported. The graph must use every input (an unused one is dropped by the exporter and
  reported).
* ``dynamic_batch`` asks dynamo for ``Dim.AUTO`` on dimension 0: a model whose code fixes the
  batch size is exported static, and ``OnnxExport.dynamic_batch`` says so.
* The dynamo exporter cannot export the ``int8-ptq`` model: its packed int8 parameters
  (``torch.classes.quantized.Conv2dPackedParamsBase``) have no ``__obj_flatten__`` for
  ``torch.export``; the TorchScript exporter turns them into QuantizeLinear/DequantizeLinear
  around float Conv/Gemm, which ORT fuses into int8 kernels. The TorchScript exporter is
  deprecated in PyTorch; when it goes, the FX int8 model stops exporting, and ORT's own static
  quantisation (:mod:`.ort_int8`) remains.
* The int8 Ghost net fails the check: its quantised ``torch.cat`` joins inputs of different
  scales, which PyTorch requantises to one scale (it warns about it) and the QDQ graph does not
  the same way. Export its float model and quantise with :func:`~zoo.deploy.export_onnx_int8`.
* The file holds its weights inline (protobuf's 2 GB limit): large language models need external
  data files, which the atomic write does not cover.
* The check runs two inputs; it cannot prove the graph right for every input (data-dependent
  control flow is traced for the example's branch: watch for TracerWarnings).
"""

from __future__ import annotations

import contextlib
import logging
import re
import statistics
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from ..catalog.writer import refuse_special, replace_atomic

__all__ = ["OnnxExport", "OnnxExportError", "export_onnx", "is_quantized"]

Exporter = Literal["auto", "dynamo", "torchscript"]

# Default tolerances of the round trip, |ORT − PyTorch| ≤ atol + rtol·|PyTorch| element-wise.
# Float models: ORT fuses and reorders float arithmetic (Conv+BN, Gemm); measured differences are
# at most 6.7e-6 on the zoo's trained nets (table above), more than ten times inside the bound.
FLOAT_TOLERANCE = (1e-4, 1e-4)  # (rtol, atol)
# Models holding torch.ao int8 modules: PyTorch's fbgemm/x86 kernels and ORT's QLinear kernels
# requantise with their own rounding, so an intermediate value can land one step apart and that
# step travels to the output (measured differences above). atol is then this share of the largest
# |output| of PyTorch on the check inputs, a scale-free bound of a few quantisation steps.
INT8_TOLERANCE = (0.0, 0.05)  # (rtol, atol as a share of max |PyTorch output|)


@dataclass(frozen=True)
class OnnxExport:
    """What :func:`export_onnx` (or :func:`~zoo.deploy.export_onnx_int8`) wrote and checked."""

    path: Path
    exporter: str  # "dynamo" or "torchscript": the exporter that produced the file
    opset: int  # the default-domain opset of the file
    dynamic_batch: bool  # whether the file accepts any batch size (dimension 0 of every input)
    max_abs_diff: float  # largest |ORT − PyTorch| over every output of the check inputs
    rtol: float | None  # the tolerance checked; None: not checked element-wise (int8 by ORT)
    atol: float | None
    fallback_reason: str | None = None  # why the dynamo exporter was not used (one line)
    torch_ms: float | None = None  # median latency of PyTorch on the example inputs, `threads`
    ort_ms: float | None = None  # the same for ONNX Runtime (CPUExecutionProvider)
    quantization: str | None = None  # "ort-static-qdq" for ORT's own int8 quantisation

    @property
    def size(self) -> int:
        """Bytes of the file."""
        return self.path.stat().st_size


class OnnxExportError(RuntimeError):
    """The model could not be exported, did not run in ONNX Runtime, or did not match PyTorch.

    ``str()`` is one line: the operator (when one is to blame), what failed, and what to change.
    ``operator`` is e.g. ``"zootest::mystery"`` (a PyTorch operator without ONNX translation) or
    ``"Gemm(13)"`` (an ONNX operator and opset ONNX Runtime has no CPU kernel for);
    ``stage`` is ``"export"``, ``"onnxruntime"`` or ``"check"``.
    """

    def __init__(self, message: str, *, operator: str | None = None, stage: str = "export"):
        super().__init__(message)
        self.operator = operator
        self.stage = stage


def is_quantized(model: nn.Module) -> bool:
    """Whether ``model`` holds PyTorch int8 modules (``torch.ao.nn.quantized``, e.g. the zoo's
    ``int8-ptq`` result), which get the int8 tolerance."""
    return any(type(m).__module__.startswith("torch.ao.nn.quantized") for m in model.modules())


def export_onnx(
    model: nn.Module,
    example_inputs: Any,
    path: str | Path,
    *,
    exporter: Exporter = "auto",
    rtol: float | None = None,
    atol: float | None = None,
    dynamic_batch: bool = True,
    opset: int | None = None,
    threads: int = 1,
    latency_repeats: int = 20,
) -> OnnxExport:
    """Export ``model`` to the ONNX file ``path`` and check it in ONNX Runtime; return the record.

    ``example_inputs`` is a tensor or a tuple of positional tensors. The model is exported in eval
    mode with ``exporter="auto"``: the dynamo exporter, then the TorchScript exporter if dynamo
    fails to export, to load in ONNX Runtime or to match (the reason is kept in
    ``fallback_reason``); ``"dynamo"`` or ``"torchscript"`` forces one. The file is run on the
    example inputs and on a perturbed copy (catching values traced as constants) and every output
    must satisfy ``|ORT − PyTorch| ≤ atol + rtol·|PyTorch|``; by default ``FLOAT_TOLERANCE``, or
    for a model holding ``torch.ao`` int8 modules ``INT8_TOLERANCE`` (atol 5 % of the largest
    |output|). With ``dynamic_batch`` the first dimension of every input is left free where the
    model allows it. ``path`` is replaced atomically, and only by a file that passed (a directory
    or symbolic link there is refused).
    Latency (``latency_repeats`` timed runs after 5 warm-ups, median, ``threads`` intra-op threads
    in both runtimes; 0 skips it) is measured on the example inputs.

    Raises :class:`OnnxExportError` naming the failing operator where the exporter or ONNX
    Runtime says which one.
    """
    path = Path(path)
    refuse_special(path)  # before any work: a directory or link there is never replaced
    inputs = _as_tuple(example_inputs)
    if not all(isinstance(t, torch.Tensor) for t in inputs):
        raise TypeError("export_onnx: example_inputs must be a tensor or a tuple of tensors")
    check_inputs = [inputs, _perturbed(inputs)]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            expected = [_flat_outputs(model(*x)) for x in check_inputs]
        if is_quantized(model):
            scale = max((float(np.abs(o).max()) for out in expected for o in out if o.size),
                        default=1.0)
            default = (INT8_TOLERANCE[0], INT8_TOLERANCE[1] * scale)
        else:
            default = FLOAT_TOLERANCE
        rtol = default[0] if rtol is None else rtol
        atol = default[1] if atol is None else atol
        order = ["dynamo", "torchscript"] if exporter == "auto" else [exporter]
        if any(name not in ("dynamo", "torchscript") for name in order):
            raise ValueError(f"exporter: 'auto', 'dynamo' or 'torchscript', not {exporter!r}")
        failures: list[tuple[str, BaseException]] = []
        for name in order:
            found: dict[str, Any] = {}

            def fill(tmp: Path, name: str = name, found: dict[str, Any] = found) -> None:
                _export(name, model, inputs, tmp, dynamic_batch=dynamic_batch, opset=opset,
                        n_outputs=len(expected[0]))
                session = _session(tmp, threads)
                found["diff"] = check_session(session, check_inputs, expected, rtol=rtol,
                                              atol=atol)
                found["session"] = session
                found["meta"] = _file_facts(tmp)

            try:
                replace_atomic(path, fill)
            except _Failure as failure:
                failures.append((name, failure))
                continue
            except OSError:  # the file system's refusal, not the exporter's
                raise
            except Exception as exc:  # the exporter's or ORT's own error, to be named
                failures.append((name, _classify(exc, stage="export")))
                continue
            opset_found, dynamic = found["meta"]
            torch_ms = ort_ms = None
            if latency_repeats > 0:
                torch_ms, ort_ms = measure_latency(model, found["session"], inputs,
                                                   threads=threads, repeats=latency_repeats)
            reason = _one_line(failures[0][1]) if failures else None
            return OnnxExport(path=path, exporter=name, opset=opset_found, dynamic_batch=dynamic,
                              max_abs_diff=found["diff"], rtol=rtol, atol=atol,
                              fallback_reason=reason, torch_ms=torch_ms, ort_ms=ort_ms)
        raise _combined(type(model).__name__, failures) from failures[-1][1]
    finally:
        model.train(was_training)


# --- exporting ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_exporters() -> Iterator[None]:
    """Silence the exporters' notices that are not the caller's concern: the dynamo exporter's
    log lines about torchvision operators it skips, and deprecation notices (the TorchScript
    exporter's, pytree's). Tracer warnings (a value traced as a constant) stay visible."""
    loggers = [logging.getLogger(name) for name in _NOISY_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


# Loggers whose warnings during an export are the exporter's business: the operators it skips
# (torchvision's), and torch.export's dump of the graph when dynamo gives up (the OnnxExportError
# or the fallback reason carries the gist, and the original exception is chained to it).
_NOISY_LOGGERS = ("torch.onnx._internal.exporter._registration",
                  "torch.fx.experimental.symbolic_shapes", "torch.export", "torch._dynamo")


def _export(name: str, model: nn.Module, inputs: tuple[torch.Tensor, ...], tmp: Path, *,
            dynamic_batch: bool, opset: int | None, n_outputs: int) -> None:
    with _quiet_exporters():
        if name == "dynamo":
            shapes = (tuple({0: torch.export.Dim.AUTO} if t.dim() else {} for t in inputs)
                      if dynamic_batch else None)
            program = torch.onnx.export(model, inputs, dynamo=True, dynamic_shapes=shapes,
                                        opset_version=opset, verbose=False)
            if program is None:  # pragma: no cover - only without a destination on old torch
                raise RuntimeError("the dynamo exporter returned no program")
            program.save(str(tmp), external_data=False)
        else:
            input_names = [f"input_{i}" for i in range(len(inputs))]
            # Output names are needed too: without them, dynamic_axes fails on torch.fx models.
            output_names = [f"output_{i}" for i in range(n_outputs)]
            axes = ({n: {0: "batch"} for n, t in zip(input_names, inputs, strict=True) if t.dim()}
                    if dynamic_batch else None)
            # torch 2.13's setup_onnx_logging tests `_C._jit_is_onnx_log_enabled` without calling
            # it, so the exporter's C++ log is always on and prints the whole IR graph of a model
            # it fails on to stdout (the caller's output: `aladin bench`'s report); send it to
            # stderr, beside the exporters' other notices. The stream has no getter: stdout is
            # torch's default.
            torch._C._jit_set_onnx_log_output_stream("stderr")
            try:
                torch.onnx.export(model, inputs, str(tmp), dynamo=False, opset_version=opset,
                                  input_names=input_names, output_names=output_names,
                                  dynamic_axes=axes)
            finally:
                torch._C._jit_set_onnx_log_output_stream("stdout")


def _file_facts(path: Path) -> tuple[int, bool]:
    """(default-domain opset, whether dimension 0 of every batched input is symbolic)."""
    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), 0)
    initializers = {i.name for i in proto.graph.initializer}
    dims = [i.type.tensor_type.shape.dim for i in proto.graph.input if i.name not in initializers]
    dynamic = all(bool(d[0].dim_param) for d in dims if len(d)) and any(len(d) for d in dims)
    return opset, dynamic


# --- running in ONNX Runtime --------------------------------------------------------------------


def _session(path: Path | bytes, threads: int) -> Any:
    """An ONNX Runtime session of the file at ``path`` (or of the serialized model itself)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: ORT's warnings about unused initializers
    try:
        source = path if isinstance(path, bytes) else str(path)
        return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise _classify(exc, stage="onnxruntime",
                        model_path=None if isinstance(path, bytes) else path) from exc


def run_session(session: Any, inputs: Sequence[torch.Tensor]) -> list[np.ndarray]:
    """ONNX Runtime's outputs for positional ``inputs`` (one per graph input, in order)."""
    names = [i.name for i in session.get_inputs()]
    if len(names) != len(inputs):
        raise _Failure(f"the ONNX graph has {len(names)} inputs, the model {len(inputs)} "
                       "(an unused input was dropped?); give only the inputs the model uses",
                       stage="check")
    feed = {n: t.detach().cpu().numpy() for n, t in zip(names, inputs, strict=True)}
    try:
        return session.run(None, feed)
    except Exception as exc:
        raise _classify(exc, stage="onnxruntime") from exc


def check_session(session: Any, check_inputs: Sequence[Sequence[torch.Tensor]],
                  expected: Sequence[Sequence[np.ndarray]], *, rtol: float | None,
                  atol: float | None) -> float:
    """The largest |ORT − expected| over all outputs; raise if outside the tolerance (when
    ``atol`` is given)."""
    worst = 0.0
    for which, (inputs, reference) in enumerate(zip(check_inputs, expected, strict=True)):
        got = run_session(session, inputs)
        if len(got) != len(reference):
            raise _Failure(f"ONNX Runtime returned {len(got)} outputs, PyTorch {len(reference)}",
                           stage="check")
        for out, ref in zip(got, reference, strict=True):
            if out.shape != ref.shape:
                raise _Failure(f"output shape {out.shape} in ONNX Runtime, {ref.shape} in "
                               "PyTorch", stage="check")
            if out.size == 0:
                continue
            diff = np.abs(out.astype(np.float64) - ref.astype(np.float64))
            worst = max(worst, float(diff.max()))
            if atol is not None and not np.all(diff <= atol + (rtol or 0.0) * np.abs(ref)):
                on = "the example inputs" if which == 0 else (
                    "perturbed example inputs (a value traced as a constant?)")
                raise _Failure(f"outputs differ from PyTorch's on {on}: max |ORT − PyTorch| = "
                               f"{float(diff.max()):.3g} > atol {atol:g} + rtol {rtol:g}·|PyTorch|",
                               stage="check")
    return worst


def measure_latency(model: nn.Module, session: Any, inputs: Sequence[torch.Tensor], *,
                    threads: int, repeats: int, warmup: int = 5) -> tuple[float, float]:
    """Median milliseconds per call of ``model`` (PyTorch) and of ``session`` (ONNX Runtime,
    opened with ``threads`` intra-op threads) on ``inputs``."""
    from ..metrics import latency

    torch_ms = latency(model, tuple(inputs), warmup=warmup, repeats=repeats, threads=threads) * 1e3
    names = [i.name for i in session.get_inputs()]
    feed = {n: t.detach().cpu().numpy() for n, t in zip(names, inputs, strict=True)}
    for _ in range(warmup):
        session.run(None, feed)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(None, feed)
        times.append(time.perf_counter() - start)
    return torch_ms, statistics.median(times) * 1e3


# --- inputs and outputs -------------------------------------------------------------------------


def _as_tuple(inputs: Any) -> tuple[Any, ...]:
    return tuple(inputs) if isinstance(inputs, list | tuple) else (inputs,)


def _perturbed(inputs: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """Float inputs plus noise of a tenth of their spread (fixed seed); others unchanged."""
    generator = torch.Generator().manual_seed(0)
    out = []
    for t in inputs:
        if t.is_floating_point() and t.numel():
            spread = float(t.float().std()) if t.numel() > 1 else 0.0
            noise = torch.randn(t.shape, generator=generator).to(t.dtype)
            t = t + noise * (0.1 * spread if spread > 0 else 0.1)
        out.append(t)
    return tuple(out)


def _flat_outputs(output: Any) -> list[np.ndarray]:
    leaves = torch.utils._pytree.tree_leaves(output)
    return [leaf.detach().cpu().float().numpy() if leaf.dtype == torch.bfloat16
            else leaf.detach().cpu().numpy() for leaf in leaves if isinstance(leaf, torch.Tensor)]


# --- errors -------------------------------------------------------------------------------------


class _Failure(Exception):
    """One exporter's failure, already classified (operator, stage, one-line reason)."""

    def __init__(self, reason: str, *, operator: str | None = None, stage: str = "export"):
        super().__init__(reason)
        self.operator = operator
        self.stage = stage


# What the exporters and ONNX Runtime say, and how to read the operator out of it.
_OPERATOR_PATTERNS: tuple[tuple[str, Callable[[re.Match[str]], str]], ...] = (
    # dynamo: DispatchError
    (r"No ONNX function found for <OpOverload\(op='([\w.]+)', overload='(\w+)'\)>",
     lambda m: m[1].replace(".", "::", 1) + ("" if m[2] == "default" else f".{m[2]}")),
    # TorchScript exporter
    (r"unrecognized namespace ([\w:.]+)", lambda m: m[1].rstrip(".")),
    (r"Exporting the operator '?([\w:.]+?)'? to ONNX opset version", lambda m: m[1]),
    (r"Couldn't export Python operator (\w+)", lambda m: m[1]),
    (r"Couldn't export operator ([\w:.]+)", lambda m: m[1]),
    # ONNX Runtime
    (r"Could not find an implementation for (\w+\(\d+\)) node with name '([^']*)'",
     lambda m: m[1]),
    (r"(?:Fatal error: )?([\w.]+:\w+\(-?\d+\)) is not a registered function/op",
     lambda m: m[1]),
)
_ADVICE = {
    "export": "replace it with standard PyTorch operations, give it an ONNX translation "
              "(torch.onnx.export(..., custom_translation_table=...) or a TorchScript symbolic), "
              "or keep it out of the exported module",
    "onnxruntime": "ONNX Runtime's CPU provider has no kernel for it with these types: export "
                   "in float32 (model.float()) or replace the operation",
    "check": "check the model for values traced as constants (Python numbers from tensors, "
             "numpy) or raise rtol/atol if the difference is expected",
}


def _texts(exc: BaseException) -> Iterator[str]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield str(exc)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]


def _find_operator(text: str) -> str | None:
    for pattern, name in _OPERATOR_PATTERNS:
        if match := re.search(pattern, text):
            return name(match)
    return None


def _defined_at(text: str) -> str | None:
    """The first frame outside PyTorch of a TorchScript exporter's "Defined at:" list."""
    match = re.search(r"Defined at:\n((?:.+\n?)+)", text)
    if not match:
        return None
    for line in match[1].splitlines():
        frame = re.match(r"\s*(.+?)\((\d+)\): (\w+)", line)
        if frame and "site-packages/torch/" not in frame[1]:
            return f"{Path(frame[1]).name}:{frame[2]} in {frame[3]}"
    return None


def _types_of(model_path: Path, node_name: str) -> str | None:
    """The element types of the inputs of node ``node_name`` (after shape inference)."""
    try:
        import onnx

        proto = onnx.shape_inference.infer_shapes(onnx.load(str(model_path)))
        graph = proto.graph
        types = {v.name: v.type.tensor_type.elem_type
                 for v in [*graph.input, *graph.value_info, *graph.output]}
        types.update({i.name: i.data_type for i in graph.initializer})
        node = next(n for n in graph.node if n.name == node_name)
        names = [onnx.TensorProto.DataType.Name(types[i]).lower() for i in node.input
                 if types.get(i)]
        return ", ".join(dict.fromkeys(names)) or None
    except Exception:  # only an embellishment of the message
        return None


def _classify(exc: BaseException, *, stage: str, model_path: Path | None = None) -> _Failure:
    texts = list(_texts(exc))
    operator = next((op for t in texts if (op := _find_operator(t))), None)
    where = next((w for t in texts if (w := _defined_at(t))), None)
    if operator and re.match(r"\w+\(\d+\)$", operator):
        stage = "onnxruntime"
        node = re.search(r"node with name '([^']*)'", "\n".join(texts))
        types = _types_of(model_path, node[1]) if model_path and node else None
        detail = f"node {node[1]!r}" if node else ""
        detail += f" on {types}" if types else ""
        reason = f"ONNX Runtime has no CPU kernel for {operator}" + (
            f" ({detail})" if detail else "")
    elif operator:
        reason = f"operator {operator} has no ONNX translation" + (
            f" (used at {where})" if where else "")
    else:
        reason = _summary(texts)
    failure = _Failure(reason, operator=operator, stage=stage)
    failure.__cause__ = exc  # the exporter's full message stays in the traceback
    return failure


def _summary(texts: list[str]) -> str:
    """A one-line gist of an exporter's error (the innermost exception's first line)."""
    for text in reversed(texts):
        for line in text.splitlines():
            line = re.sub(r"\x1b\[[0-9;]*m", "", line).strip()
            if line and not line.startswith(("Traceback", "File ")):
                return line[:300]
    return "unknown error"


def _one_line(failure: BaseException) -> str:
    return " ".join(str(failure).split())[:400]


def _combined(model_name: str, failures: list[tuple[str, BaseException]]) -> OnnxExportError:
    """One error for all exporters tried: the operator and advice of the most telling failure
    (one that names an operator, else the one that got furthest: check, then ONNX Runtime)."""
    furthest = {"check": 0, "onnxruntime": 1, "export": 2}
    _, main = min(failures, key=lambda f: (getattr(f[1], "operator", None) is None,
                                           furthest.get(getattr(f[1], "stage", "export"), 2)))
    operator = getattr(main, "operator", None)
    stage = getattr(main, "stage", "export")
    tried = "; ".join(f"{name}: {_one_line(f)}" for name, f in failures)
    subject = f"operator {operator}" if operator else model_name
    return OnnxExportError(f"cannot deploy {model_name} to ONNX Runtime — {tried}. "
                           f"To fix {subject}: {_ADVICE[stage]}.", operator=operator, stage=stage)
