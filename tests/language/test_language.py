"""The shared language-model pieces: corpus split, tokenizer, the trained tiny Llama, perplexity."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from zoo.language.corpus import load_corpus, stdlib_files
from zoo.language.perplexity import perplexity, unigram_perplexity, windows
from zoo.registry import INSTALL_LLM

REPO = Path(__file__).resolve().parents[2]


def test_corpus_is_split_by_file_deterministically() -> None:
    first, again = load_corpus(max_files=60), load_corpus(max_files=60)
    assert list(first.train) == list(again.train)
    assert list(first.validation) == list(again.validation)
    assert set(first.train).isdisjoint(first.validation) and first.validation
    assert not any("/test/" in f"/{name}" for name in [*first.train, *first.validation])
    assert all(p.suffix == ".py" for p in stdlib_files()[:50])


class Uniform(nn.Module):
    """Logits that say nothing: the perplexity must be the vocabulary size."""

    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.vocab = vocab

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return torch.zeros(*ids.shape, self.vocab)


def test_perplexity_of_a_uniform_model_is_the_vocabulary_size() -> None:
    tokens = torch.randint(0, 50, (1000,))
    assert perplexity(Uniform(50), tokens, seq_len=32) == pytest.approx(50, rel=1e-5)
    assert windows(tokens, 32, max_windows=3).shape == (3, 32)
    with pytest.raises(ValueError, match="fewer than one window"):
        windows(tokens[:10], 32)


def test_tiny_model_beats_the_unigram_model_by_far(tiny_lm) -> None:
    ppl = perplexity(tiny_lm.model, tiny_lm.validation_ids, seq_len=tiny_lm.seq_len,
                     max_windows=32)
    unigram = unigram_perplexity(tiny_lm.train_ids, tiny_lm.validation_ids,
                                 vocab_size=tiny_lm.size.vocab)
    assert math.isfinite(ppl) and ppl < 0.7 * unigram, (ppl, unigram)
    assert tiny_lm.tokenizer.decode(tiny_lm.tokenizer("import os\n")["input_ids"]) == "import os\n"


def test_saved_folder_loads_with_auto_classes_offline(tiny_lm) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_lm.folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_lm.folder)
    ids = torch.tensor([tokenizer("def main():\n    return 0\n")["input_ids"]])
    with torch.no_grad():
        assert torch.equal(model(ids).logits, tiny_lm.model(ids).logits)


def test_missing_llm_extra_is_named() -> None:
    code = ("import sys\nsys.modules['transformers'] = None\nimport zoo\n"
            "from zoo.registry import import_zoo_module\n"
            "try:\n    import_zoo_module('zoo.language.train', 'zoo.language')\n"
            "except zoo.MissingExtraError as exc:\n    print(exc)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, check=False)
    expected = f"zoo.language needs transformers (the llm extra): {INSTALL_LLM}"
    assert result.stdout.strip() == expected, result.stderr
