"""Sparse weights on disk: a bitmask and the non-zero values in ``safetensors``.

A pruned model keeps its zeros in dense tensors, so ``torch.save`` of a 50 %-sparse model is as
large as the dense one. :func:`save_sparse` stores every floating-point tensor of 2 or more
dimensions that has zeros as two tensors — ``<name>.bitmask`` (one bit per weight, packed eight to
a byte, row-major) and ``<name>.values`` (the non-zeros in the same order) — whenever that is
smaller than the dense tensor; the shapes, dtypes and n:m pattern (if every row satisfies one) are
kept in the file's metadata. At 50 % sparsity in float32 a weight costs 0.125 + 2 bytes instead
of 4 (53 %); for 2:4 the bitmask is exactly the 4 bits per group of four that NVIDIA's
compressed 2:4 format spends on its two 2-bit indices. Tensors shared between names (tied
embeddings) are written once. :func:`load_sparse` rebuilds the dense state dict.

**What is faster on CPU, honestly:** nothing here. Loading decompresses to dense tensors;
PyTorch has no CPU kernel that gains from 50 % unstructured or 2:4 sparsity (``torch.sparse``
CSR matmuls pay for their indices, not measured here at these sizes; ``to_sparse_semi_structured``
— the 2:4 kernels — needs a CUDA GPU), so the pruned model runs the dense kernels. The file
shrinks; a structured method (LLM-Pruner, :mod:`zoo.pruning.llm_pruner`) is what makes the CPU
forward faster.

>>> import torch, tempfile, os
>>> w = torch.tensor([[1.0, 0.0, 0.0, 2.0], [0.0, 3.0, 4.0, 0.0]])
>>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
>>> size = save_sparse({"w": w, "b": torch.ones(2)}, path)
>>> state, meta = load_sparse(path)
>>> torch.equal(state["w"], w), meta["w"]["n_m"]
(True, '2:4')
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

__all__ = ["load_sparse", "pack_bits", "save_sparse", "unpack_bits"]

_BITS = torch.tensor([128, 64, 32, 16, 8, 4, 2, 1], dtype=torch.uint8)


def pack_bits(mask: torch.Tensor) -> torch.Tensor:
    """A boolean tensor as uint8, eight entries (row-major) per byte, the last byte zero-padded."""
    flat = mask.flatten().to(torch.uint8)
    flat = torch.cat([flat, flat.new_zeros(-flat.numel() % 8)])
    return (flat.view(-1, 8) * _BITS).sum(dim=1, dtype=torch.uint8)


def unpack_bits(packed: torch.Tensor, numel: int) -> torch.Tensor:
    """The first ``numel`` booleans of :func:`pack_bits`' output."""
    return ((packed.unsqueeze(1) & _BITS) != 0).flatten()[:numel]


def _n_m(mask: torch.Tensor) -> str | None:
    """The tightest n:m pattern (m in 4, 8) every row of ``mask`` satisfies, if any."""
    for m in (4, 8):
        if mask.shape[-1] % m == 0:
            n = int(mask.reshape(-1, m).sum(dim=1).max())
            if n < m // 2 + 1 and n > 0:
                return f"{n}:{m}"
    return None


def save_sparse(state: dict[str, torch.Tensor] | Any, path: str | Path) -> int:
    """Write ``state`` (a state dict, or a module) sparse where it pays; return the file size.

    The file is written to a temporary name and renamed, so a failure leaves no partial file.
    """
    if hasattr(state, "state_dict"):
        state = state.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    meta: dict[str, Any] = {}
    seen: dict[tuple[int, int, tuple[int, ...]], str] = {}
    for name, tensor in state.items():
        key = (tensor.untyped_storage().data_ptr(), tensor.storage_offset(), tuple(tensor.shape))
        if key in seen:  # tied weights: one copy, the other name points to it
            meta[name] = {"alias": seen[key]}
            continue
        seen[key] = name
        tensor = tensor.detach().cpu().contiguous()
        mask = tensor != 0
        nnz = int(mask.sum())
        sparse_bytes = nnz * tensor.element_size() + (tensor.numel() + 7) // 8
        if (tensor.is_floating_point() and tensor.dim() >= 2
                and sparse_bytes < tensor.numel() * tensor.element_size()):
            tensors[f"{name}.bitmask"] = pack_bits(mask)
            tensors[f"{name}.values"] = tensor[mask].clone()
            meta[name] = {"shape": list(tensor.shape), "n_m": _n_m(mask)}
        else:
            tensors[name] = tensor.clone()
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    save_file(tensors, str(partial), metadata={"zoo.sparse": json.dumps(meta)})
    partial.replace(path)
    return path.stat().st_size


def load_sparse(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The dense state dict written by :func:`save_sparse`, and the per-tensor metadata."""
    with safe_open(str(path), framework="pt") as f:
        raw = f.metadata() or {}
        if "zoo.sparse" not in raw:
            raise ValueError(f"{path}: not a sparse zoo file (no 'zoo.sparse' metadata)")
        meta = json.loads(raw["zoo.sparse"])
        stored = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118 (safe_open API)
    state = {k: v for k, v in stored.items() if not k.endswith((".bitmask", ".values"))}
    for name, info in meta.items():
        if "shape" in info:
            values = stored[f"{name}.values"]
            numel = int(torch.Size(info["shape"]).numel())
            dense = values.new_zeros(numel)
            dense[unpack_bits(stored[f"{name}.bitmask"], numel)] = values
            state[name] = dense.view(info["shape"])
    for name, info in meta.items():
        if "alias" in info:
            state[name] = state[info["alias"]]
    return state, meta
