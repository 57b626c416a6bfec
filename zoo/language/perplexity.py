"""Perplexity, the one evaluation every language-model method and benchmark in the zoo shares.

:math:`\\mathrm{PPL} = \\exp\\big(-\\tfrac{1}{N}\\sum_t \\log p(x_t \\mid x_{<t})\\big)` over
non-overlapping windows of ``seq_len`` tokens of a 1-D token stream (the usual "strided by the
context" evaluation; the first token of each window has no context and is not scored).
:func:`unigram_perplexity` is the floor a model must beat by far: token frequencies from the
training stream, add-one smoothed.

>>> import torch
>>> train = torch.tensor([0, 1, 1, 1])
>>> round(unigram_perplexity(train, torch.tensor([1, 1]), vocab_size=2), 3)
1.5
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["logits_of", "perplexity", "unigram_perplexity", "windows"]


def windows(tokens: torch.Tensor, seq_len: int, *, max_windows: int | None = None) -> torch.Tensor:
    """The stream cut into ``(n, seq_len)`` non-overlapping windows (the ragged tail dropped)."""
    if tokens.dim() != 1:
        raise ValueError(f"need a 1-D token stream, got shape {tuple(tokens.shape)}")
    n = tokens.numel() // seq_len
    if max_windows is not None:
        n = min(n, max_windows)
    if n == 0:
        raise ValueError(f"{tokens.numel()} tokens are fewer than one window of {seq_len}")
    return tokens[: n * seq_len].view(n, seq_len)


def logits_of(output: Any) -> torch.Tensor:
    """The logits of a Hugging Face output object or of a plain tensor-returning model."""
    return output if isinstance(output, torch.Tensor) else output.logits


@torch.no_grad()
def perplexity(
    model: nn.Module,
    tokens: torch.Tensor,
    *,
    seq_len: int = 128,
    batch_size: int = 8,
    max_windows: int | None = None,
) -> float:
    """Perplexity of ``model`` (token ids ``(batch, seq)`` → logits) on the stream ``tokens``."""
    chunks = windows(tokens, seq_len, max_windows=max_windows)
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        for batch in chunks.split(batch_size):
            logits = logits_of(model(batch)).float()
            loss = F.cross_entropy(
                logits[:, :-1].reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1),
                reduction="sum",
            )
            total += float(loss)
            count += batch[:, 1:].numel()
    finally:
        model.train(was_training)
    return math.exp(total / count)


def unigram_perplexity(train: torch.Tensor, validation: torch.Tensor, *, vocab_size: int) -> float:
    """Perplexity on ``validation`` of add-one-smoothed token frequencies counted on ``train``."""
    counts = torch.bincount(train, minlength=vocab_size).double() + 1.0
    log_p = (counts / counts.sum()).log()
    return math.exp(-float(log_p[validation].mean()))
