"""The small decoder-only language model: a Llama built from a ``transformers`` config, no download.

A ``LlamaForCausalLM`` (RMSNorm, rotary positions, SwiGLU MLP, untied output head) of a few
million parameters, saved with ``save_pretrained`` beside its tokenizer so any tool that loads a
Hugging Face checkpoint from a local folder (llmcompressor, torchao, ``AutoModelForCausalLM``)
reads the same weights the zoo's methods compress. Widths are multiples of 128 so group-wise
quantisation with the usual group size of 128 divides every Linear layer.

Two sizes: ``"tiny"`` for the tests (trains in seconds), ``"small"`` for the benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

__all__ = ["SIZES", "LMSize", "build_model", "load_lm", "save_lm"]


@dataclass(frozen=True)
class LMSize:
    """The shape of a model and of its training run."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    context: int  # training and evaluation sequence length


SIZES = {
    "tiny": LMSize(hidden=128, layers=2, heads=4, intermediate=256, vocab=1024, context=128),
    "small": LMSize(hidden=256, layers=2, heads=4, intermediate=512, vocab=2048, context=128),
}


def build_model(size: LMSize, *, seed: int = 0) -> Any:
    """A freshly initialised ``LlamaForCausalLM`` of ``size`` (float32, eval mode off)."""
    config = LlamaConfig(
        vocab_size=size.vocab,
        hidden_size=size.hidden,
        intermediate_size=size.intermediate,
        num_hidden_layers=size.layers,
        num_attention_heads=size.heads,
        num_key_value_heads=size.heads,
        max_position_embeddings=max(512, 2 * size.context),
        tie_word_embeddings=False,
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(config)


def save_lm(model: Any, tokenizer: Any, folder: str | Path) -> Path:
    """Write the model (safetensors) and its tokenizer into ``folder``, loadable by any HF tool."""
    folder = Path(folder)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def load_lm(folder: str | Path) -> tuple[Any, Any]:
    """The ``(model, tokenizer)`` saved by :func:`save_lm`, model in eval mode."""
    model = LlamaForCausalLM.from_pretrained(folder).eval()
    return model, AutoTokenizer.from_pretrained(folder)
