"""Quantisation: what each paper claims, checked on scikit-learn's digits with floors.

Binary layers hold exactly two values (ternary three), k-bit layers at most 2^k; our fake
quantisation agrees with ``torch.fake_quantize_per_*`` where the definitions match; the int8 model
really is int8 and under 30 % of the float file; HAQ stays within its budget; trained quantised
models reach accuracy floors. The trained baseline (``trained_cnn``, digits CNN width 16) and the
loaders come from ``tests/zoo/conftest.py``.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import zoo
from zoo.data import load_digits, loaders
from zoo.metrics import accuracy, serialized_size
from zoo.nets import digits_cnn
from zoo.quantization import (
    BitPolicy,
    QuantLayer,
    RelaxedQuantizer,
    XnorConv2d,
    apply_bit_policy,
    binary_sign,
    binaryconnect,
    count_levels,
    default_skip,
    dorefa,
    fake_quantize,
    haq_search,
    quant_layer,
    quantizable_layers,
    quantize_int8,
    quantize_k,
    quantized_weights,
    recalibrate_batchnorm,
    relaxed_quantization,
    row_lstm_classifier,
    sign_ste,
    swap_layers,
    symmetric_qparams,
    weight_bytes,
    xnor_net,
)
from zoo.quantization.haq import linear_quantize
from zoo.training import fine_tune, seed_everything, train

# --- shared pieces ----------------------------------------------------------------------------


def input_levels(model: nn.Module, x: torch.Tensor) -> dict[str, int]:
    """Distinct values each quantised layer's input quantiser emits on ``x`` (eval mode)."""
    levels: dict[str, int] = {}
    hooks = [
        m.input_quantizer.register_forward_hook(
            lambda _m, _i, out, name=name: levels.__setitem__(name, count_levels(out))
        )
        for name, m in model.named_modules()
        if isinstance(m, QuantLayer) and not isinstance(m.input_quantizer, nn.Identity)
    ]
    model.eval()
    with torch.no_grad():
        model(x)
    for hook in hooks:
        hook.remove()
    return levels


def test_registry_lists_every_quantisation_paper():
    records = {r.name: r for r in zoo.list_methods("quantization")}
    expected = {
        "recurrent-binary-ternary": ("2019-iclr-learning-recurrent-binary-ternary", "binary"),
        "binaryconnect": ("2015-neurips-binaryconnect", "binary"),
        "xnor-net": ("2016-eccv-xnor-net", "binary"),
        "dorefa": ("2016-arxiv-dorefa-net", "fixed-bit"),
        "relaxed-quantization": ("2019-iclr-relaxed-quantization-discretized-neural", "fixed-bit"),
        "int8-ptq": ("2018-cvpr-quantization-training-neural-networks", "fixed-bit"),
        "haq": ("2019-cvpr-haq", "mixed-precision"),
    }
    for name, (paper, sub) in expected.items():
        assert (records[name].paper, records[name].subcategory) == (paper, sub)
        assert callable(records[name].obj)


def test_sign_ste_is_two_valued_with_clipped_identity_gradient():
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0], requires_grad=True)
    out = sign_ste(x)
    assert out.tolist() == [-1.0, -1.0, 1.0, 1.0, 1.0]  # sign(0) = +1: never a third value
    out.backward(torch.arange(1.0, 6.0))
    assert x.grad.tolist() == [0.0, 2.0, 3.0, 4.0, 0.0]


def test_swap_layers_copies_and_skips_first_and_last(trained_cnn):
    model = trained_cnn.model()
    names = [n for n, _ in quantizable_layers(model)]
    assert default_skip(model) == (names[0], names[-1])
    swapped = swap_layers(model, lambda _n, layer: quant_layer(layer, nn.Identity()))
    assert [n for n, m in swapped.named_modules() if isinstance(m, QuantLayer)] == names[1:-1]
    assert not any(isinstance(m, QuantLayer) for m in model.modules())  # input untouched
    x = torch.rand(4, 1, 8, 8)
    assert torch.allclose(swapped.eval()(x), model.eval()(x))
    with pytest.raises(KeyError, match="nonexistent"):
        swap_layers(model, lambda _n, layer: None, skip=["nonexistent"])


# --- fake quantisation against PyTorch's kernels ----------------------------------------------


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_fake_quantize_equals_torch_per_tensor_and_per_channel(bits):
    torch.manual_seed(bits)
    w = torch.randn(6, 5, 3, 3) * 0.3
    scale, zp, q_min, q_max = symmetric_qparams(w, bits)
    ours = fake_quantize(w, scale, zp, q_min, q_max)
    theirs = torch.fake_quantize_per_tensor_affine(w, float(scale), 0, q_min, q_max)
    assert torch.equal(ours, theirs)
    assert count_levels(ours) <= 2**bits

    scale_c, _, _, _ = symmetric_qparams(w, bits, axis=0)
    ours_c = fake_quantize(w, scale_c, 0, q_min, q_max, axis=0)
    theirs_c = torch.fake_quantize_per_channel_affine(
        w, scale_c, torch.zeros(6, dtype=torch.int32), 0, q_min, q_max
    )
    assert torch.equal(ours_c, theirs_c)
    assert all(count_levels(row) <= 2**bits for row in ours_c)


def test_fake_quantize_gradient_is_the_masked_straight_through_estimator():
    x = torch.tensor([-3.0, -0.4, 0.1, 0.9, 3.0], requires_grad=True)
    fake_quantize(x, 0.5, 0, -2, 2).sum().backward()  # representable range [-1, 1]
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


@pytest.mark.parametrize("bits", [1, 2, 3, 4, 8])
def test_dorefa_quantize_k_is_the_paper_formula_and_torch_fake_quant(bits):
    r = torch.rand(1000)
    n = 2**bits - 1
    paper = torch.round(r * n) / n
    torch_op = torch.fake_quantize_per_tensor_affine(r, 1.0 / n, 0, 0, n)
    assert torch.allclose(quantize_k(r, bits), paper, atol=1e-6)
    assert torch.equal(quantize_k(r, bits), torch_op)


@pytest.mark.parametrize("bits", [1, 2, 3, 4])
def test_dorefa_weights_hold_at_most_2_to_the_k_levels(bits):
    torch.manual_seed(0)
    model = dorefa(digits_cnn(width=8), weight_bits=bits, activation_bits=bits)
    for name, w in quantized_weights(model).items():
        assert count_levels(w) <= 2**bits, name
        if bits > 1:
            assert w.abs().max() == pytest.approx(1.0)  # the grid spans [-1, 1]
    for name, levels in input_levels(model, torch.rand(16, 1, 8, 8)).items():
        assert levels <= 2**bits, name


def test_relaxed_quantizer_test_time_equals_torch_fake_quant():
    torch.manual_seed(0)
    x = torch.randn(2000) * 2
    quantizer = RelaxedQuantizer(4, signed=True)
    quantizer._initialize(x)
    quantizer.eval()
    alpha = float(quantizer.log_alpha.detach().exp())
    expected = torch.fake_quantize_per_tensor_affine(x, alpha, 0, -8, 7)
    assert torch.allclose(quantizer(x), expected, atol=1e-6)
    assert count_levels(quantizer(x)) <= 16


def test_relaxed_quantizer_trains_the_grid_and_sharpens_into_rounding():
    torch.manual_seed(0)
    x = torch.randn(4000)
    quantizer = RelaxedQuantizer(3, signed=True)
    quantizer._initialize(x)
    out = quantizer.train()(x)
    alpha = quantizer.log_alpha.exp().detach()
    assert out.min() >= -4 * alpha - 1e-5 and out.max() <= 3 * alpha + 1e-5  # inside the grid
    F.mse_loss(out, x).backward()
    assert quantizer.log_alpha.grad.abs() > 0 and quantizer.log_sigma.grad.abs() > 0
    # With little noise and a low temperature the relaxed sample is (almost always) rounding.
    with torch.no_grad():
        quantizer.log_sigma.fill_(float(torch.log(alpha / 200)))
    quantizer.temperature = 0.01
    sample = quantizer(x).detach()
    rounded = quantizer.eval()(x)
    assert (sample - rounded).abs().lt(1e-3 * float(alpha)).float().mean() > 0.97


def test_haq_linear_quantizer_is_clipped_symmetric_fake_quant():
    torch.manual_seed(0)
    w = torch.randn(32, 16) * 0.1
    for bits in (2, 3, 5, 8):
        q = linear_quantize(w, bits)
        assert count_levels(q) <= 2**bits - 1  # narrow symmetric grid
        c = float(q.abs().max())  # the chosen clip value is the grid's end point
        q_max = 2 ** (bits - 1) - 1
        expected = torch.fake_quantize_per_tensor_affine(
            torch.clamp(w, -c, c), c / q_max, 0, -q_max, q_max
        )
        assert torch.allclose(q, expected, atol=1e-6)
        # MSE-optimal clip is never worse than plain max scaling.
        plain = torch.fake_quantize_per_tensor_affine(
            w, float(w.abs().max()) / q_max, 0, -q_max, q_max
        )
        assert (q - w).pow(2).sum() <= (plain - w).pow(2).sum() + 1e-9


# --- binary and ternary weights ---------------------------------------------------------------


def test_binaryconnect_trains_with_exactly_two_weight_values(fresh_cnn, digits_loaders):
    train_data, test_data = digits_loaders
    model = binaryconnect(fresh_cnn(0))
    train(model, train_data, epochs=10, lr=1e-2, seed=0)
    weights = quantized_weights(model)
    assert set(weights) == {"features.1.0", "features.3.0"}
    for w in weights.values():
        assert sorted(w.unique().tolist()) == [-1.0, 1.0]
    with torch.no_grad():
        model.train()(next(iter(train_data))[0])  # the clip runs before each training forward
    for layer in (m for m in model.modules() if isinstance(m, QuantLayer)):
        assert layer.weight.abs().max() <= 1.0  # the paper's clip of the latent weights
    assert accuracy(model, test_data) >= 0.95


def test_binaryconnect_stochastic_after_batchnorm_reestimation(fresh_cnn, digits_loaders):
    train_data, test_data = digits_loaders
    model = binaryconnect(fresh_cnn(0), stochastic=True)
    train(model, train_data, epochs=10, lr=3e-2, seed=0)
    recalibrate_batchnorm(model, train_data)
    for w in quantized_weights(model).values():
        assert count_levels(w) == 2
    assert accuracy(model, test_data) >= 0.93


def test_xnor_binary_weight_network_scales_each_filter_by_its_mean_magnitude(
    trained_cnn, digits_loaders
):
    train_data, test_data = digits_loaders
    model = xnor_net(trained_cnn.model())
    fine_tune(model, train_data, epochs=4, lr=2e-3, seed=0)
    for name, w in quantized_weights(model).items():
        latent = model.get_submodule(name).weight.detach()
        alpha = latent.abs().mean(dim=(1, 2, 3))
        for c, filt in enumerate(w):
            assert torch.allclose(filt.unique().abs(), alpha[c].expand(2)), (name, c)
    assert accuracy(model, test_data) >= trained_cnn.accuracy - 0.03


def test_xnor_conv_equals_binary_convolution_times_k_and_alpha():
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 3, 3, padding=1, bias=False)
    layer = xnor_net(nn.Sequential(conv), binary_inputs=True, skip=())[0]
    assert isinstance(layer, XnorConv2d)
    x = torch.randn(2, 4, 6, 6)
    # Direct evaluation of the paper's formula: per output position, β = mean |I| over the patch
    # (all channels), then Σ sign(I)·sign(W) · β · α_c.
    patches = F.unfold(x, 3, padding=1)  # (N, C·9, L), zero-padded like the conv
    beta = F.unfold(x.abs().mean(1, keepdim=True), 3, padding=1).mean(1)  # (N, L)
    signs = F.unfold(binary_sign(x), 3, padding=1)
    signs = torch.where(patches == 0, 0.0, signs)  # padding contributes nothing
    alpha = conv.weight.abs().mean(dim=(1, 2, 3))
    expected = torch.einsum("ckl,nkl->ncl", binary_sign(conv.weight).flatten(1)[..., None], signs)
    expected = (expected * beta[:, None] * alpha[None, :, None]).view(2, 3, 6, 6)
    assert torch.allclose(layer(x), expected, atol=1e-5)


def test_xnor_net_with_binary_inputs_trains_on_the_papers_block_order(digits_loaders):
    train_data, test_data = digits_loaders
    seed_everything(0)
    w = 16
    net = nn.Sequential(  # float first layer, then the paper's BN → sign → binary conv → pool
        nn.Conv2d(1, w, 3, padding=1),
        nn.BatchNorm2d(w),
        nn.ReLU(),
        nn.BatchNorm2d(w),
        nn.Conv2d(w, 2 * w, 3, padding=1),
        nn.MaxPool2d(2),
        nn.BatchNorm2d(2 * w),
        nn.Conv2d(2 * w, 4 * w, 3, padding=1),
        nn.MaxPool2d(2),
        nn.BatchNorm2d(4 * w),
        nn.Flatten(),
        nn.Linear(16 * w, 10),
    )
    model = xnor_net(net, binary_inputs=True)
    assert sum(isinstance(m, XnorConv2d) for m in model.modules()) == 2
    train(model, train_data, epochs=10, lr=1e-2, seed=0)
    assert accuracy(model, test_data) >= 0.93


@pytest.mark.parametrize(("mode", "values"), [("binary", 2), ("ternary", 3)])
def test_recurrent_binary_ternary_lstm_reads_digits_row_by_row(mode, values, digits_loaders):
    train_data, test_data = digits_loaders
    seed_everything(0)
    model = row_lstm_classifier(mode, hidden_size=48)
    train(model, train_data, epochs=10, lr=1e-2, seed=0)
    weights = model.lstm.quantized_weights()
    for name, w in weights.items():
        assert count_levels(w) == values, name  # exactly {±α} or {-α, 0, α}
        assert torch.allclose(w.abs()[w != 0], w.abs().max().expand(int((w != 0).sum())))
    if mode == "ternary":
        assert (weights["weight_hh"] == 0).any()
    assert accuracy(model, test_data) >= 0.93


def test_batch_norm_is_what_makes_the_binary_lstm_trainable(digits_loaders):
    """The paper's claim: a binary LSTM without batch-normalised products trains far worse."""
    from zoo.quantization import BinaryTernaryLSTM, RowLSTMClassifier

    train_data, test_data = digits_loaders
    seed_everything(0)
    plain = RowLSTMClassifier(BinaryTernaryLSTM(8, 48, max_steps=8, batch_norm=False))
    train(plain, train_data, epochs=10, lr=1e-2, seed=0)
    seed_everything(0)
    normalised = row_lstm_classifier("binary", hidden_size=48)
    train(normalised, train_data, epochs=10, lr=1e-2, seed=0)
    assert accuracy(normalised, test_data) >= accuracy(plain, test_data) + 0.08


# --- k-bit quantisation-aware training --------------------------------------------------------


def test_dorefa_w2a4_fine_tune_stays_within_two_points(trained_cnn, digits_loaders):
    train_data, test_data = digits_loaders
    model = dorefa(trained_cnn.model(), weight_bits=2, activation_bits=4)
    fine_tune(model, train_data, epochs=4, lr=5e-3, seed=0)
    assert all(count_levels(w) <= 4 for w in quantized_weights(model).values())
    assert all(n <= 16 for n in input_levels(model, next(iter(test_data))[0]).values())
    assert accuracy(model, test_data) >= trained_cnn.accuracy - 0.02


def test_relaxed_quantization_w4a4_fine_tune(trained_cnn, digits_loaders):
    train_data, test_data = digits_loaders
    model = relaxed_quantization(trained_cnn.model(), weight_bits=4, activation_bits=4)
    fine_tune(model, train_data, epochs=3, lr=2e-3, seed=0)
    recalibrate_batchnorm(model, train_data)
    assert all(count_levels(w) <= 16 for w in quantized_weights(model).values())
    assert all(n <= 16 for n in input_levels(model, next(iter(test_data))[0]).values())
    assert accuracy(model, test_data) >= trained_cnn.accuracy - 0.02


# --- mixed precision (HAQ) --------------------------------------------------------------------


def test_haq_respects_size_budgets_and_spends_them_where_it_matters(trained_cnn, digits_loaders):
    train_data, test_data = digits_loaders
    model = trained_cnn.model()
    layers = quantizable_layers(model)
    uniform = {b: sum(weight_bytes(n, m, b) for n, m in layers) for b in (2, 3, 4, 8)}
    seed_everything(0)
    policies = {b: haq_search(model, train_data, budget=uniform[b]) for b in (2, 3, 4, 8)}
    for b, policy in policies.items():
        assert policy.cost <= policy.budget == uniform[b]
        assert policy.cost == sum(weight_bytes(n, m, policy.bits[n]) for n, m in layers)
    assert set(policies[2].bits.values()) == {2}  # the cheapest budget leaves no choice
    assert set(policies[8].bits.values()) == {8}
    assert len(set(policies[3].bits.values())) > 1  # a real mix in between
    assert policies[3].cost < policies[4].cost

    mixed = apply_bit_policy(model, policies[3])
    for name, w in quantized_weights(mixed).items():
        assert count_levels(w) <= 2 ** policies[3].bits[name]
    same_size = apply_bit_policy(model, BitPolicy({n: 3 for n, _ in layers}, uniform[3], 0))
    # Sensitivity-guided allocation beats (or ties) uniform 3 bits at the same size, before any
    # fine-tuning — the premise of mixed precision.
    assert accuracy(mixed, test_data) >= accuracy(same_size, test_data) - 0.01
    fine_tune(mixed, train_data, epochs=2, lr=2e-3, seed=0)
    assert accuracy(mixed, test_data) >= trained_cnn.accuracy - 0.02


def test_haq_latency_table_budget_and_unreachable_budget(trained_cnn, digits_loaders):
    train_data, _ = digits_loaders
    model = trained_cnn.model()
    # A made-up per-layer latency table (ms) where bits are dearer in the first convolution.
    table = {
        name: {b: (3.0 if i == 0 else 1.0) * b / 8 for b in range(2, 9)}
        for i, (name, _) in enumerate(quantizable_layers(model))
    }

    def latency(name: str, _layer: nn.Module, bits: int) -> float:
        return table[name][bits]

    policy = haq_search(model, train_data, budget=2.5, cost=latency, max_batches=1)
    assert policy.cost <= 2.5
    assert policy.cost == pytest.approx(sum(table[n][b] for n, b in policy.bits.items()))
    with pytest.raises(ValueError, match="budget"):
        haq_search(model, train_data, budget=0.1, cost=latency, max_batches=1)


# --- post-training int8 on integer kernels ----------------------------------------------------


@pytest.fixture(scope="module")
def cnn32() -> tuple[nn.Module, tuple]:
    """Digits CNN width 32 (93 k parameters), trained 6 epochs, with its own loaders."""
    data = loaders(load_digits(seed=0), batch_size=64)
    seed_everything(0)
    model = digits_cnn(width=32)
    train(model, data[0], epochs=6, lr=1e-2, seed=0)
    return model, data


def test_int8_model_is_really_int8_smaller_and_as_accurate(cnn32):
    model, (train_data, test_data) = cnn32
    int8 = quantize_int8(model, train_data, max_batches=4)
    quantized = [m for m in int8.modules() if hasattr(m, "weight") and callable(m.weight)]
    assert len(quantized) == 4  # every conv (BN and ReLU fused in) and the classifier
    assert all(m.weight().dtype == torch.qint8 for m in quantized)
    assert serialized_size(int8) < 0.30 * serialized_size(model)
    float_acc, int8_acc = accuracy(model, test_data), accuracy(int8, test_data)
    assert int8_acc >= float_acc - 0.015
    x = next(iter(test_data))[0]
    with torch.no_grad():
        agree = (int8(x).argmax(1) == model.eval()(x).argmax(1)).float().mean()
    assert agree >= 0.97


def test_int8_handles_residual_networks():
    from zoo.nets import resnet20

    seed_everything(0)
    model = resnet20(in_channels=1).eval()
    calibration = [torch.rand(8, 1, 32, 32) for _ in range(2)]
    int8 = quantize_int8(model, calibration)
    x = torch.rand(4, 1, 32, 32)
    with torch.no_grad():
        assert int8(x).shape == model(x).shape
    assert serialized_size(int8) < 0.35 * serialized_size(model)
