"""zoo.export_onnx and zoo.export_onnx_int8: the zoo's results run in ONNX Runtime.

Round trips for a structured-pruning result (L1 on a small ResNet, residual channels coupled), a
low-rank result, a lightweight net and the FX int8 model; ORT's own int8 against fp32 accuracy on
the digits (floors, not exact figures); the failure paths name the operator and write nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from torch import nn

import zoo
from zoo.catalog.writer import NotARegularFile
from zoo.deploy import OnnxExport, OnnxExportError, export_onnx, export_onnx_int8
from zoo.deploy.onnx_export import FLOAT_TOLERANCE, _session
from zoo.lowrank import Factorized
from zoo.metrics import accuracy
from zoo.nets import CifarResNet, digits_cnn
from zoo.quantization import quantize_int8
from zoo.registry import _GIT


def ort_outputs(path: Path, x: torch.Tensor) -> np.ndarray:
    session = _session(path, 1)
    return session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]


def assert_round_trip(result: OnnxExport, model: nn.Module, tmp_path: Path) -> None:
    """Dynamo-exported, within the float tolerance, and right at another batch size too."""
    assert result.exporter == "dynamo" and result.fallback_reason is None
    assert result.max_abs_diff <= FLOAT_TOLERANCE[1] and result.dynamic_batch
    assert result.ort_ms is not None and result.ort_ms > 0 and result.torch_ms is not None
    x = torch.rand(7, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = model.eval()(x).numpy()
    np.testing.assert_allclose(ort_outputs(result.path, x), expected, rtol=1e-4, atol=1e-4)
    assert [p.name for p in tmp_path.iterdir()] == [result.path.name]  # no temporary file left


def test_structured_pruning_result_round_trips(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = CifarResNet(1, in_channels=1).eval()  # ResNet-8: residual additions couple channels
    x = torch.rand(4, 1, 8, 8)
    pruned = zoo.prune(model, x, method="l1-norm", pruning_ratio=0.5)
    assert pruned.layer1[0].conv1.out_channels == 8  # really smaller
    result = export_onnx(pruned, x, tmp_path / "pruned.onnx")
    assert_round_trip(result, pruned, tmp_path)
    convs = [n for n in onnx.load(str(result.path)).graph.node if n.op_type == "Conv"]
    assert len(convs) == sum(isinstance(m, nn.Conv2d) for m in pruned.modules())


def test_low_rank_result_round_trips(tmp_path: Path) -> None:
    torch.manual_seed(0)
    small = zoo.decompose(digits_cnn(width=16), rank_ratio=0.5)
    assert any(isinstance(m, Factorized) for m in small.modules())
    result = export_onnx(small, torch.rand(4, 1, 8, 8), tmp_path / "lowrank.onnx")
    assert_round_trip(result, small, tmp_path)


@pytest.mark.slow
def test_lightweight_result_round_trips(tmp_path: Path) -> None:
    from zoo.lightweight import GhostModule, swap_convs  # primary conv + cheap depthwise, concat

    torch.manual_seed(0)
    x = torch.rand(4, 1, 8, 8)
    model = digits_cnn(width=16)
    report = swap_convs(model, GhostModule, example_inputs=x[:1],
                        match=lambda name, conv: conv.in_channels > 1)
    assert len(report.replaced) == 2
    result = export_onnx(model, x, tmp_path / "ghost.onnx")
    assert_round_trip(result, model, tmp_path)


def test_ort_int8_is_close_to_fp32_on_digits(trained_cnn, digits, digits_loaders,
                                             tmp_path: Path) -> None:
    model = trained_cnn.model().eval()
    _, test_data = digits_loaders
    calibration = [(digits.x_train[i:i + 64], None) for i in range(0, 256, 64)]
    int8 = export_onnx_int8(model, digits.x_test[:64], calibration, tmp_path / "int8.onnx")
    assert int8.quantization == "ort-static-qdq" and int8.exporter == "dynamo"
    assert int8.atol is None and int8.max_abs_diff > 0  # reported, not enforced: it is int8
    graph = onnx.load(str(int8.path)).graph
    ops = {n.op_type for n in graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "Conv"} <= ops
    int8_weights = [i for i in graph.initializer if i.data_type == onnx.TensorProto.INT8]
    assert len(int8_weights) >= 4  # three convs and the classifier
    float_bytes = 4 * sum(p.numel() for p in model.parameters())
    assert int8.size < 0.5 * float_bytes  # measured: 38 % of the float ONNX file
    predictions = np.concatenate([ort_outputs(int8.path, x).argmax(1) for x, _ in test_data])
    ort_accuracy = float((predictions == digits.y_test.numpy()).mean())
    fp32 = accuracy(model, test_data)
    assert fp32 >= 0.95 and ort_accuracy >= fp32 - 0.03  # measured 99.7 % → 98.3 %


@pytest.mark.slow
def test_fx_int8_model_exports_through_torchscript(trained_cnn, digits, tmp_path: Path) -> None:
    """The zoo's int8-ptq model holds packed int8 parameters torch.export cannot trace; the
    TorchScript exporter turns them into QLinearConv/QLinearMatMul, equal within the int8 bound."""
    model = trained_cnn.model().eval()
    int8 = quantize_int8(model, [(digits.x_train[:256], None)])
    result = export_onnx(int8, digits.x_test[:64], tmp_path / "fx-int8.onnx")
    assert result.exporter == "torchscript" and "__obj_flatten__" in result.fallback_reason
    assert result.max_abs_diff <= result.atol
    ops = {n.op_type for n in onnx.load(str(result.path)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops  # QDQ: ORT fuses it into int8 kernels


# --- failures ----------------------------------------------------------------------------------


@torch.library.custom_op("zootest::mystery", mutates_args=())
def mystery(x: torch.Tensor) -> torch.Tensor:
    """A user's own operator, with no ONNX translation."""
    return x * 2


@mystery.register_fake
def _(x: torch.Tensor) -> torch.Tensor:
    return torch.empty_like(x)


class CustomOpNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return mystery(self.fc(x))


def test_operator_without_onnx_translation_is_named_and_nothing_is_written(
        tmp_path: Path) -> None:
    target = tmp_path / "model.onnx"
    target.write_bytes(b"the previous export")
    with pytest.raises(OnnxExportError, match=r"operator zootest::mystery has no ONNX") as info:
        export_onnx(CustomOpNet(), torch.rand(2, 4), target)
    assert info.value.operator == "zootest::mystery" and info.value.stage == "export"
    message = str(info.value)
    assert "\n" not in message and "dynamo:" in message and "torchscript:" in message
    assert "custom_translation_table" in message  # what to do
    assert target.read_bytes() == b"the previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]  # no partial file


def test_a_failed_torchscript_export_keeps_stdout_clean(tmp_path: Path,
                                                         capfd: pytest.CaptureFixture) -> None:
    # torch's TorchScript exporter logs the whole IR graph of a model it fails on, from C++
    with pytest.raises(OnnxExportError):
        export_onnx(CustomOpNet(), torch.rand(2, 4), tmp_path / "model.onnx")
    assert "IR graph" not in capfd.readouterr().out


def test_operator_onnx_runtime_lacks_is_named(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(4, 4)).to(torch.bfloat16)  # ORT's CPU Gemm has no bfloat16
    with pytest.raises(OnnxExportError, match=r"no CPU kernel for Gemm\(\d+\)") as info:
        export_onnx(model, torch.rand(2, 4, dtype=torch.bfloat16), tmp_path / "bf16.onnx")
    assert info.value.stage == "onnxruntime" and info.value.operator.startswith("Gemm(")
    assert "bfloat16" in str(info.value) and "model.float()" in str(info.value)
    assert list(tmp_path.iterdir()) == []


class MaxScale(torch.autograd.Function):
    """A custom autograd Function (a fake quantiser) whose scale is a Python number."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        scale = float(x.abs().max())  # traced, this becomes a constant of the graph
        return torch.round(x / scale * 7) / 7 * scale

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return grad


class MaxScaleNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return MaxScale.apply(self.fc(x))


@pytest.mark.slow
def test_value_traced_as_constant_is_caught(tmp_path: Path) -> None:
    """Dynamo refuses the data-dependent scale; the TorchScript exporter bakes it in, right on
    the example inputs only: the perturbed check catches it and nothing is written."""
    torch.manual_seed(0)
    with pytest.warns(torch.jit.TracerWarning), pytest.raises(OnnxExportError) as info:
        export_onnx(MaxScaleNet(), torch.randn(8, 4), tmp_path / "scale.onnx")
    message = str(info.value)
    assert "dynamo: Could not guard on data-dependent expression" in message
    assert "torchscript: outputs differ from PyTorch's on perturbed example inputs" in message
    assert info.value.stage == "check" and "values traced as constants" in message
    assert list(tmp_path.iterdir()) == []


def test_directory_or_link_at_the_path_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").mkdir()
    with pytest.raises(NotARegularFile, match="is a directory"):
        export_onnx(digits_cnn(width=8), torch.rand(2, 1, 8, 8), tmp_path / "model.onnx")
    with pytest.raises(ValueError, match="exporter"):
        export_onnx(digits_cnn(width=8), torch.rand(2, 1, 8, 8), tmp_path / "x.onnx",
                    exporter="tflite")  # type: ignore[arg-type]


def test_without_onnxruntime_the_deploy_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # In-process (torch is already imported): a None entry makes `import onnxruntime` fail as on
    # a machine without it, and zoo.deploy is imported afresh; monkeypatch restores both.
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    for name in [m for m in sys.modules if m == "zoo.deploy" or m.startswith("zoo.deploy.")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(zoo.MissingExtraError) as info:
        zoo.export_onnx  # noqa: B018 - the lazy entry point imports zoo.deploy
    assert str(info.value) == ("zoo.export_onnx needs onnxruntime (the deploy extra): pip install "
                               f'"aladin-zoo[zoo,deploy] @ {_GIT}"')
