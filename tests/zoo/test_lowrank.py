"""Low-rank decomposition: Eckart–Young, error falls with rank, exact at full rank, formulas."""

from __future__ import annotations

import warnings
from itertools import pairwise
from unittest import mock

import pytest
import torch
from torch import nn

import zoo
from zoo.lowrank import (
    DEFAULT_ENERGY,
    Factorized,
    RankWarning,
    cp_als,
    cp_conv,
    decompose,
    select_rank,
    svd_linear,
    svd_pointwise_conv,
    tucker2,
    tucker2_conv,
    vbmf_rank,
)
from zoo.lowrank.cp import cp_reconstruct
from zoo.lowrank.gram import gram_svd, singular_values
from zoo.lowrank.tucker import reconstruct
from zoo.metrics import count_flops, count_parameters
from zoo.nets import digits_cnn, resnet20
from zoo.training import evaluate, fine_tune, train


@pytest.fixture(scope="module")
def trained(digits_loaders) -> nn.Module:
    torch.manual_seed(0)
    model = digits_cnn(width=16)
    train(model, digits_loaders[0], epochs=8, lr=1e-2, seed=0)
    return model


def product(factorized: Factorized) -> torch.Tensor:
    """The matrix a two-layer SVD factorisation computes, in float64."""
    first, second = (m.weight.detach().flatten(1).double() for m in factorized)
    return second @ first


# --- Truncated SVD (Denton et al.) ----------------------------------------------------------


@pytest.mark.parametrize("rank", [1, 5, 17, 31])
def test_truncated_svd_error_is_the_eckart_young_optimum(rank):
    torch.manual_seed(rank)
    layer = nn.Linear(48, 32)
    w = layer.weight.detach().double()
    s = torch.linalg.svdvals(w)
    error = w - product(svd_linear(layer, rank))
    torch.testing.assert_close(torch.linalg.matrix_norm(error) ** 2, (s[rank:] ** 2).sum(),
                               rtol=1e-5, atol=1e-9)
    torch.testing.assert_close(torch.linalg.matrix_norm(error, ord=2), s[rank], rtol=1e-5,
                               atol=1e-9)
    # any other rank-r approximation is worse, e.g. projecting W on a random r-dim subspace
    q, _ = torch.linalg.qr(torch.randn(48, rank, dtype=torch.float64))
    assert torch.linalg.matrix_norm(w - w @ q @ q.T) > torch.linalg.matrix_norm(error)


def test_svd_error_falls_strictly_as_rank_rises():
    torch.manual_seed(0)
    layer = nn.Linear(40, 24)
    w = layer.weight.detach().double()
    errors = [float(torch.linalg.matrix_norm(w - product(svd_linear(layer, r))))
              for r in range(1, 25)]
    assert all(a > b for a, b in pairwise(errors))
    assert errors[-1] < 1e-5


def test_svd_parameters_and_full_rank_outputs():
    torch.manual_seed(0)
    layer = nn.Linear(64, 32)
    assert count_parameters(svd_linear(layer, 8)) == 8 * (64 + 32) + 32
    x = torch.randn(5, 64)
    torch.testing.assert_close(svd_linear(layer, 32)(x), layer(x), atol=1e-5, rtol=1e-5)
    conv = nn.Conv2d(16, 24, 1, stride=2, padding=1)
    x = torch.randn(2, 16, 7, 7)
    torch.testing.assert_close(svd_pointwise_conv(conv, 16)(x), conv(x), atol=1e-5, rtol=1e-5)


# --- Tucker-2 (Kim et al.) ------------------------------------------------------------------


def test_tucker2_layers_parameters_and_flops_follow_the_formula():
    t, s, k, r_out, r_in = 32, 16, 3, 12, 6
    conv = nn.Conv2d(s, t, k, padding=1)
    small = tucker2_conv(conv, (r_out, r_in))
    assert count_parameters(small) == s * r_in + r_in * r_out * k * k + r_out * t + t
    x = torch.randn(1, s, 8, 8)
    assert count_flops(small, x) == 2 * 64 * (s * r_in + r_in * r_out * k * k + r_out * t)
    assert count_flops(conv, x) == 2 * 64 * t * s * k * k


@pytest.mark.parametrize(("stride", "padding", "dilation"), [(1, 1, 1), (2, 0, 1), (1, 2, 2)])
def test_tucker2_at_full_rank_reproduces_the_convolution(stride, padding, dilation):
    torch.manual_seed(0)
    conv = nn.Conv2d(8, 12, 3, stride, padding, dilation)
    x = torch.randn(2, 8, 11, 11)
    torch.testing.assert_close(tucker2_conv(conv, (12, 8))(x), conv(x), atol=1e-5, rtol=1e-5)


def test_tucker2_error_falls_as_rank_rises_and_hooi_beats_hosvd():
    torch.manual_seed(0)
    weight = torch.randn(32, 16, 3, 3)
    errors = []
    for r in (2, 4, 8, 12, 16):
        core, u_out, u_in = tucker2(weight, (2 * r, r))
        errors.append(float(torch.linalg.vector_norm(reconstruct(core, u_out, u_in) - weight)))
        hosvd = reconstruct(*tucker2(weight, (2 * r, r), sweeps=0))
        assert errors[-1] <= float(torch.linalg.vector_norm(hosvd - weight)) + 1e-9
    assert all(a > b for a, b in pairwise(errors))
    assert errors[-1] < 1e-9


# --- CP (Lebedev et al.) --------------------------------------------------------------------


def test_cp_recovers_a_planted_rank_and_error_falls_with_rank():
    torch.manual_seed(0)
    weight = cp_reconstruct([torch.randn(d, 6, dtype=torch.float64) for d in (16, 8, 3, 3)])
    errors = [float(torch.linalg.vector_norm(cp_reconstruct(cp_als(weight, r)) - weight)
                    / torch.linalg.vector_norm(weight)) for r in (1, 2, 4, 6)]
    assert all(a > b for a, b in pairwise(errors))
    assert errors[-1] < 1e-3


def test_cp_conv_parameters_and_outputs():
    torch.manual_seed(0)
    conv = nn.Conv2d(8, 16, 3, stride=2, padding=1)
    with torch.no_grad():
        conv.weight.copy_(cp_reconstruct([torch.randn(d, 5) for d in (16, 8, 3, 3)]))
    small = cp_conv(conv, 5)
    assert count_parameters(small) == 5 * (8 + 3 + 3 + 16) + 16
    x = torch.randn(2, 8, 9, 9)
    torch.testing.assert_close(small(x), conv(x), atol=1e-3, rtol=1e-3)


# --- Rank rules -----------------------------------------------------------------------------


def test_rank_rules():
    s = torch.tensor([4.0, 3.0, 2.0, 1.0])  # squares 16, 9, 4, 1 of 30
    assert select_rank(s, energy=16 / 30) == 1
    assert select_rank(s, energy=0.54) == 2  # 16/30 = 0.533 is not enough
    assert select_rank(s, energy=1.0) == 4
    assert select_rank(s, rank_ratio=0.5) == 2
    assert select_rank(s, rank_ratio=0.3) == 2  # ⌈1.2⌉
    assert select_rank(s, rank_ratio=1e-6) == 1
    with pytest.raises(ValueError, match="not both"):
        select_rank(s, rank_ratio=0.5, energy=0.5)
    with pytest.raises(ValueError, match="rank_ratio"):
        select_rank(s, rank_ratio=1.5)


@pytest.mark.parametrize(("rank", "shape", "noise"),
                         [(2, (30, 50), 0.1), (5, (64, 100), 0.5), (10, (100, 60), 0.2)])
def test_vbmf_finds_the_planted_rank(rank, shape, noise):
    generator = torch.Generator().manual_seed(rank)
    signal = torch.randn(shape[0], rank, generator=generator) @ torch.randn(
        rank, shape[1], generator=generator)
    assert vbmf_rank(signal + noise * torch.randn(*shape, generator=generator)) == rank


def test_vbmf_sees_pure_noise_as_rank_one():
    assert vbmf_rank(torch.randn(40, 80, generator=torch.Generator().manual_seed(0))) == 1


# --- decompose() ----------------------------------------------------------------------------


def test_decompose_at_full_rank_reproduces_a_resnet():
    torch.manual_seed(0)
    model = resnet20(num_classes=10, in_channels=1, width=8).eval()
    full = decompose(model, rank_ratio=1.0, only_smaller=False)
    kinds = {m.method for m in full.modules() if isinstance(m, Factorized)}
    assert kinds == {"svd", "tucker2"}  # 1×1 shortcuts and the head by SVD, 3×3 by Tucker-2
    x = torch.randn(2, 1, 32, 32)
    torch.testing.assert_close(full(x), model(x), atol=1e-4, rtol=1e-4)


def test_decompose_leaves_the_original_and_honours_ignored_layers(trained):
    before = {k: v.clone() for k, v in trained.state_dict().items()}
    small = zoo.decompose(trained, rank_ratio=0.5, ignored_layers=["classifier",
                                                                   trained.features[1][0]])
    assert all(torch.equal(before[k], v) for k, v in trained.state_dict().items())
    assert type(small.classifier) is nn.Linear
    assert type(small.features[1][0]) is nn.Conv2d
    assert isinstance(small.features[3][0], Factorized)
    again = decompose(small, rank_ratio=0.5)  # factors are not factorised again
    assert all(not isinstance(m, Factorized) for f in again.modules()
               if isinstance(f, Factorized) for m in f)


def test_decompose_skips_layers_that_would_grow():
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    assert all(type(m) is nn.Linear for m in decompose(model, rank_ratio=1.0))


def test_decompose_rejects_two_rules(trained):
    with pytest.raises(ValueError, match="not both"):
        decompose(trained, rank_ratio=0.5, energy=0.9)
    with pytest.raises(ValueError, match="not a module"):
        decompose(trained, rank_ratio=0.5, ignored_layers=["nope"])


def test_network_output_error_falls_as_rank_rises(trained, digits):
    x = digits.x_test
    with torch.no_grad():
        reference = trained(x)
        errors = [
            float(torch.linalg.vector_norm(
                decompose(trained, rank_ratio=r, only_smaller=False)(x) - reference))
            for r in (0.25, 0.5, 0.75, 1.0)
        ]
    assert all(a > b for a, b in pairwise(errors)), errors
    assert errors[-1] < 1e-3 * float(torch.linalg.vector_norm(reference))


def test_vbmf_rule_runs_on_a_network(trained):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RankWarning)  # VBMF cuts this small net's layers hard
        small = decompose(trained, vbmf=True, ignored_layers=["classifier"])
    ranks = [m.ranks for m in small.modules() if isinstance(m, Factorized)]
    assert ranks and count_parameters(small) < count_parameters(trained)


def test_default_rank_rule_is_energy_and_gutting_rules_warn():
    """Issue 14 item 15: with no rule, ``decompose`` keeps 90 % of each layer's energy (not
    VBMF), and any rule that removes more than 90 % of a layer's or the model's parameters
    says so with a RankWarning naming the layer."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 10))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RankWarning)
        default = decompose(model)
    energy = decompose(model, energy=DEFAULT_ENERGY)
    assert [m.ranks for m in default.modules() if isinstance(m, Factorized)] == [
        m.ranks for m in energy.modules() if isinstance(m, Factorized)]
    assert count_parameters(default) > 0.5 * count_parameters(model)
    with pytest.warns(RankWarning) as caught:
        vbmf = decompose(model, vbmf=True)  # a random init is pure noise to VBMF: rank 1
    assert count_parameters(vbmf) < 0.1 * count_parameters(model)
    messages = [str(w.message) for w in caught]
    assert any("layer '0'" in m for m in messages), messages
    assert any("the model" in m for m in messages), messages
    with pytest.raises(ValueError, match="not both"):
        decompose(model, energy=0.9, vbmf=True)


def test_gram_route_matches_the_full_svd():
    """Issue 14 item 15: singular values and leading vectors from the smaller Gram matrix
    equal the full SVD's, for wide and tall matrices, and Tucker-2 uses them (no full SVD)."""
    generator = torch.Generator().manual_seed(0)
    for shape in ((12, 90), (90, 12)):
        m = torch.randn(*shape, generator=generator, dtype=torch.float64)
        u, s, _ = torch.linalg.svd(m, full_matrices=False)
        s_gram, u_gram = gram_svd(m)
        torch.testing.assert_close(s_gram, s)
        torch.testing.assert_close(singular_values(m), s)
        for k in range(5):  # singular vectors agree up to sign
            assert abs(float(u[:, k] @ u_gram[:, k])) == pytest.approx(1.0, abs=1e-9)
    kernel = torch.randn(16, 8, 3, 3, generator=generator)
    with mock.patch.object(torch.linalg, "svd", wraps=torch.linalg.svd) as full_svd:
        core, u_out, u_in = tucker2(kernel, (16, 8))
    assert full_svd.call_count == 0
    torch.testing.assert_close(reconstruct(core, u_out, u_in).float(), kernel, atol=1e-5, rtol=0)


@pytest.mark.slow
def test_decomposed_and_fine_tuned_digits_net_keeps_its_accuracy(trained, digits_loaders):
    x = torch.zeros(1, 1, 8, 8)
    small = decompose(trained, rank_ratio=0.5, ignored_layers=["classifier"])
    assert count_flops(small, x) < 0.5 * count_flops(trained, x)
    fine_tune(small, digits_loaders[0], epochs=3, seed=0)
    assert evaluate(small, digits_loaders[1]).accuracy >= 0.93
