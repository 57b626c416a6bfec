"""Deployment: the zoo's results as ONNX files that ONNX Runtime runs, checked against PyTorch.

* :func:`export_onnx` (:mod:`.onnx_export`) — ``torch.onnx.export`` (the dynamo exporter first,
  the TorchScript one where dynamo fails), written atomically, run in ONNX Runtime and compared
  with PyTorch's outputs; a failure names the operator.
* :func:`export_onnx_int8` (:mod:`.ort_int8`) — ONNX Runtime's own static int8 quantisation
  (QDQ) of the exported float model, calibrated on the caller's batches: the deployable peer of
  the zoo's ``int8-ptq``.

Both return an :class:`OnnxExport` record and raise :class:`OnnxExportError`. They need the
``deploy`` extra (onnx, onnxruntime, onnxscript) besides PyTorch; without it, importing this
package raises :class:`zoo.MissingExtraError` with the install line.
"""

from __future__ import annotations

from ..registry import import_zoo_module

import_zoo_module("torch", __name__)  # without PyTorch: MissingExtraError with the install line
for _package in ("onnx", "onnxruntime", "onnxscript"):  # onnxscript: the dynamo exporter's
    import_zoo_module(_package, __name__)

from .onnx_export import OnnxExport, OnnxExportError, export_onnx
from .ort_int8 import export_onnx_int8

__all__ = ["OnnxExport", "OnnxExportError", "export_onnx", "export_onnx_int8"]
