"""A byte-level BPE tokenizer trained here on the corpus (``tokenizers``), no download.

Byte-level BPE (GPT-2 style: every byte is a symbol, merges learnt from the training files) keeps
Python's indentation and any Unicode in the sources encodable, with no unknown token. It is wrapped
in ``transformers``' ``PreTrainedTokenizerFast`` so ``save_pretrained`` writes the files that
``AutoTokenizer.from_pretrained`` (and so llmcompressor) loads from a local folder.

>>> tok = train_tokenizer(["def f(x):\\n    return x + 1\\n"] * 20, vocab_size=300)
>>> tok.decode(tok("def f(x):")["input_ids"])
'def f(x):'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

__all__ = ["BOS", "EOS", "encode_files", "train_tokenizer"]

BOS, EOS = "<s>", "</s>"


def train_tokenizer(texts: Iterable[str], *, vocab_size: int = 4096) -> Any:
    """A ``PreTrainedTokenizerFast`` with a byte-level BPE of ``vocab_size`` learnt on ``texts``."""
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[BOS, EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token=BOS, eos_token=EOS, pad_token=EOS,
        clean_up_tokenization_spaces=False,
    )


def encode_files(tokenizer: Any, texts: Sequence[str]) -> torch.Tensor:
    """One 1-D LongTensor: every text's tokens followed by the end-of-sequence token."""
    eos = tokenizer.eos_token_id
    ids: list[int] = []
    for encoded in tokenizer(list(texts), add_special_tokens=False)["input_ids"]:
        ids.extend(encoded)
        ids.append(eos)
    return torch.tensor(ids, dtype=torch.long)
