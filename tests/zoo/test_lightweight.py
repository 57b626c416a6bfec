"""Lightweight drop-in modules: the papers' parameter and FLOP formulas, exactly; nets train.

FLOPs are ``torch.utils.flop_counter`` FLOPs (two per multiply-add) via ``zoo.metrics``.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from zoo.lightweight import (
    GhostDigitsNet,
    GhostModule,
    HetConv,
    LegoConv2d,
    SparseShiftConv,
    freeze_lego,
    shift_penalty,
    shift_sparsity,
    swap_convs,
)
from zoo.lightweight.sparse_shift import bilinear_shift, integer_shift
from zoo.metrics import count_flops, count_parameters
from zoo.nets import digits_cnn
from zoo.training import evaluate, train


def conv_weights(module: nn.Module) -> int:
    return sum(m.weight.numel() for m in module.modules() if isinstance(m, nn.Conv2d))


# --- Ghost module ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("c", "n", "k", "stride", "s", "d"),
    [(16, 32, 3, 1, 2, 3), (8, 30, 3, 2, 3, 3), (12, 24, 1, 1, 4, 5), (3, 10, 5, 1, 2, 3)],
)
def test_ghost_weights_and_flops_follow_the_paper(c, n, k, stride, s, d):
    ghost = GhostModule(c, n, k, stride=stride, padding=k // 2, ratio=s, dw_size=d)
    m = math.ceil(n / s)  # intrinsic maps
    assert conv_weights(ghost) == m * c * k * k + m * (s - 1) * d * d
    assert count_parameters(ghost) == m * c * k * k + m * (s - 1) * d * d + 2 * m * s  # + 2 BNs
    x = torch.randn(2, c, 9, 9)
    out_hw = math.prod(nn.Conv2d(c, n, k, stride, k // 2)(x).shape[-2:])
    assert ghost(x).shape == (2, n, *nn.Conv2d(c, n, k, stride, k // 2)(x).shape[-2:])
    macs = out_hw * (m * c * k * k + m * (s - 1) * d * d)  # cheap ops run at output resolution
    assert count_flops(ghost, x) == 2 * 2 * macs


def test_ghost_compression_ratio_approaches_s():
    # r_c = n·c·k² / (m·c·k² + m(s-1)·d²) → s when c·k² ≫ (s-1)·d²
    c, n, k, s, d = 256, 256, 3, 2, 3
    ratio = n * c * k * k / conv_weights(GhostModule(c, n, k, ratio=s, dw_size=d))
    assert s * 0.99 < ratio < s


def test_ghost_rejects_ratio_one():
    with pytest.raises(ValueError, match="ratio"):
        GhostModule(4, 8, 3, ratio=1)


# --- HetConv --------------------------------------------------------------------------------


@pytest.mark.parametrize(("m", "n", "k", "p", "stride", "pad"),
                         [(16, 32, 3, 4, 1, 1), (8, 12, 3, 2, 2, 0), (32, 16, 5, 8, 1, 2)])
def test_hetconv_is_the_papers_heterogeneous_filter(m, n, k, p, stride, pad):
    het = HetConv(m, n, k, stride=stride, padding=pad, part=p)
    weight = het.dense_weight()
    spatial = (weight.abs().sum(dim=(2, 3)) > 0) & (weight[..., : k // 2, :].abs().sum((2, 3)) > 0)
    assert (spatial.sum(dim=1) == m // p).all()  # each filter: M/P full K×K kernels
    center_only = weight.clone()
    center_only[..., k // 2, k // 2] = 0
    assert ((center_only.abs().sum((2, 3)) > 0).sum(dim=1) == m // p).all()  # the rest: 1×1
    x = torch.randn(2, m, 11, 11)
    reference = F.conv2d(x, weight, het.spatial.bias, stride=stride, padding=pad)
    torch.testing.assert_close(het(x), reference, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("m", "n", "k", "p"), [(16, 32, 3, 4), (64, 64, 3, 2), (32, 8, 5, 8)])
def test_hetconv_flop_ratio_is_one_over_p_plus_rest_over_k_squared(m, n, k, p):
    het = HetConv(m, n, k, padding=k // 2, bias=False, part=p)
    conv = nn.Conv2d(m, n, k, padding=k // 2, bias=False)
    assert count_parameters(het) == n * (m // p * k * k + m - m // p)
    x = torch.randn(1, m, 8, 8)
    ratio = count_flops(het, x) / count_flops(conv, x)
    assert ratio == pytest.approx(1 / p + (1 - 1 / p) / k**2, rel=1e-12)


def test_hetconv_rejects_indivisible_part():
    with pytest.raises(ValueError, match="part"):
        HetConv(6, 8, 3, part=4)


# --- Sparse shift ---------------------------------------------------------------------------


def test_integer_shift_moves_channels_and_fills_zeros():
    x = torch.arange(16.0).view(1, 1, 4, 4).repeat(1, 3, 1, 1)
    out = integer_shift(x, torch.tensor([[0, 0], [1, 0], [0, -2]]))
    torch.testing.assert_close(out[0, 0], x[0, 0])  # unshifted channel untouched
    torch.testing.assert_close(out[0, 1, :3], x[0, 1, 1:])  # out[i] = x[i + 1]
    assert (out[0, 1, 3] == 0).all()
    torch.testing.assert_close(out[0, 2, :, 2:], x[0, 2, :, :2])  # out[:, j] = x[:, j - 2]
    assert (out[0, 2, :, :2] == 0).all()


def test_bilinear_shift_equals_integer_shift_at_integers_and_interpolates_between():
    x = torch.randn(2, 4, 6, 7)
    shifts = torch.tensor([[0.0, 0.0], [1.0, -1.0], [-2.0, 0.0], [0.0, 3.0]])
    torch.testing.assert_close(bilinear_shift(x, shifts), integer_shift(x, shifts), atol=1e-5,
                               rtol=0)
    half = bilinear_shift(x, torch.tensor([[0.5, 0.0]] * 4))
    torch.testing.assert_close(half[:, :, :5], (x[:, :, :5] + x[:, :, 1:]) / 2)


def test_quantization_aware_shift_uses_integer_values_with_real_gradients():
    layer = SparseShiftConv(4, 6, 3, padding=1, bias=False)
    with torch.no_grad():
        layer.shift.displacement.copy_(torch.tensor([[0.3, 0.0], [0.7, -1.2], [0, 0], [-0.6, 2]]))
    x = torch.randn(2, 4, 8, 8)
    layer.train()
    out = layer(x)
    expected = F.conv2d(integer_shift(x, torch.tensor([[0, 0], [1, -1], [0, 0], [-1, 2]])),
                        layer.pointwise.weight)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    out.square().sum().backward()
    assert layer.shift.displacement.grad is not None
    assert layer.shift.displacement.grad.abs().sum() > 0


@pytest.mark.parametrize(("m", "n", "k", "stride"), [(16, 32, 3, 1), (8, 8, 5, 2)])
def test_shift_conv_costs_one_over_k_squared_of_the_conv(m, n, k, stride):
    layer = SparseShiftConv(m, n, k, stride=stride, padding=k // 2, bias=False)
    conv = nn.Conv2d(m, n, k, stride, k // 2, bias=False)
    x = torch.randn(1, m, 8, 8)
    assert layer(x).shape == conv(x).shape
    assert count_flops(layer, x) * k * k == count_flops(conv, x)  # the shift itself: 0 FLOPs
    assert count_parameters(layer) == n * m + 2 * m  # 1×1 weights + one displacement pair each


# --- LegoNet --------------------------------------------------------------------------------


@pytest.mark.parametrize(("c", "n", "k", "o", "m"), [(16, 32, 3, 2, 8), (12, 12, 3, 3, 4)])
def test_lego_weights_and_flops_follow_the_paper(c, n, k, o, m):
    lego = LegoConv2d(c, n, k, padding=1, bias=False, n_split=o, n_lego=m)
    x = torch.randn(2, c, 8, 8)
    lego.train()
    dense_path = lego(x)
    lego.eval()
    torch.testing.assert_close(lego(x), dense_path, atol=1e-5, rtol=1e-5)  # same function
    lego.freeze()
    assert count_parameters(lego) == m * (c // o) * k * k + n * o
    # m·c·k² multiply-adds for the Lego convolutions, n·o for the gathered weighted sums
    assert count_flops(lego, x) == 2 * 2 * 64 * (m * c * k * k + n * o)


def test_lego_selection_learns_through_the_straight_through_estimator():
    lego = LegoConv2d(8, 8, 3, padding=1, n_split=2, n_lego=4)
    lego.train()
    lego(torch.randn(2, 8, 6, 6)).square().sum().backward()
    assert lego.scores is not None and lego.scores.grad is not None
    assert lego.scores.grad.abs().sum() > 0


# --- Swap helper ----------------------------------------------------------------------------


def test_swap_report_matches_the_per_layer_formulas():
    model = digits_cnn(width=16)
    x = torch.zeros(1, 1, 8, 8)
    convs = [(m.in_channels, m.out_channels) for m in model.modules() if isinstance(m, nn.Conv2d)]
    report = swap_convs(model, GhostModule, example_inputs=x, ratio=2, dw_size=3)
    assert report.replaced == ("features.0.0", "features.1.0", "features.3.0")
    saved = sum(n * c * 9 - (n // 2 * c * 9 + n // 2 * 9 + 4 * (n // 2)) for c, n in convs)
    assert report.params_before - report.params_after == saved
    resolutions = [64, 64, 16]  # 8×8, 8×8, then 4×4 after the max-pool
    saved_macs = sum(hw * (n * c * 9 - (n // 2 * c * 9 + n // 2 * 9))
                     for (c, n), hw in zip(convs, resolutions, strict=True))
    assert report.flops_before - report.flops_after == 2 * saved_macs
    assert isinstance(model.features[0][0], GhostModule)


def test_swap_names_the_layer_a_module_rejects():
    with pytest.raises(ValueError, match=r"features\.0\.0"):
        swap_convs(digits_cnn(width=8), HetConv, example_inputs=torch.zeros(1, 1, 8, 8), part=4)


# --- Nets built from the modules train on digits ----------------------------------------------


def _fit(model: nn.Module, digits_loaders: tuple, **kwargs) -> float:
    train_data, test_data = digits_loaders
    train(model, train_data, epochs=kwargs.pop("epochs", 12), lr=1e-2, seed=0, **kwargs)
    return evaluate(model, test_data).accuracy


def _no_stem(name: str, conv: nn.Conv2d) -> bool:
    return conv.in_channels > 1 and conv.in_channels % 4 == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("light", "options", "floor"),
    [(GhostModule, {"ratio": 2}, 0.93), (HetConv, {"part": 4}, 0.93),
     (LegoConv2d, {"n_split": 2, "n_lego": 0.5}, 0.90)],
)
def test_swapped_digits_cnn_trains_to_a_floor(digits_loaders, light, options, floor):
    torch.manual_seed(0)
    model = digits_cnn(width=16)
    report = swap_convs(model, light, example_inputs=torch.zeros(1, 1, 8, 8), match=_no_stem,
                        **options)
    assert report.flops_after < 0.6 * report.flops_before
    accuracy = _fit(model, digits_loaders)
    freeze_lego(model)
    assert accuracy >= floor, f"{light.__name__}: {accuracy:.3f} < {floor} ({report})"
    assert evaluate(model, digits_loaders[1]).accuracy == pytest.approx(accuracy)  # frozen


@pytest.mark.slow
def test_shift_penalty_makes_shifts_sparse_without_losing_accuracy(digits_loaders):
    results = {}
    for penalty in (0.0, 1e-2):
        torch.manual_seed(0)
        model = digits_cnn(width=16)
        swap_convs(model, SparseShiftConv, example_inputs=torch.zeros(1, 1, 8, 8), match=_no_stem)

        def penalise(m: nn.Module, w: float = penalty) -> torch.Tensor:
            return w * shift_penalty(m)

        accuracy = _fit(model, digits_loaders, regularizer=penalise)
        results[penalty] = (accuracy, shift_sparsity(model))
    (plain_acc, plain_sparsity), (sparse_acc, sparse_sparsity) = results[0.0], results[1e-2]
    assert sparse_sparsity >= plain_sparsity + 0.3, results  # "a few shifts": most are (0, 0)
    assert min(plain_acc, sparse_acc) >= 0.90, results


@pytest.mark.slow
def test_ghost_bottleneck_net_trains_to_a_floor(digits_loaders):
    torch.manual_seed(0)
    model = GhostDigitsNet(width=8)
    assert _fit(model, digits_loaders, epochs=10) >= 0.90
