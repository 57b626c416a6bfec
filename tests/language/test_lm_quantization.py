"""GPTQ, AWQ, SmoothQuant, the RTN baseline, packed storage, the int8 kernel, on the tiny Llama."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

import zoo
from zoo.language.calibration import LinearStats
from zoo.language.perplexity import perplexity
from zoo.language.train import calibration_windows
from zoo.quantization.awq import awq, clip_ratios, search_clip
from zoo.quantization.gptq import gptq, gptq_layer
from zoo.quantization.groupwise import rtn_weight
from zoo.quantization.lm_weights import rtn
from zoo.quantization.packing import PackedLinear, load_packed, save_packed
from zoo.quantization.smoothquant import smooth, smoothquant
from zoo.quantization.w8a8 import W8A8Linear, _reference, w8a8


@pytest.fixture(scope="module")
def calib(tiny_lm) -> torch.Tensor:
    return calibration_windows(tiny_lm.train_ids, count=8, seq_len=tiny_lm.seq_len)


def ppl(lm, model) -> float:
    return perplexity(model, lm.validation_ids, seq_len=lm.seq_len, max_windows=12)


def test_registry_lists_the_three_methods_with_their_papers() -> None:
    papers = {r.name: (r.paper, r.category) for r in zoo.list_methods("quantization")}
    assert papers["gptq"] == ("2023-iclr-gptq", "quantization")
    assert papers["awq"] == ("2024-mlsys-awq", "quantization")
    assert papers["smoothquant"] == ("2023-icml-smoothquant", "quantization")
    assert zoo.get("gptq").obj is gptq


@pytest.mark.parametrize("method", ["gptq", "awq", "smoothquant"])
def test_zoo_quantize_reaches_the_language_model_methods(method: str) -> None:
    from zoo.language.model import LMSize, build_model

    model = build_model(LMSize(hidden=32, layers=1, heads=2, intermediate=64, vocab=64,
                               context=16)).eval()
    before = copy.deepcopy(model.state_dict())
    ids = torch.randint(0, 64, (2, 16), generator=torch.Generator().manual_seed(0))
    options = {} if method == "smoothquant" else {"group_size": 32}  # 32 input features
    quantized = zoo.quantize(model, method=method, data=ids, **options)
    assert quantized is not model and quantized(ids).logits.shape == (2, 16, 64)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    with pytest.raises(ValueError, match=f"quantization method '{method}' needs data="):
        zoo.quantize(model, method=method)


def test_gptq_layer_beats_rtn_on_its_own_objective() -> None:
    torch.manual_seed(0)
    # correlated input channels of uneven size, like activations: what GPTQ's updates exploit
    mixed = torch.randn(512, 32) @ torch.randn(32, 128) + 0.1 * torch.randn(512, 128)
    x = mixed * torch.linspace(0.1, 3, 128)
    w = torch.randn(64, 128)
    h = 2 * x.T @ x / len(x)
    error = lambda q: float(((x @ (q - w).T) ** 2).mean())  # noqa: E731
    g, _ = gptq_layer(w, h, bits=3, group_size=64)
    g_act, _ = gptq_layer(w, h, bits=3, group_size=64, act_order=True)
    r = rtn_weight(w, bits=3, group_size=64)[0]
    assert error(g) < 0.8 * error(r) and error(g_act) < 0.8 * error(r)


def test_weight_only_methods_on_the_trained_model(tiny_lm, calib, tmp_path) -> None:
    lm = tiny_lm
    before = {k: v.clone() for k, v in lm.model.state_dict().items()}
    fp32 = ppl(lm, lm.model)
    g3, r3, a4 = gptq(lm.model, calib, bits=3), rtn(lm.model, bits=3), awq(lm.model, calib, bits=4)
    ids = lm.validation_ids[: 8 * lm.seq_len].view(8, -1)
    with torch.no_grad():
        reference = lm.model(ids).logits
        drift = {name: float((m(ids).logits - reference).pow(2).mean())
                 for name, m in (("gptq", g3), ("rtn", r3), ("awq", a4))}
    assert 0 < drift["gptq"] < drift["rtn"], drift  # GPTQ's compensation: closer to fp32
    assert ppl(lm, a4) < 1.2 * fp32
    # packed: two codes a byte, loaded layers dequantise to the fake-quantised outputs
    sizes = save_packed(g3, tmp_path / "g3.safetensors")
    assert sizes["packed_linear"] <= 0.16 * sizes["fp32_linear"]
    loaded = load_packed(tmp_path / "g3.safetensors")
    assert isinstance(loaded.model.layers[0].mlp.down_proj, PackedLinear)
    ids = calib[:2]
    with torch.no_grad():
        assert torch.equal(loaded(ids).logits, g3(ids).logits)
    assert all(torch.equal(v, lm.model.state_dict()[k]) for k, v in before.items())


def test_awq_clipping_lowers_a_layers_output_error_on_held_out_inputs() -> None:
    torch.manual_seed(0)
    x = torch.randn(1024, 128)
    x[:, :4] *= 10  # outlier input channels, as in a language model's activations
    w = torch.distributions.StudentT(3.0).sample((64, 128))  # heavy tails: a few large weights
    stats = LinearStats(128)
    stats.add(x[:512])  # searched on one half, judged on the other
    held_out = x[512:]
    error = lambda q: float((held_out @ (q - w).T).pow(2).mean())  # noqa: E731
    for bits in (3, 4):
        clipped = search_clip(w, (stats.xtx / stats.rows).float(), bits=bits, group_size=32,
                              ratios=clip_ratios(20, 0.5))
        assert (clipped.abs() <= w.abs()).all() and not torch.equal(clipped, w)
        rounded, plain = (rtn_weight(v, bits=bits, group_size=32)[0] for v in (clipped, w))
        assert error(rounded) < 0.85 * error(plain), bits


def test_awq_clipping_on_the_trained_model(tiny_lm, calib, tmp_path) -> None:
    lm = tiny_lm
    ids = lm.validation_ids[: 8 * lm.seq_len].view(8, -1)
    with torch.no_grad():
        reference = lm.model(ids).logits.log_softmax(-1)

    def drift(model: nn.Module) -> float:  # KL(fp32 ‖ quantised) per token: less noisy than ppl
        with torch.no_grad():
            log_p = model(ids).logits.log_softmax(-1)
        return float((reference.exp() * (reference - log_p)).sum(-1).mean())

    r3 = rtn(lm.model, bits=3)
    clipped = zoo.quantize(lm.model, method="awq", data=calib, bits=3)
    plain = zoo.quantize(lm.model, method="awq", data=calib, bits=3, clip=False)
    assert drift(clipped) < 0.85 * drift(r3) and drift(clipped) < drift(plain)
    assert ppl(lm, clipped) <= ppl(lm, r3)
    # the clipped grids are the ones stored: the packed model gives the fake-quantised outputs
    save_packed(clipped, tmp_path / "awq3.safetensors")
    loaded = load_packed(tmp_path / "awq3.safetensors")
    with torch.no_grad():
        assert torch.equal(loaded(ids[:2]).logits, clipped(ids[:2]).logits)


def test_smoothquant_runs_int8_and_stays_close(tiny_lm, calib) -> None:
    lm = tiny_lm
    smoothed = smooth(lm.model, calib)
    ids = calib[:2]
    with torch.no_grad():
        torch.testing.assert_close(smoothed(ids).logits, lm.model(ids).logits, rtol=1e-3,
                                   atol=1e-3)
    sq = smoothquant(lm.model, calib)
    assert isinstance(sq.model.layers[0].self_attn.q_proj, W8A8Linear)
    fp32 = ppl(lm, lm.model)
    assert ppl(lm, sq) < 1.1 * fp32 and ppl(lm, w8a8(lm.model)) < 1.2 * fp32


def test_int8_kernel_equals_its_float_arithmetic() -> None:
    torch.manual_seed(0)
    layer = W8A8Linear(nn.Linear(64, 32))
    x = torch.randn(3, 5, 64)
    torch.testing.assert_close(layer(x), _reference(x, layer), rtol=1e-5, atol=1e-5)


class Kwargs(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, *, input_ids: torch.Tensor) -> torch.Tensor:
        return self.inner(input_ids).logits


@pytest.mark.parametrize(("call", "message"), [
    (lambda m, c: gptq(m, c[:, :8].float()), "need token ids"),
    (lambda m, c: gptq(m, c[:0]), "calibration set is empty"),
    (lambda m, c: gptq(m, c, bits=5), "bits=5 is not supported"),
    (lambda m, c: awq(m, c, group_size=96), "group_size=96 does not divide layer"),
    (lambda m, c: awq(m, c, clip_grid=0), "clip_grid=0 must be a positive integer"),
    (lambda m, c: awq(m, c, clip_grid=3), "clip_grid=3 with max_shrink=0.5 tries no clipping"),
    (lambda m, c: awq(m, c, max_shrink=1.0), "max_shrink=1.0 must be between 0 and 1"),
    (lambda m, c: rtn(nn.Sequential(nn.ReLU()), c), "has no Linear layers"),
    (lambda m, c: gptq(Kwargs(m), c), "cannot be called with token ids alone"),
    (lambda m, c: gptq(m, c + 5000), "calibration data does not fit"),
])
def test_bad_input_is_one_line_and_leaves_the_model_untouched(tiny_lm, calib, call,
                                                              message) -> None:
    model = copy.deepcopy(tiny_lm.model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match=message) as info:
        call(model, calib)
    assert "\n" not in str(info.value)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())


def test_torchao_peer_rows_run_on_cpu_and_match_the_zoo_schemes(tiny_lm, calib) -> None:
    pytest.importorskip("torchao")
    from zoo.bench.language import ROWS

    row = {r.name: r for r in ROWS}
    lm = tiny_lm
    ao_w4 = row["torchao-rtn-w4"].apply(lm.model, calib)
    ao_w8a8 = row["torchao-w8a8-naive"].apply(lm.model, calib)
    assert ao_w4 is not lm.model  # quantize_ works in place: the row quantises a copy
    assert type(lm.model.model.layers[0].mlp.up_proj.weight) is nn.Parameter
    # the same round-to-nearest grid (asymmetric int4, groups of 128) as the zoo's RTN
    assert ppl(lm, ao_w4) == pytest.approx(ppl(lm, rtn(lm.model, bits=4)), rel=1e-4)
    assert ppl(lm, ao_w8a8) == pytest.approx(ppl(lm, w8a8(lm.model)), rel=2e-3)
