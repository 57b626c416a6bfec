"""Attention layers in structured pruning: head bookkeeping, and the check that the result runs.

Pruning the width of a transformer couples every layer that reads or writes the residual stream
(patch embedding, norms, attention, MLP, head), and attention adds a constraint of its own: its
width is ``num_heads × head_dim``, so channels must go *per head* — the same head dimensions from
every head, or whole heads. Torch-Pruning does that when it knows each attention layer's head
count (its ``num_heads`` option, with ``prune_num_heads`` / ``prune_head_dims`` /
``head_pruning_ratio`` choosing how); without it the width is cut anywhere and the first forward
fails with a reshape error. :func:`find_num_heads` supplies the counts:

* ``nn.MultiheadAttention`` — its ``num_heads``; Torch-Pruning prunes its head dimensions
  (``embed_dim`` is one width shared by queries, keys, values and output, so whole heads cannot
  go: with ``prune_num_heads`` they are kept and only head dimensions are pruned);
* Hugging Face attention modules (Llama-style ``q_proj``/``k_proj``/``v_proj``, ViT/BERT-style
  ``query``/``key``/``value``) — the head counts of the query and key/value projections, read
  from the module's ``head_dim`` or its ``config`` (grouped-query attention included).
  :func:`sync_head_attributes` writes the pruned counts back into the module after surgery,
  because their forward reshapes with those attributes.

:func:`check_runs` runs the pruned model once on the example inputs and, if it fails, raises
:class:`PrunedModelError` naming the innermost layer that was running — never a broken model.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

__all__ = [
    "HeadedAttention",
    "PrunedModelError",
    "check_runs",
    "find_num_heads",
    "hf_attention",
    "sync_head_attributes",
]


class PrunedModelError(RuntimeError):
    """The model that structured pruning produced does not run on the example inputs."""


@dataclass(frozen=True)
class HeadedAttention:
    """A Hugging Face attention module: its projections and their head counts before pruning."""

    module: nn.Module
    query: nn.Linear
    keys_values: tuple[nn.Linear, nn.Linear]
    output: nn.Linear | None
    heads: int
    kv_heads: int
    head_dim: int


_PROJECTIONS = (("q_proj", "k_proj", "v_proj", "o_proj"), ("query", "key", "value", None))


def _config_int(module: nn.Module, *names: str) -> int | None:
    config = getattr(module, "config", None)
    for owner in (module, config):
        for name in names:
            value = getattr(owner, name, None)
            if isinstance(value, int) and value > 0:
                return value
    return None


def hf_attention(module: nn.Module) -> HeadedAttention | None:
    """The head layout of a Hugging Face-style attention module, or ``None`` if it is not one."""
    for q_name, k_name, v_name, o_name in _PROJECTIONS:
        q, k, v = (getattr(module, n, None) for n in (q_name, k_name, v_name))
        if not all(isinstance(p, nn.Linear) for p in (q, k, v)):
            continue
        head_dim = _config_int(module, "head_dim", "attention_head_size")
        heads = _config_int(module, "num_heads", "num_attention_heads")
        if head_dim is None and heads is not None:
            head_dim = q.out_features // heads
        if head_dim is None or q.out_features % head_dim or k.out_features % head_dim:
            return None
        output = getattr(module, o_name, None) if o_name else None
        return HeadedAttention(module, q, (k, v), output, q.out_features // head_dim,
                               k.out_features // head_dim, head_dim)
    return None


def find_num_heads(model: nn.Module) -> dict[nn.Module, int]:
    """Torch-Pruning's ``num_heads`` for every attention layer it can read the head count of."""
    found: dict[nn.Module, int] = {}
    for module in model.modules():
        if isinstance(module, nn.MultiheadAttention):
            found[module] = module.num_heads
        elif (attention := hf_attention(module)) is not None:
            found[attention.query] = attention.heads
            for projection in attention.keys_values:
                found[projection] = attention.kv_heads
    return found


def sync_head_attributes(attentions: list[HeadedAttention], *, whole_heads: bool) -> None:
    """After surgery, store each Hugging Face module's new head layout where its forward reads
    it: removing whole heads keeps ``head_dim``, removing head dimensions keeps the counts."""
    for a in attentions:
        if whole_heads:
            head_dim = a.head_dim
            heads = a.query.out_features // head_dim
            kv_heads = a.keys_values[0].out_features // head_dim
        else:
            heads, kv_heads = a.heads, a.kv_heads
            head_dim = a.query.out_features // heads
        values = {
            "num_heads": heads,
            "num_attention_heads": heads,
            "num_key_value_heads": kv_heads,
            "num_key_value_groups": heads // max(kv_heads, 1),
            "head_dim": head_dim,
            "attention_head_size": head_dim,
            "all_head_size": heads * head_dim,
        }
        for name, value in values.items():
            if isinstance(getattr(a.module, name, None), int):
                setattr(a.module, name, value)


@contextmanager
def _innermost_module(model: nn.Module) -> Iterator[list[str]]:
    """While active, the returned list holds the qualified names of the modules being run."""
    stack: list[str] = []
    failed: list[str] = []
    handles = []
    for name, module in model.named_modules():
        def enter(_m: nn.Module, _args: Any, name: str = name) -> None:
            stack.append(name)

        def leave(_m: nn.Module, _args: Any, _out: Any) -> None:
            stack.pop()

        handles.append(module.register_forward_pre_hook(enter))
        handles.append(module.register_forward_hook(leave))
    try:
        yield failed
    except Exception:
        failed.extend(stack)
        raise
    finally:
        for handle in handles:
            handle.remove()


def check_runs(model: nn.Module, example_inputs: Any) -> None:
    """Run ``model`` once on ``example_inputs`` (eval mode, no grad); on failure raise
    :class:`PrunedModelError` naming the innermost layer that was running."""
    # As Torch-Pruning reads them: a tuple/list is positional arguments, a dict keyword ones.
    kwargs = example_inputs if isinstance(example_inputs, dict) else {}
    args = () if kwargs else (
        tuple(example_inputs) if isinstance(example_inputs, tuple | list) else (example_inputs,)
    )
    was_training = model.training
    model.eval()
    running: list[str] = []
    try:
        with torch.no_grad(), _innermost_module(model) as running:
            model(*args, **kwargs)
    except Exception as exc:
        name = next((n for n in reversed(running) if n), "the model's own forward")
        layer = model.get_submodule(name) if name in dict(model.named_modules()) else model
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise PrunedModelError(
            f"the pruned model fails on example_inputs in layer {name!r} "
            f"({type(layer).__name__}): {first_line}"
        ) from exc
    finally:
        model.train(was_training)
