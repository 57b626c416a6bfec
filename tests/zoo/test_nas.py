"""Architecture search: mixed operations, discretisation, P-DARTS' space approximation, a search."""

from __future__ import annotations

import pytest
import torch

from zoo.data import load_digits
from zoo.nas.darts import (
    DerivedNetwork,
    Genotype,
    MixedOp,
    SearchNetwork,
    darts_search,
    derive_cell,
    search_loaders,
)
from zoo.nas.operations import OPS, PRIMITIVES
from zoo.nas.pdarts import Stage, limit_skips, pdarts_search, shrink_candidates
from zoo.nas.proxylessnas import ChoiceBlock, ProxylessSuperNet, latency_table, proxyless_search
from zoo.training import evaluate, train


def test_mixed_op_is_the_weighted_sum_of_its_candidates():
    torch.manual_seed(0)
    mixed = MixedOp(4, 1, PRIMITIVES).eval()
    x = torch.randn(2, 4, 6, 6)
    outputs = [op(x) for op in mixed.ops]
    weights = torch.softmax(torch.randn(len(PRIMITIVES)), 0)
    expected = sum(w * out for w, out in zip(weights, outputs, strict=True))
    torch.testing.assert_close(mixed(x, weights), expected)
    one_hot = torch.zeros(len(PRIMITIVES))
    one_hot[PRIMITIVES.index("max_pool_3x3")] = 1.0
    torch.testing.assert_close(mixed(x, one_hot), outputs[PRIMITIVES.index("max_pool_3x3")])


@pytest.mark.parametrize("name", PRIMITIVES)
def test_every_operation_keeps_or_halves_the_grid(name):
    x = torch.randn(1, 6, 8, 8)
    assert OPS[name](6, 1)(x).shape == (1, 6, 8, 8)
    assert OPS[name](6, 2)(x).shape == (1, 6, 4, 4)


def _weights(rows: list[dict[str, float]]) -> list[dict[str, float]]:
    return [{op: row.get(op, 0.0) for op in PRIMITIVES} for row in rows]


def test_discretisation_keeps_two_strongest_edges_per_node_and_never_none():
    weights = _weights([
        {"none": 0.9, "sep_conv_3x3": 0.05},  # node 0 ← input 0: none ignored, 0.05 left
        {"max_pool_3x3": 0.3},  # node 0 ← input 1
        {"skip_connect": 0.5},  # node 1 ← input 0
        {"dil_conv_3x3": 0.1},  # node 1 ← input 1
        {"sep_conv_5x5": 0.6, "avg_pool_3x3": 0.2},  # node 1 ← node 0
    ])
    genes = derive_cell(weights, nodes=2)
    assert genes == (("max_pool_3x3", 1), ("sep_conv_3x3", 0),
                     ("sep_conv_5x5", 2), ("skip_connect", 0))


def test_search_space_approximation_keeps_the_top_operations_per_edge():
    torch.manual_seed(0)
    net = SearchNetwork(channels=2, layers=1, nodes=2)
    with torch.no_grad():
        for alpha in net.alphas.values():
            alpha.copy_(torch.arange(len(PRIMITIVES), dtype=torch.float).repeat(5, 1))
            alpha[0, PRIMITIVES.index("none")] = 100.0
    shrunk = shrink_candidates(net, 3)
    assert shrunk["normal"][0] == ["none", "dil_conv_3x3", "dil_conv_5x5"]
    assert shrunk["normal"][1] == ["sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"]
    smaller = SearchNetwork(channels=2, layers=2, nodes=2, candidates=shrunk)
    assert tuple(smaller.alphas["normal"].shape) == (5, 3)
    assert smaller(torch.zeros(2, 1, 8, 8)).shape == (2, 10)


def test_surplus_skip_connects_give_way_to_the_next_best_operation():
    net = SearchNetwork(channels=2, layers=1, nodes=2)
    skip, conv = PRIMITIVES.index("skip_connect"), PRIMITIVES.index("sep_conv_3x3")
    with torch.no_grad():
        alpha = net.alphas["normal"]
        alpha.zero_()
        alpha[:, skip] = torch.tensor([5.0, 4.0, 3.0, 6.0, 0.0])  # four skips would win
        alpha[:, conv] = 1.0
    assert [op for op, _ in net.genotype().normal].count("skip_connect") == 4
    limited = limit_skips(net, max_skips=2)
    ops = [op for op, _ in limited.normal]
    assert ops.count("skip_connect") == 2
    # the two strongest skips (edges 3 and 0, weights 6 and 5) survive
    assert ("skip_connect", 0) in limited.normal[:2] and ("skip_connect", 1) in limited.normal[2:]


def test_derived_network_follows_the_genotype():
    genotype = Genotype(normal=(("sep_conv_3x3", 0), ("skip_connect", 1)),
                        reduce=(("max_pool_3x3", 0), ("dil_conv_3x3", 1)))
    net = DerivedNetwork(genotype, channels=4, layers=3)
    assert net(torch.zeros(2, 1, 8, 8)).shape == (2, 10)
    assert [cell.reduction for cell in net.cells] == [False, True, False]
    assert str(genotype).startswith("normal: [sep_conv_3x3←0")


def test_darts_search_is_reproducible_from_its_seed(digits):
    def search(seed: int):
        train_data, valid_data = search_loaders(digits, seed=0)
        return darts_search(train_data, valid_data, layers=1, nodes=2, epochs=2,
                            warmup_epochs=0, seed=seed)

    first, again, other = search(0), search(0), search(1)
    for kind in ("normal", "reduce"):
        assert torch.equal(first.network.alphas[kind], again.network.alphas[kind])
        assert not torch.equal(first.network.alphas[kind], other.network.alphas[kind])
    assert first.genotype == again.genotype
    assert first.valid_losses[-1] < first.valid_losses[0]  # α descends the validation loss


@pytest.mark.slow
def test_pdarts_search_shrinks_the_space_and_its_network_trains(digits, digits_loaders):
    train_data, valid_data = search_loaders(digits, seed=0)
    result = pdarts_search(train_data, valid_data, seed=0)
    sizes = [len(stage.network.candidates["normal"][0]) for stage in result.stages]
    depths = [len(stage.network.cells) for stage in result.stages]
    assert sizes == [8, 5, 3] and depths == [2, 3, 4]
    last = result.stages[-1].network.candidates
    starts = [0, 2, 5]  # first edge of each of the 3 nodes (2 + 3 + 4 edges)
    for kind, genes in (("normal", result.genotype.normal), ("reduce", result.genotype.reduce)):
        for k, (op, j) in enumerate(genes):
            assert op in last[kind][starts[k // 2] + j]  # chosen from the shrunk space
    assert [op for op, _ in result.genotype.normal].count("skip_connect") <= 2

    torch.manual_seed(0)
    network = DerivedNetwork(result.genotype, channels=8, layers=3)
    train(network, digits_loaders[0], epochs=8, seed=0)
    assert evaluate(network, digits_loaders[1]).accuracy >= 0.93


# --- ProxylessNAS ---------------------------------------------------------------------------


def test_binarised_gate_gradient_follows_the_paper_formula():
    torch.manual_seed(0)
    block = ChoiceBlock(4, 4, 1)
    with torch.no_grad():
        block.alpha.copy_(torch.randn(len(block.candidates)))
    block.train()
    x = torch.randn(2, 4, 5, 5)
    target = torch.randn(2, 4, 5, 5)
    torch.manual_seed(1)
    out = block(x)
    (out - target).pow(2).sum().backward()
    # ∂L/∂g_j = <∂L/∂out, o_j(x)>, ∂L/∂α_i = Σ_j ∂L/∂g_j p_j (δ_ij − p_i)
    with torch.no_grad():
        grad_out = 2 * (out - target)
        dl_dg = torch.stack([(grad_out * block._run(j, x)).sum()
                             for j in range(len(block.candidates))])
        p = block.probabilities()
        expected = (dl_dg * p) - p * (dl_dg * p).sum()
    torch.testing.assert_close(block.alpha.grad, expected, rtol=1e-4, atol=1e-5)
    trained = [op for op in block.ops if any(q.grad is not None for q in op.parameters())]
    assert len(trained) <= 1  # only the sampled path's weights get gradients


def test_expected_latency_is_differentiable_and_table_is_measured():
    net = ProxylessSuperNet()
    table = latency_table(net, repeats=3)
    assert set(table) == {(b, c) for b, blk in enumerate(net.blocks) for c in blk.candidates}
    assert all(v > 0 for v in table.values())
    net.expected_latency(table).backward()
    zero = net.blocks[0].candidates.index("zero")
    assert net.blocks[0].alpha.grad[zero] < 0  # the cheapest op gains probability


@pytest.mark.slow
def test_latency_weight_buys_a_faster_architecture(digits):
    table = {}
    for b, block in enumerate(ProxylessSuperNet().blocks):  # fixed table: a repeatable search
        for c in block.candidates:
            table[(b, c)] = 0.01 if c == "zero" else float(c[2]) * int(c[5]) / 10  # k·e / 10 ms
    latencies = {}
    for weight in (0.0, 2.0):
        train_data, valid_data = search_loaders(digits, seed=0)
        result = proxyless_search(train_data, valid_data, latency_weight=weight, table=table)
        latencies[weight] = result.table_latency
        assert result.network(torch.zeros(2, 1, 8, 8)).shape == (2, 10)
    assert latencies[2.0] < latencies[0.0], latencies


def _colour_digits(classes: int, size: int = 12) -> tuple[list, list]:
    """Digits 0..classes-1 resized to ``size``×``size`` and tinted into three channels: a
    train and a validation list of batches (issue 14 item 10's 3-channel, other-class input)."""
    split = load_digits(seed=0, size=size)
    keep = split.y_train < classes
    x = split.x_train[keep] * torch.tensor([1.0, 0.6, 0.3]).view(1, 3, 1, 1)
    y = split.y_train[keep]
    batches = [(x[i : i + 8], y[i : i + 8]) for i in range(0, 40, 8)]
    return batches[:3], batches[3:]


@pytest.mark.slow
def test_nas_entry_points_take_the_users_channels_classes_and_data():
    train_data, valid_data = _colour_digits(classes=4)
    x = train_data[0][0][:2]
    assert x.shape == (2, 3, 12, 12)
    darts = darts_search(train_data, valid_data, layers=2, nodes=2, epochs=1, warmup_epochs=0,
                         in_channels=3, num_classes=4)
    assert darts.network(x).shape == (2, 4)
    stages = (Stage(1, len(PRIMITIVES), 0.0, 1), Stage(2, 3, 0.1, 1))
    pdarts = pdarts_search(train_data, valid_data, stages=stages, nodes=2, warmup_epochs=0,
                           in_channels=3, num_classes=4)
    assert pdarts.stages[-1].network(x).shape == (2, 4)
    for genotype in (darts.genotype, pdarts.genotype):
        derived = DerivedNetwork(genotype, channels=4, layers=2, in_channels=3, num_classes=4)
        assert derived(x).shape == (2, 4)
    proxyless = proxyless_search(train_data, valid_data, epochs=1, warmup_epochs=0,
                                 in_channels=3, num_classes=4, image_size=12)
    assert proxyless.network.eval()(x).shape == (2, 4)
    assert len(proxyless.table) == sum(len(b.candidates) for b in proxyless.supernet.blocks)
