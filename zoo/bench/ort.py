"""ONNX Runtime in the benchmark: latency beside PyTorch's (``aladin bench --ort``) and the rows
that run in ONNX Runtime only (``ort-int8``, ORT's own static int8).

Every row's model (the baseline's and each adapter's first-seed model, as trained: ORT folds
BatchNorm itself) goes through :func:`zoo.export_onnx` — dynamo exporter, TorchScript where dynamo
fails, checked against PyTorch within its tolerance, batch dimension left free — and the ONNX file
is run by :class:`OrtModule` (CPUExecutionProvider), so :func:`~zoo.bench.measure.latency_session`
times it in the *same* interleaved session as the PyTorch models: the two runtimes see the same
load. A row whose model does not export keeps its PyTorch figures and says why under
``ort.error``. A model that already is an :class:`OrtModule` is not exported again: its own timing
is its ONNX Runtime latency.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = ["OrtModule", "ort_models"]


class OrtModule(nn.Module):
    """An ONNX model run by ONNX Runtime behind ``nn.Module``'s call: tensors in, tensors out
    (zero-copy on the CPU), so that PyTorch's accuracy and timing helpers can run it.

    The model is held as the file's bytes (``size_bytes`` is the file's size) and ``info`` says
    how it was made (exporter, opset, quantisation). Sessions are opened per thread count: a call
    runs with ``torch.get_num_threads()`` intra-op threads — the count :func:`zoo.metrics.latency`
    sets — so one latency protocol governs both runtimes.
    """

    def __init__(self, onnx: bytes, info: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.onnx = onnx
        self.info = dict(info or {})
        self._sessions: dict[int, Any] = {}

    @classmethod
    def load(cls, path: str | Path, info: Mapping[str, Any] | None = None) -> OrtModule:
        """The ONNX file at ``path``, read into memory (the file may go away afterwards)."""
        return cls(Path(path).read_bytes(), info)

    @property
    def size_bytes(self) -> int:
        return len(self.onnx)

    def session(self) -> Any:
        """The ONNX Runtime session for the current ``torch.get_num_threads()``."""
        threads = torch.get_num_threads()
        if threads not in self._sessions:
            from ..deploy.onnx_export import _session

            self._sessions[threads] = _session(self.onnx, threads)
        return self._sessions[threads]

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        session = self.session()
        names = [i.name for i in session.get_inputs()]
        feed = {n: t.detach().numpy() for n, t in zip(names, inputs, strict=True)}
        outputs = [torch.from_numpy(o) for o in session.run(None, feed)]
        return outputs[0] if len(outputs) == 1 else tuple(outputs)


def ort_models(models: Mapping[str, nn.Module], example_inputs: torch.Tensor, *,
               threads: int) -> tuple[dict[str, nn.Module], dict[str, dict[str, Any]]]:
    """``({name: OrtModule}, {name: {"exporter", "opset", "max_abs_diff"} or {"error"}})``.

    ``example_inputs`` needs a batch of at least 2 (a batch of 1 would be specialised by
    ``torch.export`` and the file would not run at other batch sizes); ``threads`` is the
    export check's. Models that already are :class:`OrtModule` are left out of the first
    mapping and report their own ``info``.
    """
    from ..deploy import OnnxExportError, export_onnx

    sessions: dict[str, nn.Module] = {}
    info: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="zoo-bench-onnx-") as tmp:
        for i, (name, model) in enumerate(models.items()):
            if isinstance(model, OrtModule):
                info[name] = model.info
                continue
            try:
                record = export_onnx(model, example_inputs, Path(tmp) / f"{i}.onnx",
                                     threads=threads, latency_repeats=0)
            except OnnxExportError as exc:
                info[name] = {"error": str(exc)}
                continue
            if not record.dynamic_batch:
                info[name] = {"error": "exported with a fixed batch size; not timed"}
                continue
            sessions[name] = OrtModule.load(record.path)
            info[name] = {"exporter": record.exporter, "opset": record.opset,
                          "max_abs_diff": float(f"{record.max_abs_diff:.3g}")}
    return sessions, info
