"""Torch-Pruning's LLM pruning, the benchmark's peer of LLM-Pruner, on the trained tiny LM: it
reaches the parameter count it is asked for and leaves a working, smaller model (floors only; the
figures are in ``zoo/bench/lm_pruning.py``'s structured rows)."""

from __future__ import annotations

import pytest
import torch

from zoo.bench.lm_torch_pruning import ratio_for_params, tp_prune_llm
from zoo.language.perplexity import perplexity
from zoo.language.train import calibration_windows

pytestmark = pytest.mark.slow


def _count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_prunes_to_the_requested_parameter_count_and_still_models_text(tiny_lm) -> None:
    model = tiny_lm.model
    dense = _count(model)
    first = model.model.layers[0].self_attn.q_proj.weight.detach().clone()
    ratio, reached = ratio_for_params(model, int(0.8 * dense), steps=8)
    assert 0 < ratio < 0.5 and abs(reached / (0.8 * dense) - 1) < 0.03, (ratio, reached, dense)

    calib = calibration_windows(tiny_lm.train_ids, count=4, seq_len=tiny_lm.seq_len)
    pruned = tp_prune_llm(model, ratio, data=calib)
    assert _count(pruned) == reached  # the Taylor score picks other channels, not other counts
    attention = pruned.model.layers[0].self_attn
    assert attention.q_proj.out_features < model.model.layers[0].self_attn.q_proj.out_features
    assert pruned.lm_head.in_features < model.lm_head.in_features  # the hidden width shrank too
    assert pruned.lm_head.out_features == model.lm_head.out_features  # the vocabulary did not

    def ppl(m: torch.nn.Module) -> float:
        return perplexity(m, tiny_lm.validation_ids, seq_len=tiny_lm.seq_len, max_windows=4)

    # Before recovery a fifth fewer parameters costs perplexity, but far from the vocabulary's
    # 1024 of a model that has forgotten everything.
    assert ppl(pruned) < 3 * ppl(model)
    out = pruned.generate(calib[:1, :8], max_new_tokens=4, do_sample=False, pad_token_id=0)
    assert out.shape == (1, 12)
    assert torch.equal(model.model.layers[0].self_attn.q_proj.weight, first)  # caller's model
    assert _count(model) == dense


def test_bad_ratio_is_refused_before_anything_is_copied(tiny_lm) -> None:
    with pytest.raises(ValueError, match=r"ratio must be in \[0, 1\), got 1.0"):
        tp_prune_llm(tiny_lm.model, 1.0, importance="magnitude")


def test_targets_compare_llm_pruner_with_the_peer_of_the_same_fraction() -> None:
    from zoo.bench.lm_pruning import targets

    def row(method: str, setting: str, ppl: float | None, params: int) -> dict:
        out = {"section": "structured", "method": method, "setting": setting, "params": params}
        return out if ppl is None else {**out, "perplexity": ppl}

    rows = [row("llm-pruner", "20% of parameters (ratio 0.250 per block)", 10.0, 800),
            row("torch-pruning", "20% of parameters (ratio 0.104 ...)", 12.0, 801),
            row("llm-pruner", "50% of parameters (ratio 0.600 per block)", 20.0, 500),
            row("torch-pruning", "50% of parameters", None, 0)]  # the peer failed: no line
    lines = [t for t in targets(rows) if "Torch-Pruning" in t["target"]]
    assert [(t["target"].split(":")[0], t["ours"], t["reference"], t["met"]) for t in lines] == [
        ("llm-pruner 20%", 10.0, 12.0, True)]
