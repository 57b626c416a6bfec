"""ONNX Runtime latency beside PyTorch's (``aladin bench --ort``).

Every row's model (the baseline's and each adapter's first-seed model, as trained: ORT folds
BatchNorm itself) goes through :func:`zoo.export_onnx` — dynamo exporter, TorchScript where dynamo
fails, checked against PyTorch within its tolerance, batch dimension left free — and its ONNX
Runtime session (CPUExecutionProvider, the session's intra-op threads = the protocol's) is wrapped
in :class:`OrtModule`, so :func:`~zoo.bench.measure.latency_session` times it in the *same*
interleaved session as the PyTorch models: the two runtimes see the same load. A row whose model
does not export keeps its PyTorch figures and says why under ``ort.error``.
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
    """An ONNX Runtime session behind ``nn.Module``'s call: tensors in, tensors out (zero-copy
    on the CPU), so that PyTorch's timing helpers can time it."""

    def __init__(self, session: Any) -> None:
        super().__init__()
        self.session = session
        self.names = [i.name for i in session.get_inputs()]

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        feed = {n: t.detach().numpy() for n, t in zip(self.names, inputs, strict=True)}
        outputs = [torch.from_numpy(o) for o in self.session.run(None, feed)]
        return outputs[0] if len(outputs) == 1 else tuple(outputs)


def ort_models(models: Mapping[str, nn.Module], example_inputs: torch.Tensor, *,
               threads: int) -> tuple[dict[str, nn.Module], dict[str, dict[str, Any]]]:
    """``({name: OrtModule}, {name: {"exporter", "opset", "max_abs_diff"} or {"error"}})``.

    ``example_inputs`` needs a batch of at least 2 (a batch of 1 would be specialised by
    ``torch.export`` and the file would not run at other batch sizes).
    """
    from ..deploy import OnnxExportError, export_onnx
    from ..deploy.onnx_export import _session

    sessions: dict[str, nn.Module] = {}
    info: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="zoo-bench-onnx-") as tmp:
        for i, (name, model) in enumerate(models.items()):
            try:
                record = export_onnx(model, example_inputs, Path(tmp) / f"{i}.onnx",
                                     threads=threads, latency_repeats=0)
            except OnnxExportError as exc:
                info[name] = {"error": str(exc)}
                continue
            if not record.dynamic_batch:
                info[name] = {"error": "exported with a fixed batch size; not timed"}
                continue
            sessions[name] = OrtModule(_session(record.path, threads))  # loaded into memory
            info[name] = {"exporter": record.exporter, "opset": record.opset,
                          "max_abs_diff": float(f"{record.max_abs_diff:.3g}")}
    return sessions, info
