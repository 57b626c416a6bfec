"""Train the small language model on the standard-library corpus, or load it from a folder.

:func:`prepare_lm` is the one call tests, benchmarks and methods use: corpus → tokenizer → token
streams → a Llama trained with AdamW on random windows of the training stream (next-token loss,
linear warm-up then cosine decay) → saved with its tokenizer into ``folder``. A folder that already
holds a run of the same recipe is loaded instead of retrained.

Recipes (2-core CPU, figures measured while other jobs shared the machine):

* ``"tiny"`` — 60 files, 1 024-token BPE, 2 blocks 128 wide, 160 steps of 16 × 128 tokens;
  the test fixture.
* ``"small"`` — 300 files, 2 048-token BPE, 2 blocks 256 wide, 300 steps of 16 × 128 tokens;
  the benchmark model (sized for a 2-core machine shared with seven other jobs).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from .corpus import corpus_id, load_corpus
from .model import SIZES, LMSize, build_model, load_lm, save_lm
from .perplexity import logits_of
from .tokenizer import encode_files, train_tokenizer

__all__ = ["RECIPES", "Recipe", "TrainedLM", "calibration_windows", "prepare_lm", "train_lm"]


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the trained weights (a saved run is reused only if it matches)."""

    size: str
    max_files: int | None
    steps: int
    batch_size: int
    lr: float
    seed: int = 0


RECIPES = {
    "tiny": Recipe(size="tiny", max_files=60, steps=160, batch_size=16, lr=5e-3),
    "small": Recipe(size="small", max_files=300, steps=300, batch_size=16, lr=3e-3),
}


@dataclass
class TrainedLM:
    """A trained model with its tokenizer, token streams and where it is saved."""

    model: Any
    tokenizer: Any
    train_ids: torch.Tensor
    validation_ids: torch.Tensor
    size: LMSize
    folder: Path
    train_seconds: float

    @property
    def seq_len(self) -> int:
        return self.size.context


def train_lm(
    model: torch.nn.Module,
    tokens: torch.Tensor,
    *,
    steps: int,
    batch_size: int,
    seq_len: int,
    lr: float,
    seed: int = 0,
) -> list[float]:
    """Train ``model`` in place on random windows of the 1-D stream ``tokens``; the step losses."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.1, betas=(0.9, 0.95))
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s / steps, 1.0))),
    )
    model.train()
    losses = []
    for _ in range(steps):
        starts = torch.randint(0, tokens.numel() - seq_len - 1, (batch_size,), generator=generator)
        batch = torch.stack([tokens[s : s + seq_len + 1] for s in starts.tolist()])
        logits = logits_of(model(batch[:, :-1]))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
    model.eval()
    return losses


def calibration_windows(
    tokens: torch.Tensor, *, count: int, seq_len: int, seed: int = 0
) -> torch.Tensor:
    """``(count, seq_len)`` random windows of a token stream, the calibration set of PTQ methods."""
    generator = torch.Generator().manual_seed(seed)
    starts = torch.randint(0, tokens.numel() - seq_len, (count,), generator=generator)
    return torch.stack([tokens[s : s + seq_len] for s in starts.tolist()])


def _streams(tokenizer: Any, corpus: Any) -> tuple[torch.Tensor, torch.Tensor]:
    return (encode_files(tokenizer, corpus.train_text),
            encode_files(tokenizer, corpus.validation_text))


def prepare_lm(recipe: str | Recipe = "tiny", folder: str | Path | None = None) -> TrainedLM:
    """The trained model of ``recipe``: loaded from ``folder`` if it holds that run, else trained
    (and saved there; a temporary folder when ``folder`` is None)."""
    import tempfile

    recipe = RECIPES[recipe] if isinstance(recipe, str) else recipe
    size = SIZES[recipe.size]
    folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="zoo-lm-"))
    stamp = {"recipe": asdict(recipe), "size": asdict(size), "corpus": corpus_id()}
    meta = folder / "zoo_training.json"
    corpus = load_corpus(max_files=recipe.max_files)
    if meta.exists() and json.loads(meta.read_text())["stamp"] == stamp:
        model, tokenizer = load_lm(folder)
        train_ids, validation_ids = _streams(tokenizer, corpus)
        seconds = json.loads(meta.read_text())["train_seconds"]
        return TrainedLM(model, tokenizer, train_ids, validation_ids, size, folder, seconds)
    started = time.perf_counter()
    tokenizer = train_tokenizer(corpus.train_text, vocab_size=size.vocab)
    train_ids, validation_ids = _streams(tokenizer, corpus)
    model = build_model(size, seed=recipe.seed)
    losses = train_lm(model, train_ids, steps=recipe.steps, batch_size=recipe.batch_size,
                      seq_len=size.context, lr=recipe.lr, seed=recipe.seed)
    seconds = time.perf_counter() - started
    save_lm(model, tokenizer, folder)
    meta.write_text(json.dumps({"stamp": stamp, "train_seconds": seconds,
                                "final_loss": losses[-1]}, indent=1))
    return TrainedLM(model, tokenizer, train_ids, validation_ids, size, folder, seconds)
