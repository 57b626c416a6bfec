"""SparseGPT, Wanda, the n:m magnitude baseline, LLM-Pruner and the sparse file format on a tiny
Llama (random weights, built from a ``transformers`` config: nothing is downloaded).

The methods act on ``nn.Linear`` layers and calibration activations, so their mechanics are
checked here on a random model; how much perplexity they keep is checked on the trained language
model in ``test_lm_methods_trained.py`` (floors) and measured by ``aladin bench``.
"""

from __future__ import annotations

import copy
import os

import pytest
import torch

import zoo
from zoo.language.calibration import LinearStats, decoder_blocks, layer_by_layer
from zoo.language.sparse_storage import load_sparse, save_sparse
from zoo.pruning import llm_pruner as llm_pruner_module
from zoo.pruning import sparsegpt as sparsegpt_module

os.environ.setdefault("HF_HUB_OFFLINE", "1")
transformers = pytest.importorskip("transformers")

VOCAB = 64


def tiny_llama(hidden: int = 32, layers: int = 3, heads: int = 4, kv_heads: int = 4,
               mlp: int = 64, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    config = transformers.LlamaConfig(
        vocab_size=VOCAB, hidden_size=hidden, intermediate_size=mlp, num_hidden_layers=layers,
        num_attention_heads=heads, num_key_value_heads=kv_heads, max_position_embeddings=64,
        tie_word_embeddings=False,
    )
    return transformers.LlamaForCausalLM(config).eval()


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    return tiny_llama()


@pytest.fixture(scope="module")
def tokens() -> torch.Tensor:
    return torch.randint(0, VOCAB, (8, 24), generator=torch.Generator().manual_seed(1))


def block_weights(model: torch.nn.Module) -> list[torch.Tensor]:
    return [m.weight for b in decoder_blocks(model) for m in b.modules()
            if isinstance(m, torch.nn.Linear)]


def logits(model: torch.nn.Module, tokens: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(tokens).logits


def test_calibration_collects_every_block_linear_once_per_token(model, tokens) -> None:
    seen: dict[int, dict[str, int]] = {}

    def process(index, block, linears):
        seen[index] = {name: stats.rows for name, (_, stats) in linears.items()}

    layer_by_layer(copy.deepcopy(model), tokens, process)
    assert sorted(seen) == [0, 1, 2]
    assert set(seen[0]) == {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                            "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"}
    assert all(rows == tokens.numel() for block in seen.values() for rows in block.values())


def test_calibration_hessian_is_that_of_the_dense_first_block_inputs(model, tokens) -> None:
    captured = []
    hook = model.model.layers[0].self_attn.q_proj.register_forward_hook(
        lambda m, args, out: captured.append(args[0].reshape(-1, args[0].shape[-1])))
    logits(model, tokens)
    hook.remove()
    x = captured[0].double()
    found = {}
    layer_by_layer(copy.deepcopy(model), tokens,
                   lambda i, b, lin: found.setdefault(i, lin["self_attn.q_proj"][1]))
    torch.testing.assert_close(found[0].hessian(), (2 * x.T @ x / len(x)).float())


@pytest.mark.parametrize("method", ["wanda", "sparsegpt"])
def test_unstructured_half_of_every_block_linear_and_nothing_else(method, model, tokens) -> None:
    before = copy.deepcopy(model.state_dict())
    pruned = zoo.prune(model, None, method=method, pruning_ratio=0.5, data=tokens)
    for name, value in model.state_dict().items():  # the caller's model is untouched
        assert torch.equal(value, before[name]), name
    for weight in block_weights(pruned):
        zeros = (weight == 0).float().mean()
        assert abs(float(zeros) - 0.5) < 0.02
        if method == "wanda":  # Wanda compares within each output row
            assert torch.all((weight == 0).sum(1) == weight.shape[1] // 2)
    assert torch.equal(pruned.lm_head.weight, model.lm_head.weight)
    assert torch.equal(pruned.model.embed_tokens.weight, model.model.embed_tokens.weight)


@pytest.mark.parametrize("method", ["wanda", "sparsegpt", "magnitude"])
@pytest.mark.parametrize(("structure", "n", "m"), [("2:4", 2, 4), ("4:8", 4, 8)])
def test_n_m_pattern_holds_in_every_group(method, structure, n, m, model, tokens) -> None:
    options = {"scope": "layer", "ignored_layers": ["lm_head"]} if method == "magnitude" else {}
    pruned = zoo.prune(model, None, method=method, pruning_ratio=1 - n / m, data=tokens,
                       mask_structure=structure, **options)
    for weight in block_weights(pruned):
        groups = (weight.detach() != 0).reshape(-1, m).sum(1)
        assert int(groups.max()) <= n and float(groups.float().mean()) > n - 0.01


def test_sparsegpt_reconstruction_beats_the_same_mask_without_update() -> None:
    """With correlated inputs (as activations are) the OBS update recovers most of the error."""
    stats, torch_gen = LinearStats(32), torch.Generator().manual_seed(0)
    mixing = torch.randn(12, 32, generator=torch_gen)
    x = torch.randn(256, 12, generator=torch_gen) @ mixing + 0.1 * torch.randn(
        256, 32, generator=torch_gen)
    w = torch.randn(16, 32, generator=torch_gen)
    stats.add(x)
    for pattern in (None, (2, 4)):
        sparse = sparsegpt_module.prune_linear(w, stats, pattern, 0.5, block_size=8)
        masked_only = w * (sparse != 0)
        err = (x @ (sparse - w).T).norm()
        assert err < 0.8 * (x @ (masked_only - w).T).norm()


def test_sparsegpt_model_output_closer_to_dense_than_magnitude(model, tokens) -> None:
    dense = logits(model, tokens)
    errors = {}
    for method in ("sparsegpt", "wanda", "magnitude"):
        extra = {"scope": "layer", "ignored_layers": ["lm_head"]} if method == "magnitude" else {}
        pruned = zoo.prune(model, None, method=method, pruning_ratio=0.5, data=tokens, **extra)
        errors[method] = float((logits(pruned, tokens) - dense).pow(2).mean())
    assert errors["sparsegpt"] < 0.7 * errors["magnitude"], errors


def test_sparsegpt_at_zero_ratio_changes_nothing(model, tokens) -> None:
    pruned = zoo.prune(model, None, method="sparsegpt", pruning_ratio=0.0, data=tokens)
    for a, b in zip(block_weights(pruned), block_weights(model), strict=True):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pruning_ratio": 1.0}, "pruning_ratio must be in [0, 1)"),
        ({"pruning_ratio": -0.1}, "pruning_ratio must be in [0, 1)"),
        ({"pruning_ratio": 0.6, "mask_structure": "2:4"}, "does not match mask_structure"),
        ({"pruning_ratio": 0.5, "mask_structure": "3:6"}, "does not divide the input width"),
        ({"pruning_ratio": 0.5, "mask_structure": "2-4"}, "mask_structure must be"),
        ({"pruning_ratio": 0.5, "data": None}, "no calibration data"),
        ({"pruning_ratio": 0.5, "data": []}, "no calibration data"),
        ({"pruning_ratio": 0.5, "data": torch.randn(2, 8)}, "need token ids"),
    ],
)
@pytest.mark.parametrize("method", ["wanda", "sparsegpt"])
def test_bad_input_is_one_line_and_leaves_the_model(method, options, message, tokens) -> None:
    model = tiny_llama(layers=1)  # widths 32 and 64: 3:6 divides neither
    options = {"data": tokens, **options}
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace(")", r"\)")) as err:
        zoo.prune(model, None, method=method, **options)
    assert "\n" not in str(err.value)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_model_without_blocks_is_refused(tokens) -> None:
    with pytest.raises(ValueError, match="no list of transformer blocks"):
        zoo.prune(torch.nn.Linear(4, 4), None, method="wanda", pruning_ratio=0.5, data=tokens)


def test_sparse_file_shrinks_with_sparsity_and_loads_back_exactly(model, tokens, tmp_path) -> None:
    def data_bytes(path, size) -> int:  # the file less its JSON header (names, shapes, offsets)
        return size - 8 - int.from_bytes(path.read_bytes()[:8], "little")

    dense_path = tmp_path / "dense.safetensors"
    dense_data = data_bytes(dense_path, save_sparse(model, dense_path))
    sizes = {}
    for structure, ratio in (("unstructured", 0.5), ("2:4", 0.5)):
        pruned = zoo.prune(model, None, method="wanda", pruning_ratio=ratio, data=tokens,
                           mask_structure=structure)
        path = tmp_path / f"{structure.replace(':', '-')}.safetensors"
        sizes[structure] = data_bytes(path, save_sparse(pruned, path))
        state, meta = load_sparse(path)
        assert all(torch.equal(state[k], v) for k, v in pruned.state_dict().items())
        if structure == "2:4":
            assert meta["model.layers.0.mlp.down_proj.weight"]["n_m"] == "2:4"
    # a half-pruned float32 matrix: 1/8 B of bitmask per weight + 4 B per kept value, not 4 B
    saving = sum(w.numel() * 4 - (w.numel() // 2 * 4 + w.numel() // 8)
                 for w in block_weights(model))
    assert sizes == {"unstructured": dense_data - saving, "2:4": dense_data - saving}


def test_llm_pruner_removes_heads_and_channels_and_still_runs(model, tokens) -> None:
    pruned = zoo.prune(model, None, method="llm-pruner", pruning_ratio=0.5, data=tokens[:2],
                       skip_first=0, skip_last=1)
    first, last = pruned.model.layers[0], pruned.model.layers[-1]
    assert first.self_attn.q_proj.out_features == 16 and first.self_attn.o_proj.in_features == 16
    assert first.mlp.gate_proj.out_features == 32 and first.mlp.down_proj.in_features == 32
    assert last.self_attn.q_proj.out_features == 32  # the last block stays dense
    assert logits(pruned, tokens).shape == logits(model, tokens).shape
    assert model.model.layers[0].self_attn.q_proj.out_features == 32  # caller's model as it was
    losses = llm_pruner_module.recover(pruned, tokens, steps=3, lr=1e-3)
    assert losses[-1] < losses[0]


def test_llm_pruner_keeps_grouped_query_heads_together(tokens) -> None:
    model = tiny_llama(heads=4, kv_heads=2)
    pruned = zoo.prune(model, None, method="llm-pruner", pruning_ratio=0.5, data=tokens[:2],
                       skip_first=0, skip_last=0)
    attention = pruned.model.layers[0].self_attn
    assert (attention.q_proj.out_features, attention.k_proj.out_features) == (16, 8)
    assert logits(pruned, tokens).shape == (8, 24, VOCAB)


def test_llm_pruner_removes_the_head_whose_removal_costs_least(model, tokens) -> None:
    """Against the oracle: the head LLM-Pruner drops first changes the loss least of all four."""
    def loss_without(head: int) -> float:
        trial = copy.deepcopy(model)
        with torch.no_grad():
            trial.model.layers[0].self_attn.o_proj.weight[:, head * 8:(head + 1) * 8] = 0
            return float(trial(tokens, labels=tokens).loss)

    base = float(model(tokens, labels=tokens).loss)
    cost = [abs(loss_without(h) - base) for h in range(4)]
    pruned = zoo.prune(model, None, method="llm-pruner", pruning_ratio=0.25, data=tokens,
                       skip_first=0, skip_last=2, order=1)
    kept_rows = pruned.model.layers[0].self_attn.o_proj.weight
    dropped = [h for h in range(4) if not any(
        torch.equal(kept_rows[:, k * 8:(k + 1) * 8],
                    model.model.layers[0].self_attn.o_proj.weight[:, h * 8:(h + 1) * 8])
        for k in range(3))]
    assert dropped and cost[dropped[0]] <= sorted(cost)[1]  # the cheapest or the next


def test_llm_pruner_refuses_a_model_without_llama_blocks(tokens) -> None:
    config = transformers.GPTNeoXConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2,
                                        num_attention_heads=4, intermediate_size=64)
    neox = transformers.GPTNeoXForCausalLM(config)  # fused query_key_value, no q/k/v_proj
    before = copy.deepcopy(neox.state_dict())
    with pytest.raises(ValueError, match="LLM-Pruner needs Llama-style blocks"):
        zoo.prune(neox, None, method="llm-pruner", pruning_ratio=0.2, data=tokens)
    assert all(torch.equal(v, before[k]) for k, v in neox.state_dict().items())
