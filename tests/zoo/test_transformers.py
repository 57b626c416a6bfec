"""Transformers and recurrent nets are first-class for every existing method (issue 12, part 1).

The failures a new user met, each now a test: a ViT pruned by every structured method runs and is
smaller (it used to crash on its first forward); 2-bit DoReFa changes attention outputs (max
difference was 0.0); int8 on an LSTM net is smaller than fp32 and names what stayed float; and
``zoo.quantize`` dispatches over every registered quantisation method. Nets are untrained and
tiny: these tests check structure, not accuracy.
"""

from __future__ import annotations

import os
import warnings

import pytest
import torch
from torch import nn

import zoo
from zoo.metrics import serialized_size
from zoo.nets import digits_lstm, digits_vit
from zoo.pruning.attention import PrunedModelError
from zoo.quantization import (
    LinearWeightQuantizer,
    count_levels,
    haq,
    quantize_int8,
    quantized_weights,
)

X = torch.zeros(1, 1, 8, 8)


def _batches(n: int = 2) -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(0)
    return [(torch.rand(16, 1, 8, 8, generator=generator), torch.randint(0, 10, (16,),
             generator=generator)) for _ in range(n)]


def _count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _same_state(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


# --- structured pruning of attention ----------------------------------------------------------

# Methods for decoder-only language models: they calibrate block by block on token ids
# (tests/language runs them on the trained small Llama); on other models they refuse in one line.
LANGUAGE_MODEL_ONLY = {"llm-pruner", "gptq", "awq", "smoothquant"}
STRUCTURED = [  # Gate Decorator trains its gates for an epoch of the data: slow on a busy machine
    pytest.param(r.name, marks=pytest.mark.slow) if r.name == "gate-decorator" else r.name
    for r in zoo.list_methods("pruning")
    # halp takes a latency target, and its table times Conv2d/Linear only: it refuses attention
    # (tests/zoo/test_halp.py)
    if r.subcategory == "structured" and r.name not in LANGUAGE_MODEL_ONLY | {"halp"}
]


@pytest.mark.parametrize("method", STRUCTURED)
def test_vit_pruned_by_every_structured_method_runs_and_is_smaller(method):
    torch.manual_seed(0)
    vit = digits_vit().eval()
    before = {k: v.clone() for k, v in vit.state_dict().items()}
    small = zoo.prune(vit, X, method=method, pruning_ratio=0.5, data=_batches())
    assert _count(small) < _count(vit)
    assert small(torch.rand(3, 1, 8, 8)).shape == (3, 10)
    for block in small.blocks:  # every head keeps the same width
        assert block.attn.embed_dim == block.attn.num_heads * block.attn.head_dim
    assert all(torch.equal(v, before[k]) for k, v in vit.state_dict().items())  # caller's untouched


def test_attention_width_is_cut_per_head_and_head_options_pass_through():
    torch.manual_seed(0)
    vit = digits_vit(dim=32, num_heads=4)
    small = zoo.prune(vit, X, method="l1-norm", pruning_ratio=0.5)
    attn = small.blocks[0].attn
    assert (attn.num_heads, attn.head_dim, attn.embed_dim) == (4, 4, 16)
    assert small.blocks[0].mlp[0].out_features == 32  # the MLP width is pruned too
    # A caller's num_heads entry is accepted (it overrides the one found); unknown options fail.
    heads = {vit.blocks[0].attn: 4}
    assert zoo.prune(vit, X, method="fpgm", pruning_ratio=0.25, num_heads=heads)(X).shape == (1, 10)
    with pytest.raises(ValueError, match="head_pruning_ratio"):
        zoo.prune(vit, X, method="l1-norm", pruning_ratio=0.5, prune_num_heads=True)


class _FixedScale(nn.Module):
    """A layer holding a per-channel buffer: Torch-Pruning prunes parameters, not buffers, so it
    breaks when the channels before it are pruned."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.register_buffer("scale", torch.ones(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


def test_a_pruned_model_that_does_not_run_raises_naming_the_layer():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), _FixedScale(16), nn.Linear(16, 2))
    with pytest.raises(PrunedModelError, match=r"layer '2' \(_FixedScale\)"):
        zoo.prune(model, torch.zeros(1, 8), method="l1-norm", pruning_ratio=0.5)


def test_hugging_face_vit_heads_are_found_and_pruned_whole():
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    config = transformers.ViTConfig(
        image_size=8, patch_size=2, num_channels=1, hidden_size=32, num_hidden_layers=1,
        num_attention_heads=4, intermediate_size=64, num_labels=10,
    )
    torch.manual_seed(0)

    class Logits(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.vit = transformers.ViTForImageClassification(config).eval()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.vit(pixel_values=x).logits

    model = Logits()
    small = zoo.prune(model, X, method="l1-norm", pruning_ratio=0.5, prune_num_heads=True,
                      prune_head_dims=False, head_pruning_ratio=0.5)
    attention = next(m for m in small.modules() if type(m).__name__.startswith("ViT")
                     and hasattr(m, "num_attention_heads"))
    assert attention.num_attention_heads == 2  # half the heads, each still 8 wide
    assert getattr(attention, "head_dim", getattr(attention, "attention_head_size", 8)) == 8
    assert small(torch.rand(2, 1, 8, 8)).shape == (2, 10)


# --- quantisation-aware methods reach attention and recurrent weights -------------------------


def test_two_bit_dorefa_quantizes_attention_weights_and_changes_its_output():
    torch.manual_seed(0)
    vit = digits_vit().eval()
    q = zoo.quantize(vit, method="dorefa", weight_bits=2, activation_bits=None).eval()
    h = torch.randn(2, 16, 32)
    float_out = vit.blocks[0].attn(h, h, h)[0]
    quant_out = q.blocks[0].attn(h, h, h)[0]
    assert (float_out - quant_out).abs().max() > 0.1  # was exactly 0.0
    weights = quantized_weights(q)
    for name in ("blocks.0.attn.in_proj_weight", "blocks.0.attn.out_proj.weight"):
        assert count_levels(weights[name]) <= 4
    q.train()
    q(torch.rand(4, 1, 8, 8)).sum().backward()  # straight-through to the latent weights
    latent = q.blocks[0].attn.parametrizations.in_proj_weight.original
    assert latent.grad is not None and latent.grad.abs().sum() > 0


@pytest.mark.parametrize("method", ["dorefa", "xnor-net", "binaryconnect", "relaxed-quantization"])
def test_quantization_aware_methods_quantize_lstm_gate_weights(method):
    torch.manual_seed(0)
    net = digits_lstm(hidden_size=16).eval()
    options = {"weight_bits": 2} if method in ("dorefa", "relaxed-quantization") else {}
    q = zoo.quantize(net, method=method, **options).eval()
    weights = quantized_weights(q)
    for name in ("lstm.weight_ih_l0", "lstm.weight_hh_l0"):
        assert count_levels(weights[name]) <= (4 if options else 2 * weights[name].shape[0])
    x = torch.rand(4, 1, 8, 8)
    assert not torch.equal(q(x), net(x))


def test_haq_computes_its_clip_once_per_weight_update():
    torch.manual_seed(0)
    quantizer, w = LinearWeightQuantizer(3), nn.Parameter(torch.randn(16, 8))
    first = quantizer(w)
    seen = quantizer._seen
    assert torch.equal(quantizer(w), first) and quantizer._seen == seen  # cached, not searched
    with torch.no_grad():
        w.mul_(2.0)  # an optimiser step updates in place
    assert torch.allclose(quantizer(w), 2 * first) and quantizer._seen != seen  # searched again
    model = haq(digits_lstm(hidden_size=16), _batches(1), budget=1e9)  # all layers at 8 bits
    assert "lstm.weight_hh_l0" in quantized_weights(model)


# --- int8 post-training quantisation ----------------------------------------------------------


def test_int8_lstm_net_is_smaller_and_attention_left_in_float_is_named():
    torch.manual_seed(0)
    net = digits_lstm().eval()
    calibration = [torch.rand(32, 1, 8, 8)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        int8 = quantize_int8(net, calibration)
    assert not [w for w in caught if "int8-ptq" in str(w.message)]  # every layer is int8
    assert serialized_size(int8) < 0.4 * serialized_size(net)  # was 100.3 %
    assert int8(calibration[0]).shape == (32, 10)
    with pytest.warns(UserWarning, match=r"left 2 layer\(s\) in float: blocks\.0\.attn "
                      r"\(MultiheadAttention\), blocks\.1\.attn \(MultiheadAttention\)"):
        vit_int8 = quantize_int8(digits_vit().eval(), calibration)
    assert vit_int8(calibration[0]).shape == (32, 10)


# --- recurrent-binary-ternary on a user's LSTM ------------------------------------------------


def test_recurrent_binary_ternary_converts_a_users_lstm():
    torch.manual_seed(0)
    net = digits_lstm(hidden_size=16)
    binary = zoo.quantize(net, method="recurrent-binary-ternary", mode="binary")
    assert type(net.lstm) is nn.LSTM  # the caller's model is untouched
    out, (h, c) = binary.lstm(torch.rand(3, 8, 8))
    ref_out, (ref_h, ref_c) = net.lstm(torch.rand(3, 8, 8))
    assert (out.shape, h.shape, c.shape) == (ref_out.shape, ref_h.shape, ref_c.shape)
    assert binary(torch.rand(2, 1, 8, 8)).shape == (2, 10)
    assert len(binary.lstm.quantized_weights()["weight_hh"].unique()) == 2
    with pytest.raises(ValueError, match=r"lstm \(num_layers=2"):
        zoo.quantize(digits_lstm(num_layers=2), method="recurrent-binary-ternary")


# --- the entry point --------------------------------------------------------------------------

_OPTIONS = {"haq": {"budget": 1e9, "max_batches": 1}, "int8-ptq": {"max_batches": 1}}


@pytest.mark.parametrize("method", sorted(LANGUAGE_MODEL_ONLY))
def test_language_model_methods_refuse_other_models_in_one_line(method):
    vit = digits_vit()
    before = {k: v.clone() for k, v in vit.state_dict().items()}
    with pytest.raises(ValueError, match="no list of transformer blocks") as info:
        if method in zoo.pruning.methods():
            zoo.prune(vit, X, method=method, pruning_ratio=0.5, data=_batches(1))
        else:
            zoo.quantize(vit, method=method, data=torch.randint(0, 10, (2, 16)))
    assert "\n" not in str(info.value) and "DigitsViT" in str(info.value)
    assert all(torch.equal(v, before[k]) for k, v in vit.state_dict().items())


@pytest.mark.parametrize("method", [m for m in zoo.quantization.methods()
                                    if m not in LANGUAGE_MODEL_ONLY])
def test_zoo_quantize_dispatches_every_registered_method(method):
    torch.manual_seed(0)
    net = digits_lstm(hidden_size=16).eval()
    reference = digits_lstm(hidden_size=16)
    reference.load_state_dict(net.state_dict())
    takes_data = method in _OPTIONS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = zoo.quantize(net, method=method, data=_batches(1) if takes_data else None,
                         **_OPTIONS.get(method, {}))
    assert q is not net and _same_state(net, reference)
    assert q.eval()(torch.rand(2, 1, 8, 8)).shape == (2, 10)


def test_zoo_quantize_rejects_bad_input_in_one_line():
    net = digits_lstm(hidden_size=16)
    cases = [
        ({"method": "nope"}, r"unknown quantization method 'nope'; choose one of: .*dorefa"),
        ({"method": "dorefa", "data": _batches(1)}, "'dorefa' takes no data"),
        ({"method": "int8-ptq"}, "'int8-ptq' needs data"),
        ({"method": "dorefa", "bits": 2}, "'dorefa': got an unexpected keyword argument 'bits'"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message) as info:
            zoo.quantize(net, **kwargs)
        assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match=r"must be a torch\.nn\.Module"):
        zoo.quantize("model.pt", method="dorefa")  # type: ignore[arg-type]
