"""Shared zoo tooling: digits loader, reference nets, metrics, training loop; registry ↔ catalog."""

from __future__ import annotations

import copy
import doctest
import importlib

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import prune as torch_prune

import zoo
from zoo.catalog import load
from zoo.data import load_digits, loaders
from zoo.metrics import (
    accuracy,
    count_flops,
    count_nonzero_parameters,
    count_parameters,
    latency,
    serialized_size,
)
from zoo.nets import BasicBlock, digits_cnn, resnet20, resnet56
from zoo.registry import check_against_catalog
from zoo.training import evaluate, seed_everything, train

# --- data -------------------------------------------------------------------------------------


def test_digits_split_is_deterministic_stratified_and_complete(digits) -> None:
    again = load_digits(seed=0)
    assert torch.equal(digits.x_train, again.x_train) and torch.equal(digits.y_test, again.y_test)
    other = load_digits(seed=1)
    assert not torch.equal(digits.y_test, other.y_test)  # the seed moves the split

    assert digits.x_train.shape == (1437, 1, 8, 8) and digits.x_test.shape == (360, 1, 8, 8)
    assert digits.x_train.dtype == torch.float32 and digits.y_train.dtype == torch.int64
    assert float(digits.x_train.min()) == 0.0 and float(digits.x_train.max()) == 1.0
    assert digits.num_classes == 10
    # stratified: every class holds 20 % of its samples in the test split (±1 sample)
    whole = torch.bincount(torch.cat([digits.y_train, digits.y_test]), minlength=10)
    test = torch.bincount(digits.y_test, minlength=10)
    assert ((test - whole * 0.2).abs() <= 1).all()


def test_digits_resize_and_loaders_are_seeded(digits) -> None:
    big = load_digits(seed=0, size=32)
    assert big.x_train.shape == (1437, 1, 32, 32) and torch.equal(big.y_train, digits.y_train)
    assert float(big.x_train.min()) >= 0.0 and float(big.x_train.max()) <= 1.0

    first = [y for _, y in loaders(digits, batch_size=100, seed=3)[0]]
    second = [y for _, y in loaders(digits, batch_size=100, seed=3)[0]]
    other = [y for _, y in loaders(digits, batch_size=100, seed=4)[0]]
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    assert not torch.equal(first[0], other[0])
    assert sum(len(y) for y in first) == 1437
    test_labels = torch.cat([y for _, y in loaders(digits)[1]])
    assert torch.equal(test_labels, digits.y_test)  # the test loader keeps the order


# --- nets -------------------------------------------------------------------------------------


def _weight_layers(model: nn.Module) -> int:
    """Conv and Linear layers on the main path (1×1 projection shortcuts are not counted)."""
    shortcut = {
        id(m) for b in model.modules() if isinstance(b, BasicBlock) for m in b.shortcut.modules()
    }
    return sum(
        isinstance(m, nn.Conv2d | nn.Linear) and id(m) not in shortcut for m in model.modules()
    )


def test_resnets_have_their_depth_and_residual_additions() -> None:
    assert _weight_layers(resnet20()) == 20 and _weight_layers(resnet56()) == 56
    assert 0.26e6 < count_parameters(resnet20()) < 0.28e6  # ResNet-20 for CIFAR: about 0.27 M
    assert 0.84e6 < count_parameters(resnet56()) < 0.87e6
    x = torch.randn(2, 1, 32, 32)
    assert resnet20(num_classes=7, in_channels=1)(x).shape == (2, 7)

    block = BasicBlock(4, 4).eval()
    with torch.no_grad():
        block.conv2.weight.zero_()  # the residual branch now adds only bn2's bias
        block.bn2.bias.zero_()
    y = torch.randn(2, 4, 5, 5)
    assert torch.allclose(block(y), torch.relu(y))  # identity shortcut: relu(0 + x)


def test_digits_cnn_shapes() -> None:
    model = digits_cnn(num_classes=10, in_channels=1, width=8)
    assert model(torch.zeros(3, 1, 8, 8)).shape == (3, 10)
    assert [m.out_channels for m in model.modules() if isinstance(m, nn.Conv2d)] == [8, 16, 32]


# --- metrics ----------------------------------------------------------------------------------


def test_parameters_flops_and_size_follow_their_formulas() -> None:
    linear = nn.Linear(30, 20)
    assert count_parameters(linear) == 30 * 20 + 20
    assert count_flops(linear, torch.zeros(4, 30)) == 2 * 4 * 30 * 20  # a multiply-add is 2 FLOPs
    conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
    assert count_flops(conv, torch.zeros(1, 3, 10, 10)) == 2 * 8 * 3 * 9 * 10 * 10
    assert count_flops(conv, (torch.zeros(1, 3, 10, 10),)) == 2 * 8 * 3 * 9 * 10 * 10

    small, big = nn.Linear(10, 10), nn.Linear(100, 100)
    assert serialized_size(big) >= 4 * count_parameters(big) > serialized_size(small)
    assert serialized_size(big.half()) < 0.6 * serialized_size(nn.Linear(100, 100))


def test_nonzero_parameters_see_through_pruning_masks() -> None:
    layer = nn.Linear(10, 10, bias=False)
    torch_prune.l1_unstructured(layer, "weight", amount=0.3)
    assert count_parameters(layer) == 100  # weight_orig; the mask is a buffer
    assert count_nonzero_parameters(layer) == 70


def test_latency_is_positive_and_restores_threads() -> None:
    previous = torch.get_num_threads()
    model = digits_cnn(width=4).train()
    seconds = latency(model, torch.zeros(1, 1, 8, 8), warmup=1, repeats=5, threads=1)
    assert 0.0 < seconds < 1.0
    assert torch.get_num_threads() == previous and model.training  # state restored


def test_accuracy_counts_argmax_hits() -> None:
    class Echo(nn.Module):  # predicts the class written in the input's first feature
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.one_hot(x[:, 0].long(), 3).float()

    inputs = torch.tensor([[0.0], [1.0], [2.0], [2.0]])
    targets = torch.tensor([0, 1, 2, 1])
    assert accuracy(Echo(), [(inputs[:2], targets[:2]), (inputs[2:], targets[2:])]) == 0.75
    with pytest.raises(ValueError, match="empty"):
        accuracy(Echo(), [])


# --- training ---------------------------------------------------------------------------------


def test_training_is_seeded_and_learns(digits) -> None:
    train_data, _ = loaders(digits)
    runs = []
    for _ in range(2):  # the same loader twice: train(seed=…) restarts its shuffle
        seed_everything(5)
        model = digits_cnn(width=4)
        history = train(model, train_data, epochs=2, seed=5)
        runs.append((model, history))
    (a, ha), (b, hb) = runs
    assert ha.losses == hb.losses
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert ha.losses[1] < ha.losses[0]


def test_session_cnn_trains_to_high_accuracy(digits_loaders, trained_cnn) -> None:
    _, test_data = digits_loaders

    assert trained_cnn.accuracy >= 0.97  # the session's CNN: 8 epochs, a few seconds
    result = evaluate(trained_cnn.model(), test_data)
    assert result.accuracy == pytest.approx(trained_cnn.accuracy) and result.loss < 0.2


def test_training_regularizer_and_parameter_subset(digits_loaders) -> None:
    train_data, _ = digits_loaders
    batches = [next(iter(train_data))] * 3
    seed_everything(0)
    model = digits_cnn(width=4)
    untouched = copy.deepcopy(model.features[0][0].weight)
    head = list(model.classifier.parameters())
    train(model, batches, epochs=1, parameters=head, seed=0)
    assert torch.equal(model.features[0][0].weight, untouched)  # not in ``parameters``

    def l1(m: nn.Module) -> torch.Tensor:
        return 10.0 * m.classifier.weight.abs().sum()

    plain, shrunk = digits_cnn(width=4), digits_cnn(width=4)
    shrunk.load_state_dict(plain.state_dict())
    train(plain, batches, epochs=5, seed=0)
    train(shrunk, batches, epochs=5, regularizer=l1, seed=0)
    assert shrunk.classifier.weight.abs().sum() < 0.5 * plain.classifier.weight.abs().sum()


# --- registry ↔ catalog -------------------------------------------------------------------------


def test_every_registered_method_names_a_catalog_paper_and_taxonomy_position() -> None:
    catalog = load()
    records = zoo.list_methods()
    assert {"fpgm", "l1-norm", "taylor", "gate-decorator", "snip", "magnitude"} <= {
        r.name for r in records
    }
    subs = {c.id: {s.id for s in c.subcategories} for c in catalog.categories}
    for record in records:
        assert record.paper in catalog, record
        assert record.category in subs, record
        assert record.subcategory in (subs[record.category] or {None}), record
    assert check_against_catalog(catalog) == []


def test_pruning_records_point_at_their_objects() -> None:
    for record in zoo.list_methods("pruning"):
        assert record.obj.__zoo_method__ == record.name
        assert record.source == f"zoo/pruning/{record.module.rsplit('.', 1)[1]}.py"
        assert record.subcategory in {"structured", "unstructured"}


@pytest.mark.parametrize("module", ["zoo.nets", "zoo.data", "zoo.metrics", "zoo.training"])
def test_tooling_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
