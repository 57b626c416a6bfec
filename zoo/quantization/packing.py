"""Packed storage of weight-only quantised models: real 4-bit (and 3-bit) weights in safetensors.

A model quantised by RTN, GPTQ or AWQ keeps its rounded weights in float and its grids in
``model.zoo_weight_quant`` (:mod:`.lm_weights`). :func:`save_packed` writes one ``safetensors``
file in which every quantised Linear is

* ``<name>.qweight`` — the codes, two per byte (low nibble first) for ≤ 4 bits, one per byte for 8;
* ``<name>.scales`` (float32) and ``<name>.zeros`` (uint8), one per row and group;

every other tensor (embeddings, norms, the output head) is stored as it is, and the metadata holds
the format, each layer's bits / group size / shape, and the model's ``transformers`` config, so
:func:`load_packed` rebuilds the model alone. Loaded, the layers are :class:`PackedLinear`: they
keep the packed bytes and dequantise on every forward, :math:`\\hat W = s (q - z)` — the same
arithmetic as the fake-quantised model, so the outputs are equal.

Deviation: 3-bit codes are stored in 4-bit nibbles (a 3-bit file is as large as a 4-bit one).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .groupwise import dequantize_codes, quantize_codes
from .lm_weights import weight_quant_records

__all__ = ["FORMAT", "PackedLinear", "load_packed", "pack_codes", "save_packed", "unpack_codes"]

FORMAT = "aladin-zoo-packed-v1"


def pack_codes(q: torch.Tensor, bits: int) -> torch.Tensor:
    """uint8 codes ``(out, in)`` → bytes ``(out, in / 2)`` (≤ 4 bits) or unchanged (8 bits)."""
    if bits > 4:
        return q.to(torch.uint8)
    q = q.to(torch.uint8)
    return q[:, 0::2] | (q[:, 1::2] << 4)


def unpack_codes(packed: torch.Tensor, bits: int, columns: int) -> torch.Tensor:
    """The inverse of :func:`pack_codes`."""
    if bits > 4:
        return packed
    out = torch.empty(packed.shape[0], columns, dtype=torch.uint8)
    out[:, 0::2] = packed & 0x0F
    out[:, 1::2] = packed >> 4
    return out


class PackedLinear(nn.Module):
    """A Linear layer stored as packed codes, scales and zeros; dequantised on the fly."""

    def __init__(self, qweight: torch.Tensor, scales: torch.Tensor, zeros: torch.Tensor,
                 bias: torch.Tensor | None, *, bits: int, in_features: int) -> None:
        super().__init__()
        self.bits, self.in_features, self.out_features = bits, in_features, qweight.shape[0]
        self.register_buffer("qweight", qweight)
        self.register_buffer("scales", scales)
        self.register_buffer("zeros", zeros)
        self.register_buffer("bias", bias)

    def weight_tensor(self) -> torch.Tensor:
        codes = unpack_codes(self.qweight, self.bits, self.in_features)
        return dequantize_codes(codes, self.scales, self.zeros.float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight_tensor(), self.bias)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, bits={self.bits}"


def save_packed(model: nn.Module, path: str | Path) -> dict[str, int]:
    """Write ``model`` (quantised by rtn, gptq or awq) packed to ``path``; returns byte counts:
    ``file``, ``packed_linear`` (codes + scales + zeros) and ``fp32_linear`` (same layers)."""
    from safetensors.torch import save_file

    records = weight_quant_records(model)
    tensors: dict[str, torch.Tensor] = {}
    layers: dict[str, Any] = {}
    packed_bytes = fp32_bytes = 0
    for name, quant in records.items():
        layer = model.get_submodule(name)
        codes = quantize_codes(layer.weight.detach(), quant.scale, quant.zero, bits=quant.bits)
        parts = {"qweight": pack_codes(codes, quant.bits), "scales": quant.scale.float(),
                 "zeros": quant.zero.to(torch.uint8)}
        for key, value in parts.items():
            tensors[f"{name}.{key}"] = value.contiguous()
            packed_bytes += value.numel() * value.element_size()
        fp32_bytes += layer.weight.numel() * 4
        layers[name] = {"bits": quant.bits, "group_size": quant.group_size,
                        "in_features": layer.in_features, "out_features": layer.out_features}
    quantized = {f"{name}.weight" for name in records}
    for key, value in model.state_dict().items():
        if key not in quantized and key not in tensors:
            tensors[key] = value.detach().contiguous().clone()
    config = getattr(model, "config", None)
    metadata = {"format": FORMAT, "layers": json.dumps(layers),
                "config": config.to_json_string() if config is not None else ""}
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    save_file(tensors, str(tmp), metadata=metadata)
    tmp.replace(path)  # never a half-written file under the final name
    return {"file": path.stat().st_size, "packed_linear": packed_bytes, "fp32_linear": fp32_bytes}


def load_packed(path: str | Path, model: nn.Module | None = None) -> nn.Module:
    """The model stored at ``path`` with :class:`PackedLinear` layers. ``model``: an instance of
    the same architecture to load into (default: built from the stored ``transformers`` config)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        metadata = f.metadata() or {}
        if metadata.get("format") != FORMAT:
            raise ValueError(f"{path}: not a packed zoo model (format "
                             f"{metadata.get('format')!r}, expected {FORMAT!r})")
        tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118 (safe_open API)
    layers = json.loads(metadata["layers"])
    if model is None:
        if not metadata.get("config"):
            raise ValueError(f"{path}: no model config stored; pass model=")
        from transformers import AutoConfig, AutoModelForCausalLM

        config = json.loads(metadata["config"])
        config_obj = AutoConfig.for_model(**config)
        model = AutoModelForCausalLM.from_config(config_obj)
    for name, info in layers.items():
        bias = tensors.pop(f"{name}.bias", None)
        packed = PackedLinear(tensors.pop(f"{name}.qweight"), tensors.pop(f"{name}.scales"),
                              tensors.pop(f"{name}.zeros"), bias, bits=info["bits"],
                              in_features=info["in_features"])
        model.set_submodule(name, packed)
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    expected_missing = {k for k in missing
                        if k.rsplit(".", 1)[0] in layers}  # packed layers' own buffers
    if unexpected or set(missing) - expected_missing:
        raise ValueError(f"{path}: tensors do not match the model (missing "
                         f"{sorted(set(missing) - expected_missing)[:3]}, unexpected "
                         f"{sorted(unexpected)[:3]})")
    return model.eval()
