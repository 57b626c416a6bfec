"""Pruning: what each paper claims, with floors; the surgery on architectures users bring.

Structured methods at ``pruning_ratio=0.5`` must cut FLOPs by at least 40 % and, after a short
fine-tune, stay within 2 points of the baseline; masked output must equal pruned output; our
FPGM / L1 / Taylor scores must match Torch-Pruning's importance classes where definitions match.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools

import pytest
import torch
import torch.nn.functional as F
import torch_pruning as tp
from torch import nn

import zoo
from zoo.metrics import accuracy, count_flops, count_parameters
from zoo.nas.proxylessnas import MBConv
from zoo.nets import resnet20, resnet56
from zoo.pruning.dependency import (
    ROOT_TYPES,
    Cut,
    build_graph,
    is_coupled,
    mask_channels,
    members,
    output_layers,
    remove_channels,
)
from zoo.pruning.fpgm import FPGMImportance
from zoo.pruning.gate_decorator import Gates, tick, tock
from zoo.pruning.importance import gradient_passes, root_size
from zoo.pruning.l1_norm import L1NormImportance
from zoo.pruning.masks import apply_masks, make_permanent, prunable_weights, sparsity
from zoo.pruning.pruner import channel_pruner, plan
from zoo.pruning.snip import connection_sensitivity
from zoo.pruning.taylor import TaylorImportance
from zoo.training import fine_tune, seed_everything, train

STRUCTURED = ["fpgm", "l1-norm", "taylor", "gate-decorator"]
X = torch.zeros(1, 1, 8, 8)  # example input: one 8×8 digit


# --- architectures a user might bring ---------------------------------------------------------


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(channels, channels // reduction, 1)
        self.expand = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.expand(torch.relu(self.reduce(x.mean((2, 3), keepdim=True)))))
        return x * gate  # couples x's channels with the expand conv's outputs


class UserNet(nn.Module):
    """Conv–BN–ReLU stem; depthwise-separable block with squeeze-excite; residual block of grouped
    1×1 convolutions; two concatenated branches; a two-layer Linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()
        )
        self.depthwise = nn.Sequential(
            nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False), nn.BatchNorm2d(16), nn.ReLU6()
        )
        self.se = SqueezeExcite(16)
        self.pointwise = nn.Sequential(
            nn.Conv2d(16, 32, 1, bias=False), nn.BatchNorm2d(32), nn.Hardswish()
        )
        self.grouped = nn.Sequential(
            nn.Conv2d(32, 32, 1, groups=4, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.Conv2d(32, 32, 1, groups=4, bias=False),
            nn.BatchNorm2d(32),
        )
        self.branch3 = nn.Conv2d(32, 16, 3, padding=1)
        self.branch1 = nn.Conv2d(32, 16, 1)
        self.merge = nn.BatchNorm2d(32)
        self.head = nn.Sequential(nn.Linear(32, 24), nn.ReLU(), nn.Linear(24, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pointwise(self.se(self.depthwise(self.stem(x))))
        x = torch.relu(x + self.grouped(x))  # residual addition
        x = torch.relu(self.merge(torch.cat([self.branch3(x), self.branch1(x)], dim=1)))
        return self.head(x.mean((2, 3)))


def user_net() -> nn.Module:
    return UserNet()


def small_resnet() -> nn.Module:
    return resnet20(num_classes=10, in_channels=1, width=8)


ARCHITECTURES = {"user_net": user_net, "resnet20": small_resnet}


def randomize_batchnorm(model: nn.Module, seed: int = 0) -> nn.Module:
    """Non-trivial BN statistics and affine parameters, so that a forgotten BN bias shows."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.rand(m.num_features, generator=gen) * 2 - 1)
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(m.num_features, generator=gen) * 2 - 1)
    return model.eval()


@pytest.fixture(scope="module")
def few_batches(digits_loaders) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Four training batches, for the gradient-based criteria."""
    torch.manual_seed(0)
    return list(itertools.islice(iter(digits_loaders[0]), 4))


# --- the papers' claims on the trained digits CNN -----------------------------------------------


@pytest.mark.parametrize("method", STRUCTURED)
def test_half_the_channels_cut_flops_and_fine_tune_recovers(
    method, trained_cnn, digits_loaders
) -> None:
    train_data, test_data = digits_loaders
    model = trained_cnn.model()
    before = copy.deepcopy(model.state_dict())
    seed_everything(0)  # the gradient-based scores read shuffled batches
    pruned = zoo.prune(model, X, method=method, pruning_ratio=0.5, data=train_data)

    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())  # a copy
    assert pruned(torch.zeros(5, 1, 8, 8)).shape == (5, 10)  # same inputs, same outputs
    assert count_flops(pruned, X) <= 0.6 * count_flops(model, X)
    assert count_parameters(pruned) < 0.6 * count_parameters(model)
    fine_tune(pruned, train_data, epochs=5, seed=0)
    assert accuracy(pruned, test_data) >= trained_cnn.accuracy - 0.02


def test_fpgm_removes_the_redundant_filter_l1_removes_the_weak_one() -> None:
    """FPGM's point: a filter at the geometric median is replaceable even with a large norm."""
    center = torch.tensor([3.0, 3.0, 0.0, 0.0])
    unit = torch.eye(4)
    filters = torch.stack(
        [
            center + unit[0],
            center - unit[0],
            center + unit[1],
            center - unit[1],  # a cluster
            center,  # its geometric median: redundant, but not small
            0.5 * unit[2],
        ]  # small but unlike any other
    )
    model = nn.Sequential(nn.Conv2d(1, 6, 2, bias=False), nn.ReLU(), nn.Conv2d(6, 2, 1))
    with torch.no_grad():
        model[0].weight.copy_(filters.view(6, 1, 2, 2))
    x = torch.zeros(1, 1, 4, 4)

    def removed(method: str) -> int:
        kept = zoo.prune(model, x, method=method, pruning_ratio=0.1)[0].weight.view(-1, 4)
        (gone,) = [i for i in range(6) if not any(torch.equal(filters[i], k) for k in kept)]
        return gone

    assert removed("fpgm") == 4  # the median
    assert removed("l1-norm") == 5  # the smallest norm


def test_taylor_scores_rank_channels_like_their_true_loss_change(trained_cnn, few_batches) -> None:
    """The paper's check: Spearman correlation with the oracle (loss change when removed)."""
    model = trained_cnn.model().eval()
    graph = build_graph(model, X)
    groups = list(
        graph.get_all_groups(ignored_layers=output_layers(graph), root_module_types=ROOT_TYPES)
    )
    scores = {}
    for criterion in ("bn", "weight"):
        importance = TaylorImportance(criterion)
        for _ in gradient_passes(model, few_batches):
            importance.accumulate(model)
        scores[criterion] = torch.cat([importance(g) for g in groups])

    def losses() -> torch.Tensor:
        with torch.no_grad():
            return torch.stack([F.cross_entropy(model(x), y) for x, y in few_batches])

    reference, oracle = losses(), []
    for group in groups:
        (bn,) = [m.module for m in members(group, roles=("norm",))]
        for c in range(bn.num_features):
            saved = bn.weight.data[c].clone(), bn.bias.data[c].clone()
            bn.weight.data[c] = bn.bias.data[c] = 0.0  # the channel's output is now zero
            oracle.append(((losses() - reference) ** 2).mean())
            bn.weight.data[c], bn.bias.data[c] = saved
    oracle = torch.stack(oracle)

    def spearman(a: torch.Tensor, b: torch.Tensor) -> float:
        ranks = torch.stack([a.argsort().argsort(), b.argsort().argsort()]).float()
        return float(torch.corrcoef(ranks)[0, 1])

    assert len(oracle) == 16 + 32 + 64
    assert spearman(scores["bn"], oracle) >= 0.85  # measured 0.97 across all three layers
    assert spearman(scores["weight"], oracle) >= 0.6  # measured 0.82


def test_gate_decorator_moves_gamma_into_the_gate_tock_sparsifies_tick_freezes_convs(
    few_batches,
) -> None:
    """Issue 14 item 13: φ starts at γ (γ → 1, β → β/γ), the L1 penalty acts in the Tock (the
    whole net trains), the Tick freezes the convolutions only and adds no penalty, and folding
    the gates back leaves the function unchanged."""
    model = randomize_batchnorm(user_net())
    x = few_batches[0][0]
    plain = model(x)
    gammas = {m: m.weight.detach().clone() for m in model.modules()
              if isinstance(m, nn.BatchNorm2d)}
    pruner = channel_pruner(model, X, lambda group: None, pruning_ratio=0.5, global_ranking=True)
    gates = Gates(pruner)
    assert torch.allclose(model(x), plain, atol=1e-5)  # the decorated model: same function
    for site in gates.sites:
        bn = site.member.module
        if isinstance(bn, nn.BatchNorm2d):
            assert torch.equal(site.phi.detach(), gammas[bn][site.member.idxs])
            assert bool((bn.weight == 1).all()) and not bn.weight.requires_grad
    before = float(torch.cat(gates.parameters()).detach().abs().mean())
    tock(model, gates, few_batches, None, epochs=2, sparsity=0.05, lr=0.05)
    after_tock = float(torch.cat(gates.parameters()).detach().abs().mean())
    assert after_tock < 0.8 * before  # the L1 penalty pushed the gates down
    convs = [(p, p.detach().clone()) for m in model.modules() if isinstance(m, nn.Conv2d)
             for p in m.parameters()]
    linear = model.head[2].weight.detach().clone()
    scores = tick(model, gates, few_batches, None, epochs=1, lr=0.05)
    assert all(torch.equal(p, saved) for p, saved in convs)
    assert not torch.equal(model.head[2].weight, linear)  # the official Tick trains the rest
    assert set(scores) == set(gates.groups)
    assert all(scores[root].shape == (root_size(group),)
               for root, (group, _) in gates.groups.items())
    model.eval()
    gated = model(x)
    gates.fold_and_remove()
    assert torch.allclose(model(x), gated, atol=1e-5)  # folded into BN / conv, hooks gone
    assert all(m.weight.requires_grad for m in gammas)


def test_gate_decorator_max_batches_works_through_prune(few_batches) -> None:
    """Issue 14 item 13: ``max_batches``, advertised by ``zoo.prune``, limits every epoch."""
    seen = []

    class Counted:
        def __iter__(self):
            for batch in few_batches:
                seen.append(1)
                yield batch

    model = randomize_batchnorm(user_net())
    small = zoo.prune(model, X, method="gate-decorator", pruning_ratio=0.5, data=Counted(),
                      max_batches=1, tock_epochs=2, tick_epochs=1)
    assert count_parameters(small) < count_parameters(model)
    assert len(seen) == 3  # two Tock epochs and one Tick epoch, one batch each

def test_snip_sensitivities_in_eval_mode_or_train_mode_on_one_batch(few_batches,
                                                                     fresh_cnn) -> None:
    """Issue 14 item 12: SNIP scores |w · ∂L/∂w| on one batch, by default in eval mode (the
    official code's ``is_train: False``), with ``train_mode=True`` in train mode (BatchNorm on the
    batch's statistics); either way the running statistics and the model's mode stay as they
    were, and the two modes differ."""
    model = fresh_cnn(1)
    model.eval()
    sites = [(m, "weight") for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    buffers = {n: b.clone() for n, b in model.named_buffers()}

    def by_hand(train_mode: bool) -> list[torch.Tensor]:
        probe = copy.deepcopy(model).train(train_mode)
        x, y = few_batches[0]
        F.cross_entropy(probe(x), y).backward()
        probe_sites = [m for m in probe.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
        scores = [(m.weight * m.weight.grad).detach().abs() for m in probe_sites]
        total = sum(float(s.sum()) for s in scores)
        return [s / total for s in scores]

    def same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
        return all(torch.allclose(x, y, atol=1e-7) for x, y in zip(a, b, strict=True))

    default = connection_sensitivity(model, sites, few_batches)
    trained = connection_sensitivity(model, sites, few_batches, train_mode=True)
    assert same(default, by_hand(False))
    assert same(trained, by_hand(True))
    assert not same(default, trained)
    assert not model.training
    assert all(torch.equal(b, buffers[n]) for n, b in model.named_buffers())


def test_snip_at_initialisation_trains_as_well_as_dense_and_beats_random(
    digits_loaders, fresh_cnn
) -> None:
    train_data, test_data = digits_loaders
    dense = fresh_cnn(1)
    sparse = zoo.prune(dense, X, method="snip", pruning_ratio=0.8, data=train_data)
    sites = prunable_weights(sparse)
    assert sparsity(sites) == pytest.approx(0.8, abs=1e-4)  # exactly κ connections kept
    for model in (dense, sparse):  # same initialisation, same recipe
        train(model, train_data, epochs=8, seed=0)
    assert sparsity(prunable_weights(sparse)) == pytest.approx(0.8, abs=1e-4)  # masks hold
    assert accuracy(sparse, test_data) >= accuracy(dense, test_data) - 0.02  # 98.9 vs 99.7 %

    extreme = {}
    for kind in ("snip", "random"):
        model = fresh_cnn(1)
        if kind == "snip":
            model = zoo.prune(model, X, method="snip", pruning_ratio=0.98, data=train_data)
        else:
            sites = prunable_weights(model)
            gen = torch.Generator().manual_seed(0)
            masks = [(torch.rand(m.weight.shape, generator=gen) >= 0.98).float() for m, _ in sites]
            apply_masks(sites, masks)
        train(model, train_data, epochs=8, seed=0)
        extreme[kind] = accuracy(model, test_data)
    assert extreme["snip"] >= extreme["random"] + 0.2, extreme  # measured 0.68 vs 0.18


def test_magnitude_pruning_keeps_the_largest_weights_and_retrains(
    trained_cnn, digits_loaders
) -> None:
    train_data, test_data = digits_loaders
    model = trained_cnn.model()
    sparse = zoo.prune(model, None, method="magnitude", pruning_ratio=0.8)
    sites = prunable_weights(sparse)
    assert sparsity(sites) == pytest.approx(0.8, abs=1e-3)
    originals = torch.cat([m.weight.detach().flatten() for m, _ in prunable_weights(model)])
    masks = torch.cat([m.weight_mask.flatten() for m, _ in sites]).bool()
    assert originals[masks].abs().min() >= originals[~masks].abs().max()  # one global threshold
    fine_tune(sparse, train_data, epochs=5, seed=0)
    assert accuracy(sparse, test_data) >= trained_cnn.accuracy - 0.02

    rounds = zoo.prune(
        model, None, method="magnitude", pruning_ratio=0.9, iterations=3, data=train_data
    )
    assert sparsity(prunable_weights(rounds)) == pytest.approx(0.9, abs=2e-3)
    fine_tune(rounds, train_data, epochs=5, seed=0)
    assert accuracy(rounds, test_data) >= trained_cnn.accuracy - 0.02
    permanent = make_permanent(rounds)
    assert not any(k.endswith(("_orig", "_mask")) for k in permanent.state_dict())
    assert sparsity(prunable_weights(permanent)) == pytest.approx(0.9, abs=2e-3)


# --- surgery on any reasonable CNN --------------------------------------------------------------


@pytest.mark.parametrize("architecture", ARCHITECTURES)
@pytest.mark.parametrize("method", STRUCTURED)
def test_structured_methods_prune_user_architectures(method, architecture, few_batches) -> None:
    model = randomize_batchnorm(ARCHITECTURES[architecture]())
    x = few_batches[0][0]
    pruned = zoo.prune(model, X, method=method, pruning_ratio=0.5, data=few_batches)
    assert pruned(x).shape == model(x).shape
    assert count_flops(pruned, X) < 0.7 * count_flops(model, X)
    convs = [m for m in pruned.modules() if isinstance(m, nn.Conv2d)]
    assert all(m.out_channels >= 1 and m.in_channels % m.groups == 0 for m in convs)
    if architecture == "user_net":
        assert pruned.depthwise[0].groups == pruned.depthwise[0].out_channels  # still depthwise
        assert pruned.grouped[0].groups == 4 and pruned.grouped[0].in_channels % 4 == 0
        assert pruned.head[0].out_features < 24  # the hidden Linear is pruned, the output not
        assert pruned.head[2].out_features == 10


IMPORTANCES = {
    "l1-norm": (L1NormImportance, False),
    "fpgm": (FPGMImportance, True),  # also exercise global ranking
    "taylor": (lambda: TaylorImportance("weight"), True),
}


def _twins(cuts: list[Cut], model: nn.Module, copied: nn.Module) -> list[Cut]:
    """The same cuts on a deep copy of ``model``."""
    names = {id(m): n for n, m in model.named_modules()}
    twins = dict(copied.named_modules())
    return [dataclasses.replace(c, root=twins[names[id(c.root)]]) for c in cuts]


@pytest.mark.parametrize("architecture", [*ARCHITECTURES, "digits_cnn"])
@pytest.mark.parametrize("criterion", IMPORTANCES)
def test_masked_output_equals_pruned_output(criterion, architecture, few_batches, fresh_cnn):
    make = ARCHITECTURES.get(architecture, fresh_cnn)
    model = randomize_batchnorm(make())
    factory, global_ranking = IMPORTANCES[criterion]
    importance = factory()
    if isinstance(importance, TaylorImportance):
        for _ in gradient_passes(model, few_batches):
            importance.accumulate(model)
    x = few_batches[0][0]
    pruner = channel_pruner(model, X, importance, pruning_ratio=0.5, global_ranking=global_ranking)
    cuts = plan(pruner)
    assert cuts

    unmasked = model(x)
    control = copy.deepcopy(model)  # zero only the filters: BN's bias still leaks through
    control_graph = build_graph(control, X)
    with torch.no_grad():
        for cut in _twins(cuts, model, control):
            for member in members(cut.group(control_graph), roles=("producer",)):
                member.module.weight[member.idxs] = 0.0

    both_sides = copy.deepcopy(model)
    mask_channels(build_graph(both_sides, X), _twins(cuts, model, both_sides), inputs=True)
    mask_channels(pruner.DG, cuts, inputs=False)  # outputs only: filters, biases, BN γ and β
    masked = model(x)
    remove_channels(pruner.DG, cuts)
    pruned = model(x)
    assert torch.allclose(masked, pruned, atol=1e-5)
    assert torch.allclose(both_sides(x), pruned, atol=1e-5)
    assert not torch.allclose(masked, unmasked, atol=1e-3)
    assert not torch.allclose(control(x), pruned, atol=1e-3)  # forgetting BN is caught


def test_cross_check_scores_against_torch_pruning(trained_cnn, few_batches) -> None:
    """Same definitions, same numbers: L1 = ‖W‖₁ of the root conv's filters; FPGM = summed
    distances (Torch-Pruning takes |W|, so compared on non-negative weights); Taylor with the
    "weight" criterion on one batch = Torch-Pruning's multivariable Taylor score, squared."""
    model = trained_cnn.model().eval()
    graph = build_graph(model, X)
    groups = list(
        graph.get_all_groups(ignored_layers=output_layers(graph), root_module_types=ROOT_TYPES)
    )
    assert len(groups) == 3
    theirs_l1 = tp.importance.GroupMagnitudeImportance(
        p=1, group_reduction="first", normalizer=None
    )
    for group in groups:
        assert torch.allclose(L1NormImportance()(group), theirs_l1(group), rtol=1e-5)

    inputs, targets = few_batches[0]
    model.zero_grad()
    F.cross_entropy(model(inputs), targets).backward()
    ours_taylor = TaylorImportance("weight")
    ours_taylor.accumulate(model)
    theirs_taylor = tp.importance.TaylorImportance(
        group_reduction="first", normalizer=None, multivariable=True
    )
    for group in groups:
        assert torch.allclose(ours_taylor(group), theirs_taylor(group) ** 2, rtol=1e-4, atol=1e-12)

    with torch.no_grad():
        for p in model.parameters():
            p.abs_()
    theirs_fpgm = tp.importance.FPGMImportance(p=1, group_reduction="first", normalizer=None)
    for group in groups:
        assert torch.allclose(FPGMImportance()(group), theirs_fpgm(group), rtol=1e-5)


# --- keep_coupled: Li et al.'s ResNet scheme ----------------------------------------------------


def _widths(model: nn.Module) -> dict[str, tuple[int, int]]:
    """``(in_channels, out_channels)`` of every convolution, by name."""
    return {
        n: (m.in_channels, m.out_channels)
        for n, m in model.named_modules()
        if isinstance(m, nn.Conv2d)
    }


def _flops_of(model: nn.Module, x: torch.Tensor, names: list[str]) -> int:
    """FLOPs of the named layers alone, on the inputs they receive in ``model(x)``."""
    seen: dict[str, torch.Tensor] = {}
    modules = dict(model.named_modules())
    handles = [
        modules[n].register_forward_hook(lambda m, args, out, n=n: seen.__setitem__(n, args[0]))
        for n in names
    ]
    with torch.no_grad():
        model.eval()(x)
    for handle in handles:
        handle.remove()
    return sum(count_flops(modules[n], seen[n]) for n in names)


def test_keep_coupled_prunes_only_inside_the_residual_blocks_of_resnet56() -> None:
    """The stem, every block's conv2 and the shortcuts (tied by the additions) keep their
    channels; each conv1 loses half its filters and conv2 the inputs that read them."""
    model = resnet56(num_classes=10, in_channels=1).eval()
    x = torch.zeros(1, 1, 32, 32)
    small = zoo.prune(model, x, method="l1-norm", pruning_ratio=0.5, keep_coupled=True)
    before, after = _widths(model), _widths(small)
    assert len(before) == 1 + 2 * 27 + 2 and after.keys() == before.keys()
    for name, (c_in, c_out) in before.items():
        if name.endswith("conv1"):
            assert after[name] == (c_in, c_out // 2), name
        elif name.endswith("conv2"):
            assert after[name] == (c_in // 2, c_out), name
        else:  # stem, shortcuts
            assert after[name] == (c_in, c_out), name
    assert {after[f"layer{i}.0.conv2"][1] for i in (1, 2, 3)} == {16, 32, 64}
    assert small(torch.zeros(3, 1, 32, 32)).shape == (3, 10)

    # conv1 and conv2 each lose half their FLOPs; nothing else changes: −49.8 % (250.9 → 125.9 M)
    total = count_flops(model, x)
    inner = _flops_of(model, x, [n for n in before if n.endswith(("conv1", "conv2"))])
    removed = 1 - count_flops(small, x) / total
    assert removed == pytest.approx(0.5 * inner / total)
    assert 0.49 < removed < 0.5
    everything = zoo.prune(model, x, method="l1-norm", pruning_ratio=0.5)
    assert 1 - count_flops(everything, x) / total == pytest.approx(0.75, abs=0.005)


@pytest.mark.parametrize("method", STRUCTURED)
def test_keep_coupled_with_every_structured_method(method, few_batches) -> None:
    """Per-layer (FPGM, L1) or global (Taylor, Gate Decorator, capped at 0.75 per layer) ranking:
    ``pruning_ratio`` is the fraction of the uncoupled channels, here the 336 conv1 filters."""
    model = randomize_batchnorm(resnet20(num_classes=10, in_channels=1))
    x = few_batches[0][0]
    small = zoo.prune(
        model, X, method=method, pruning_ratio=0.5, data=few_batches, keep_coupled=True
    )
    before, after = _widths(model), _widths(small)
    inner = [n for n in before if n.endswith("conv1")]
    assert all(after[n] == before[n] for n in before if not n.endswith(("conv1", "conv2")))
    assert all(after[n.replace("conv1", "conv2")][1] == before[n][1] for n in inner)
    assert sum(after[n][1] for n in inner) == sum(before[n][1] for n in inner) // 2 == 168
    kept = [after[n][1] / before[n][1] for n in inner]
    if method in ("taylor", "gate-decorator"):  # ranked across layers
        assert len(set(kept)) > 1 and min(kept) >= 0.25
    else:
        assert set(kept) == {0.5}
    assert small(x).shape == model(x).shape


@pytest.mark.parametrize("method", ["l1-norm", "taylor"])
def test_keep_coupled_changes_nothing_without_residual_additions(
    method, trained_cnn, few_batches
) -> None:
    model = trained_cnn.model()
    pruned = [
        zoo.prune(model, X, method=method, pruning_ratio=0.5, data=few_batches, keep_coupled=keep)
        for keep in (False, True)
    ]
    plain, kept = (p.state_dict() for p in pruned)
    assert plain.keys() == kept.keys()
    assert all(torch.equal(plain[k], kept[k]) for k in plain)
    assert sum(w[1] for w in _widths(pruned[1]).values()) == (16 + 32 + 64) // 2


def test_coupled_groups_are_additions_and_products_not_depthwise_convolutions() -> None:
    """A depthwise convolution only carries its input channels: an inverted residual's expansion
    channels stay prunable; the channels its addition ties do not."""
    inverted = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        MBConv(8, 8, 1, 3, 6),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 10),
    )
    for model, coupled in [
        (user_net(), [{"grouped.3", "pointwise.0"}, {"se.expand", "depthwise.0", "stem.0"}]),
        (inverted, [{"0", "1.body.6"}]),
    ]:
        names = {m: n for n, m in model.named_modules()}
        graph = build_graph(model, X)
        groups = graph.get_all_groups(
            ignored_layers=output_layers(graph), root_module_types=ROOT_TYPES
        )
        found = [
            {names[m.module] for m in members(g, roles=("producer",))}
            for g in groups
            if is_coupled(g)
        ]
        assert sorted(found, key=sorted) == sorted(coupled, key=sorted)
    small = zoo.prune(inverted, X, method="l1-norm", pruning_ratio=0.5, keep_coupled=True)
    assert [m.out_channels for m in small.modules() if isinstance(m, nn.Conv2d)] == [8, 24, 24, 8]


# --- the entry point ----------------------------------------------------------------------------


def test_prune_names_its_methods_and_rejects_bad_calls(trained_cnn) -> None:
    language_models = {"sparsegpt", "wanda", "llm-pruner"}  # tested in tests/language
    # halp takes a latency target instead of a ratio: tests/zoo/test_halp.py
    assert set(zoo.pruning.methods()) == {*STRUCTURED, "halp", "snip", "magnitude",
                                          *language_models}
    model = trained_cnn.model()
    with pytest.raises(ValueError, match=r"unknown pruning method 'nope'.*fpgm.*taylor"):
        zoo.prune(model, X, method="nope", pruning_ratio=0.5)
    with pytest.raises(ValueError, match="needs data="):
        zoo.prune(model, X, method="taylor", pruning_ratio=0.5)
    with pytest.raises(ValueError, match=r"pruning_ratio must be in \[0, 1\)"):
        zoo.prune(model, X, method="fpgm", pruning_ratio=1.5)
    with pytest.raises(ValueError, match="not a module of the model"):
        stranger = nn.Conv2d(1, 1, 1)
        zoo.prune(model, X, method="l1-norm", pruning_ratio=0.5, ignored_layers=[stranger])
    with pytest.raises(TypeError):
        zoo.prune(model, X, method="fpgm", pruning_ratio=0.5, no_such_option=1)


def test_ignored_layers_and_inplace(trained_cnn) -> None:
    model = trained_cnn.model()
    kept = zoo.prune(
        model,
        X,
        method="l1-norm",
        pruning_ratio=0.5,
        ignored_layers=["features.1.0", model.features[3][0]],
    )
    widths = [m.out_channels for m in kept.modules() if isinstance(m, nn.Conv2d)]
    assert widths == [8, 32, 64]  # only the first conv lost half its filters

    same = zoo.prune(model, X, method="fpgm", pruning_ratio=0.5, inplace=True)
    assert same is model and model.features[0][0].out_channels == 8
