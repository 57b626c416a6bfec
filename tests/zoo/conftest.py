"""Fixtures for the zoo's PyTorch tests: the digits split and a CNN trained once per session.

Everything runs on one intra-op thread: the nets are tiny and the CI machine's cores are shared.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from zoo.data import DigitsSplit, load_digits, loaders
from zoo.metrics import accuracy
from zoo.nets import digits_cnn
from zoo.training import seed_everything, train


@pytest.fixture(autouse=True, scope="session")
def one_thread() -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def digits() -> DigitsSplit:
    return load_digits(seed=0)


@pytest.fixture(scope="session")
def digits_loaders(digits: DigitsSplit) -> tuple[DataLoader, DataLoader]:
    """(train loader, shuffled from the global generator that ``train(seed=…)`` seeds, so runs do
    not depend on which tests used it before; ordered test loader), batches of 64."""
    return loaders(digits, batch_size=64)


@dataclass(frozen=True)
class Baseline:
    """A trained digits CNN; ``model()`` hands out a fresh copy, so tests cannot disturb others."""

    _model: nn.Module
    accuracy: float  # top-1 on the test split, in [0, 1]

    def model(self) -> nn.Module:
        return copy.deepcopy(self._model)


@pytest.fixture(scope="session")
def trained_cnn(digits_loaders: tuple[DataLoader, DataLoader]) -> Baseline:
    """``digits_cnn(width=16)`` (16/32/64 channels) after 8 epochs: about 98–99 % test accuracy."""
    train_data, test_data = digits_loaders
    seed_everything(0)
    model = digits_cnn(width=16)
    train(model, train_data, epochs=8, lr=1e-2, seed=0)
    return Baseline(model, accuracy(model, test_data))


@pytest.fixture
def fresh_cnn() -> Callable[[int], nn.Module]:
    """An untrained digits CNN from a fixed seed."""

    def make(seed: int = 0) -> nn.Module:
        seed_everything(seed)
        return digits_cnn(width=16)

    return make
