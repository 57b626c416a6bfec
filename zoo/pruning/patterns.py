"""Which weights a score removes: unstructured (per row or per layer) and n:m patterns.

Shared by the one-shot language-model methods (magnitude, Wanda, SparseGPT). A pattern is
``"unstructured"`` or ``"n:m"`` — at most ``n`` non-zero weights in every ``m`` consecutive input
weights of a row, NVIDIA's convention (2:4 is what sparse tensor cores run; it removes
``1 − n/m`` of the weights). Masks are boolean, ``True`` where a weight is *kept*.

>>> import torch
>>> scores = torch.tensor([[4.0, 1.0, 3.0, 2.0, 0.5, 0.1, 0.2, 0.3]])
>>> nm_mask(scores, 2, 4).int().tolist()
[[1, 0, 1, 0, 1, 0, 0, 1]]
>>> row_mask(scores, 0.5).int().tolist()
[[1, 1, 1, 1, 0, 0, 0, 0]]
"""

from __future__ import annotations

import torch

__all__ = ["check_pattern", "layer_mask", "nm_mask", "parse_pattern", "row_mask"]


def parse_pattern(mask_structure: str) -> tuple[int, int] | None:
    """``None`` for ``"unstructured"``, else ``(n, m)`` from ``"n:m"`` (``0 < n < m``)."""
    if mask_structure == "unstructured":
        return None
    try:
        n, m = (int(part) for part in mask_structure.split(":"))
    except ValueError:
        n = m = 0
    if not 0 < n < m:
        raise ValueError(f"mask_structure must be 'unstructured' or 'n:m' with 0 < n < m, "
                         f"got {mask_structure!r}")
    return n, m


def check_pattern(mask_structure: str, pruning_ratio: float, in_features: dict[str, int]) -> (
        tuple[int, int] | None):
    """The parsed pattern, after checking that it agrees with ``pruning_ratio`` and divides the
    input width of every layer (``{name: in_features}``); one-line ``ValueError`` otherwise."""
    if not 0.0 <= pruning_ratio < 1.0:
        raise ValueError(f"pruning_ratio must be in [0, 1), got {pruning_ratio}")
    nm = parse_pattern(mask_structure)
    if nm is None:
        return None
    n, m = nm
    if abs(pruning_ratio - (1 - n / m)) > 1e-9:
        raise ValueError(f"pruning_ratio {pruning_ratio} does not match mask_structure "
                         f"{mask_structure!r}, which removes {1 - n / m:g} of the weights")
    bad = [f"{name} ({width})" for name, width in in_features.items() if width % m]
    if bad:
        raise ValueError(f"mask_structure {mask_structure!r} does not divide the input width of "
                         f"{', '.join(bad)}")
    return nm


def row_mask(scores: torch.Tensor, ratio: float) -> torch.Tensor:
    """Keep all but the ``ratio`` lowest-scoring weights of every output row."""
    drop = int(scores.shape[1] * ratio)
    mask = torch.ones_like(scores, dtype=torch.bool)
    if drop:
        mask.scatter_(1, torch.topk(scores, drop, dim=1, largest=False).indices, False)
    return mask


def layer_mask(scores: torch.Tensor, ratio: float) -> torch.Tensor:
    """Keep all but the ``ratio`` lowest-scoring weights of the whole layer."""
    drop = int(scores.numel() * ratio)
    mask = torch.ones(scores.numel(), dtype=torch.bool)
    if drop:
        mask[torch.topk(scores.flatten(), drop, largest=False).indices] = False
    return mask.view_as(scores)


def nm_mask(scores: torch.Tensor, n: int, m: int) -> torch.Tensor:
    """Keep the ``n`` highest-scoring weights of every ``m`` consecutive ones of each row."""
    rows, cols = scores.shape
    groups = scores.reshape(rows, cols // m, m)
    mask = torch.zeros_like(groups, dtype=torch.bool)
    mask.scatter_(2, torch.topk(groups, n, dim=2).indices, True)
    return mask.reshape(rows, cols)
