"""Layer-by-layer calibration of a decoder-only language model — shared by GPTQ, SparseGPT, Wanda.

The one-shot LLM methods compress each ``nn.Linear`` ``W`` (``out × in``) of a transformer block
from statistics of the inputs ``X`` (``tokens × in``) it sees on a few calibration sequences:

* the layer-wise Hessian of ``‖WX − ŴX‖²``: :math:`H = \\tfrac{2}{n} X^\\top X` (GPTQ, SparseGPT);
* the input-channel norms :math:`\\lVert X_j \\rVert_2 = \\sqrt{(X^\\top X)_{jj}}` (Wanda) — the
  diagonal of the same accumulator, so one :class:`LinearStats` serves every method;
* the per-channel ``abs_max`` of the activations (AWQ, SmoothQuant).

:func:`layer_by_layer` runs the blocks one at a time, as the papers do, so memory holds one
block's activations: it captures the inputs of the first block (positional and keyword — the
attention mask and rotary position embeddings come along), then for every block hooks its Linears,
runs the block on all calibration inputs, lets ``process`` compress it, and runs it again so the
next block calibrates on the *compressed* outputs (the errors of earlier blocks are seen by later
ones, as in the reference implementations).

>>> import torch
>>> from torch import nn
>>> stats = LinearStats(3)
>>> stats.add(torch.tensor([[1.0, 0.0, 2.0], [1.0, 0.0, 2.0]]))
>>> stats.column_norms().square().round().tolist(), stats.hessian()[0].tolist()
([2.0, 0.0, 8.0], [2.0, 0.0, 4.0])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import torch
from torch import nn

__all__ = [
    "LinearStats",
    "block_linears",
    "calibration_batches",
    "decoder_blocks",
    "layer_by_layer",
]

Process = Callable[[int, nn.Module, dict[str, tuple[nn.Linear, "LinearStats"]]], None]


class LinearStats:
    """Running statistics of one Linear layer's inputs (any leading shape, last dim ``in``)."""

    def __init__(self, features: int) -> None:
        self.xtx = torch.zeros(features, features, dtype=torch.float64)
        self.abs_max = torch.zeros(features)
        self.rows = 0

    @torch.no_grad()
    def add(self, x: torch.Tensor) -> None:
        x = x.detach().reshape(-1, x.shape[-1]).to(torch.float64)
        self.xtx += x.T @ x  # float64: sums over many thousand tokens stay exact enough
        self.abs_max = torch.maximum(self.abs_max, x.abs().amax(dim=0).float())
        self.rows += x.shape[0]

    def hessian(self) -> torch.Tensor:
        """:math:`H = \\tfrac{2}{n} X^\\top X` (float32), the Hessian of the layer-wise loss."""
        return (2.0 * self.xtx / max(self.rows, 1)).float()

    def column_norms(self) -> torch.Tensor:
        """:math:`\\lVert X_j \\rVert_2` over all calibration tokens, one per input channel."""
        return self.xtx.diagonal().clamp_min(0).sqrt().float()


def calibration_batches(data: Any) -> list[torch.Tensor]:
    """Token-id batches ``(batch, seq)`` from a LongTensor, a dict with ``input_ids`` or an
    iterable of either; ``ValueError`` (one line) for anything else or for no data."""
    if data is None:
        raise ValueError("no calibration data: pass data= token ids (a LongTensor batch × seq)")
    items = [data] if isinstance(data, torch.Tensor | dict) else list(data)
    batches = []
    for i, item in enumerate(items):
        ids = item.get("input_ids") if isinstance(item, dict) else item
        if isinstance(ids, tuple | list) and ids and isinstance(ids[0], torch.Tensor):
            ids = ids[0]  # (inputs, targets) pairs as the zoo's loaders give them
        if not isinstance(ids, torch.Tensor) or ids.dtype != torch.long or ids.dim() not in (1, 2):
            got = type(ids).__name__ if not isinstance(ids, torch.Tensor) else (
                f"{ids.dtype} tensor of shape {tuple(ids.shape)}")
            raise ValueError(f"calibration batch {i}: need token ids (a LongTensor batch × seq), "
                             f"got {got}")
        batches.append(ids.unsqueeze(0) if ids.dim() == 1 else ids)
    if not batches or all(b.numel() == 0 for b in batches):
        raise ValueError("no calibration data: the calibration set is empty")
    return batches


def decoder_blocks(model: nn.Module) -> nn.ModuleList:
    """The transformer blocks, in order: the longest ``nn.ModuleList`` whose items hold Linears
    (Hugging Face ``model.model.layers``, GPT-2's ``transformer.h``, ...)."""
    best: nn.ModuleList | None = None
    for module in model.modules():
        if (isinstance(module, nn.ModuleList) and len(module)
                and all(any(isinstance(m, nn.Linear) for m in item.modules()) for item in module)
                and (best is None or len(module) > len(best))):
            best = module
    if best is None:
        raise ValueError(f"{type(model).__name__} has no list of transformer blocks with Linear "
                         "layers to calibrate")
    return best


def block_linears(
    block: nn.Module, ignored: Iterable[nn.Module] = ()
) -> dict[str, nn.Linear]:
    """The Linear layers of ``block`` by qualified name, without the ``ignored`` ones."""
    skip = {id(m) for m in ignored}
    return {n: m for n, m in block.named_modules()
            if isinstance(m, nn.Linear) and id(m) not in skip}


class _Stop(Exception):
    """Raised by the capture hook: everything after the first block is not needed."""


@contextmanager
def _hooks(handles: list[Any]) -> Iterator[None]:
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _first_block_inputs(
    model: nn.Module, block: nn.Module, batches: list[torch.Tensor]
) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    captured: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def capture(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        captured.append((args, kwargs))
        raise _Stop

    with _hooks([block.register_forward_pre_hook(capture, with_kwargs=True)]):
        for ids in batches:
            with suppress(_Stop):
                model(ids)
    return captured


def _next_inputs(
    block: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The next block's inputs: this block's output hidden states, the same mask and positions."""
    result = block(*args, **kwargs)
    hidden = result[0] if isinstance(result, tuple | list) else result
    if args:
        return (hidden, *args[1:]), kwargs
    return args, {**kwargs, "hidden_states": hidden}


@torch.no_grad()
def layer_by_layer(
    model: nn.Module,
    data: Any,
    process: Process,
    *,
    ignored_layers: Iterable[nn.Module] = (),
) -> None:
    """Calibrate and compress ``model`` block by block, in place (see the module docstring).

    ``process(index, block, {name: (linear, stats)})`` is called once per block with the input
    statistics of the block's Linear layers (names relative to the block) and may change their
    weights; the block is then run again to produce the next block's inputs.
    """
    batches = calibration_batches(data)
    blocks = decoder_blocks(model)
    was_training, use_cache = model.training, getattr(getattr(model, "config", None),
                                                       "use_cache", None)
    model.eval()
    if use_cache is not None:
        model.config.use_cache = False  # no key/value cache is needed for calibration
    try:
        inputs = _first_block_inputs(model, blocks[0], batches)
        for index, block in enumerate(blocks):
            linears = block_linears(block, ignored_layers)
            stats = {name: LinearStats(m.in_features) for name, m in linears.items()}
            handles = [
                m.register_forward_hook(lambda _m, args, _out, s=stats[name]: s.add(args[0]))
                for name, m in linears.items()
            ]
            with _hooks(handles):
                for args, kwargs in inputs:
                    block(*args, **kwargs)
            process(index, block, {name: (m, stats[name]) for name, m in linears.items()})
            inputs = [_next_inputs(block, args, kwargs) for args, kwargs in inputs]
    finally:
        model.train(was_training)
        if use_cache is not None:
            model.config.use_cache = use_cache
