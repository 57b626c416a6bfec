"""SparseGPT, Wanda, LLM-Pruner and MiniLLM on the trained tiny language model: floors, not figures.

The measured figures (small model, beside llmcompressor) are in ``aladin bench``'s language-model
rows (``zoo/bench/lm_pruning.py``); here each method must keep the model usable and keep the order
the papers report where it is robust on this model (SparseGPT below magnitude at 2:4).
"""

from __future__ import annotations

import copy

import pytest
import torch

import zoo
from zoo.distillation.minillm import minillm, sample_mixed
from zoo.language.perplexity import perplexity
from zoo.language.sparse_storage import load_sparse, save_sparse
from zoo.language.train import calibration_windows
from zoo.pruning.llm_pruner import recover

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def calib(tiny_lm) -> torch.Tensor:
    return calibration_windows(tiny_lm.train_ids, count=8, seq_len=tiny_lm.seq_len)


def ppl(lm, model) -> float:
    return perplexity(model, lm.validation_ids, seq_len=lm.seq_len, max_windows=8)


@pytest.fixture(scope="module")
def sparse_ppl(tiny_lm, calib) -> dict[tuple[str, str], float]:
    figures = {("dense", ""): ppl(tiny_lm, tiny_lm.model)}
    for structure in ("unstructured", "2:4"):
        for method in ("magnitude", "wanda", "sparsegpt"):
            extra = ({"scope": "layer", "ignored_layers": ["lm_head"]} if method == "magnitude"
                     else {"data": calib})
            model = zoo.prune(tiny_lm.model, None, method=method, pruning_ratio=0.5,
                              mask_structure=structure, **extra)
            figures[method, structure] = ppl(tiny_lm, model)
    return figures


def test_half_sparse_models_stay_close_to_dense(sparse_ppl) -> None:
    dense = sparse_ppl["dense", ""]
    for method in ("wanda", "sparsegpt"):
        assert sparse_ppl[method, "unstructured"] < 1.25 * dense, sparse_ppl
        assert sparse_ppl[method, "2:4"] < 1.4 * dense, sparse_ppl


def test_sparsegpt_beats_magnitude(sparse_ppl) -> None:
    assert sparse_ppl["sparsegpt", "2:4"] < sparse_ppl["magnitude", "2:4"], sparse_ppl
    assert sparse_ppl["sparsegpt", "unstructured"] <= 1.01 * sparse_ppl["magnitude",
                                                                         "unstructured"]


def test_sparse_file_of_the_trained_model(tiny_lm, calib, tmp_path) -> None:
    model = zoo.prune(tiny_lm.model, None, method="sparsegpt", pruning_ratio=0.5, data=calib)
    dense = save_sparse(tiny_lm.model, tmp_path / "dense.safetensors")
    sparse = save_sparse(model, tmp_path / "sparse.safetensors")
    assert sparse < 0.85 * dense  # embeddings and output head stay dense
    state, _ = load_sparse(tmp_path / "sparse.safetensors")
    reloaded = copy.deepcopy(tiny_lm.model)
    reloaded.load_state_dict(state)
    ids = calib[:2]
    torch.testing.assert_close(reloaded(ids).logits, model(ids).logits)


def test_llm_pruner_then_recovery(tiny_lm, calib) -> None:
    dense = ppl(tiny_lm, tiny_lm.model)
    pruned = zoo.prune(tiny_lm.model, None, method="llm-pruner", pruning_ratio=0.25,
                       data=calib[:4], skip_first=0, skip_last=0)
    params = sum(p.numel() for p in pruned.parameters())
    assert params < sum(p.numel() for p in tiny_lm.model.parameters())
    before = ppl(tiny_lm, pruned)
    recover(pruned, calibration_windows(tiny_lm.train_ids, count=80, seq_len=64,
                                        seed=5).split(8), steps=10, lr=1e-3)
    after = ppl(tiny_lm, pruned)
    assert after < before and after < 2.0 * dense, (dense, before, after)


def test_minillm_lowers_the_reverse_kl_to_the_teacher(tiny_lm) -> None:
    from zoo.language.model import build_model

    teacher = tiny_lm.model
    size = tiny_lm.size
    student = build_model(type(size)(hidden=64, layers=1, heads=2, intermediate=128,
                                     vocab=size.vocab, context=size.context), seed=0)
    data = calibration_windows(tiny_lm.train_ids, count=32, seq_len=32, seed=6).split(4)
    probe = sample_mixed(teacher, teacher, data[0][:, :16], 8, 0.0,
                         torch.Generator().manual_seed(0))

    def rkl() -> float:  # exact KL(q ‖ p) per generated position, averaged
        with torch.no_grad():
            log_q = student(probe).logits[:, 15:-1].log_softmax(-1)
            log_p = teacher(probe).logits[:, 15:-1].log_softmax(-1)
            return float((log_q.exp() * (log_q - log_p)).sum(-1).mean())

    start = rkl()
    minillm(student, teacher, data, steps=8, lr=3e-3, prompt_length=16, new_tokens=8)
    assert rkl() < 0.9 * start
