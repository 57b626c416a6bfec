"""The reference models the benchmark compresses, their training recipes, and the per-run context.

Five models, all trained on scikit-learn's digits (fixed 80/20 split, :func:`zoo.data.load_digits`
with ``seed=0``; the benchmark's seeds vary initialisation, shuffling and data-driven choices, not
the split):

* ``digits-cnn`` — :func:`zoo.nets.digits_cnn` at ``width=16`` (the width every method docstring
  measures), 8×8 inputs;
* ``resnet20`` and ``resnet56`` — :func:`zoo.nets.resnet20` / :func:`~zoo.nets.resnet56` on the
  digits resized to 32×32, one input channel;
* ``mobilenetv2`` — :func:`zoo.nets.mobilenetv2` (half width, inverted residual blocks with
  depthwise convolutions) on the same 32×32 digits: the depthwise, memory-bound kind of network on
  which FLOPs predict CPU latency worst;
* ``digits-lstm`` — the float row-by-row LSTM classifier of
  :mod:`zoo.quantization.recurrent_binary_ternary`, the own setting of the recurrent binarisation
  method (a CNN has no recurrent weights to binarise).

A :class:`Context` hands an adapter everything for one (model, seed): the trained baseline (as a
fresh copy each time), the loaders, and the recipe's training and fine-tuning calls, so adapters
never re-implement a loop.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import DataLoader

from ..data import DigitsSplit, load_digits, loaders
from ..metrics import accuracy
from ..nets import digits_cnn, mobilenetv2, resnet20, resnet56
from ..training import History, fine_tune, seed_everything, train

__all__ = ["MODELS", "Context", "ModelSpec", "Recipe", "train_baseline"]

SPLIT_SEED = 0


@dataclass(frozen=True)
class Recipe:
    """How a model is trained from scratch and fine-tuned after compression (Adam, cosine)."""

    epochs: int
    fine_tune_epochs: int
    batch_size: int = 64
    lr: float = 1e-2
    fine_tune_lr: float = 5e-3  # zoo.training.fine_tune's default


def _row_lstm() -> nn.Module:
    from ..quantization import row_lstm_classifier

    return row_lstm_classifier("float", hidden_size=64)


@dataclass(frozen=True)
class ModelSpec:
    """A benchmark model: how to build it, its input size, recipes per mode, relative cost."""

    name: str
    description: str
    build: Callable[[], nn.Module]
    image_size: int
    full: Recipe
    quick: Recipe
    cost: float  # one training epoch, in digits-CNN epochs (weights the progress bar's ETA)

    def recipe(self, quick: bool) -> Recipe:
        return self.quick if quick else self.full


# Adam at 1e-2 made the ResNets' BatchNorm statistics unreliable within a few epochs (15 % test
# accuracy after 3 epochs of ResNet-20); 3e-3 in batches of 64 reaches 97-99 % in 3. Pruned to
# half their channels, ResNet-56s need 2-3 fine-tuning epochs: after one, their running BatchNorm
# statistics still lag the weights (34 % in eval mode, 79 % with re-estimated statistics).
_RESNET_FULL = Recipe(epochs=5, fine_tune_epochs=3, lr=3e-3)
_RESNET_QUICK = Recipe(epochs=3, fine_tune_epochs=2, lr=3e-3)

MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("digits-cnn", "zoo.nets.digits_cnn(width=16), 8×8 digits",
                  lambda: digits_cnn(width=16), 8,
                  full=Recipe(epochs=8, fine_tune_epochs=5),
                  quick=Recipe(epochs=6, fine_tune_epochs=3), cost=1.0),
        ModelSpec("resnet20", "zoo.nets.resnet20(in_channels=1), digits resized to 32×32",
                  lambda: resnet20(num_classes=10, in_channels=1), 32,
                  full=_RESNET_FULL, quick=_RESNET_QUICK, cost=12.0),
        ModelSpec("resnet56", "zoo.nets.resnet56(in_channels=1), digits resized to 32×32",
                  lambda: resnet56(num_classes=10, in_channels=1), 32,
                  full=_RESNET_FULL, quick=_RESNET_QUICK, cost=36.0),
        # 5 epochs at Adam 3e-3 (the ResNets' recipe): 98.3 % test accuracy in 29 s here (1e-2:
        # 99.2 %). Cost: its batch-64 forward pass took 133 ms beside ResNet-20's 250 ms.
        ModelSpec("mobilenetv2", "zoo.nets.mobilenetv2(in_channels=1), width 0.5, digits "
                  "resized to 32×32", lambda: mobilenetv2(num_classes=10, in_channels=1), 32,
                  full=_RESNET_FULL, quick=_RESNET_QUICK, cost=6.0),
        ModelSpec("digits-lstm", "row_lstm_classifier('float', hidden_size=64): 8 rows of 8 "
                  "pixels", _row_lstm, 8,
                  full=Recipe(epochs=15, fine_tune_epochs=0),
                  quick=Recipe(epochs=8, fine_tune_epochs=0), cost=1.5),
    )
}


def split_for(spec: ModelSpec) -> DigitsSplit:
    """The fixed digits split at the model's input size."""
    return load_digits(seed=SPLIT_SEED, size=spec.image_size)


def train_baseline(spec: ModelSpec, recipe: Recipe, seed: int,
                   train_data: DataLoader) -> tuple[nn.Module, History]:
    """The reference model for ``seed``: initialised from the seed, trained with the recipe."""
    seed_everything(seed)  # the initial weights are random too
    model = spec.build()
    history = train(model, train_data, epochs=recipe.epochs, lr=recipe.lr, seed=seed)
    return model, history


@dataclass
class Context:
    """Everything an adapter needs for one model and seed."""

    spec: ModelSpec
    recipe: Recipe
    seed: int
    split: DigitsSplit
    train_data: DataLoader
    test_data: DataLoader
    baseline: nn.Module  # trained; adapters get copies through :meth:`trained`
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def example_inputs(self) -> torch.Tensor:
        """One training image, for tracing and FLOP counting."""
        return self.split.x_train[:1]

    def trained(self) -> nn.Module:
        """A copy of the trained baseline, free to modify."""
        return copy.deepcopy(self.baseline)

    def fresh(self, build: Callable[[], nn.Module] | None = None) -> nn.Module:
        """An untrained model (``build``, default the spec's), initialised from the seed."""
        seed_everything(self.seed)
        return (build or self.spec.build)()

    def train(self, model: nn.Module, epochs: int | None = None, **options: object) -> History:
        """Train from scratch with the model's recipe (``options`` go to ``zoo.training.train``)."""
        return train(model, self.train_data, epochs=epochs or self.recipe.epochs,
                     lr=self.recipe.lr, seed=self.seed, **options)  # type: ignore[arg-type]

    def fine_tune(self, model: nn.Module, epochs: int | None = None,
                  **options: object) -> History:
        """The recipe's fine-tune (``zoo.training.fine_tune``) of a compressed model."""
        return fine_tune(model, self.train_data, epochs=epochs or self.recipe.fine_tune_epochs,
                         lr=self.recipe.fine_tune_lr, seed=self.seed, **options)

    def accuracy(self, model: nn.Module) -> float:
        """Top-1 test accuracy in [0, 1]."""
        return accuracy(model, self.test_data)


def make_loaders(split: DigitsSplit, recipe: Recipe) -> tuple[DataLoader, DataLoader]:
    """Training loader (shuffled from the global generator the seed sets) and test loader."""
    return loaders(split, batch_size=recipe.batch_size)
