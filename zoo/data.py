"""scikit-learn's bundled handwritten digits as PyTorch tensors — no download, deterministic split.

1 797 grey-scale 8×8 images of the digits 0–9 (pixel values 0–16). :func:`load_digits` scales
them to [0, 1], shapes them ``(N, 1, 8, 8)`` and splits them 80/20, stratified by class, from a
seed; with ``size=32`` they are resized bilinearly for the CIFAR-style ResNets.

>>> split = load_digits(seed=0)
>>> tuple(split.x_train.shape), tuple(split.x_test.shape), split.num_classes
((1437, 1, 8, 8), (360, 1, 8, 8), 10)
>>> float(split.x_train.max()) <= 1.0
True
>>> train, test = loaders(split, batch_size=64)
>>> tuple(next(iter(train))[0].shape)
(64, 1, 8, 8)
"""

from __future__ import annotations

from .registry import import_zoo_module

import_zoo_module("torch", __name__)  # without PyTorch: MissingExtraError with the install line

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

__all__ = ["DigitsSplit", "load_digits", "loaders"]


@dataclass(frozen=True)
class DigitsSplit:
    """Train and test tensors: images ``(N, 1, size, size)`` in [0, 1], labels ``(N,)`` int64."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def num_classes(self) -> int:
        return int(self.y_train.max()) + 1

    @property
    def example_inputs(self) -> torch.Tensor:
        """A batch of two training images, for tracing and FLOP counting."""
        return self.x_train[:2]


def load_digits(seed: int = 0, *, test_size: float = 0.2, size: int = 8) -> DigitsSplit:
    """The digits split 80/20 (``test_size``), stratified by class; one seed, one split.

    ``size`` other than 8 resizes the images bilinearly (e.g. 32 for :func:`zoo.nets.resnet20`).
    """
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    bunch = sklearn_digits()
    images = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0  # 0..16 → [0, 1]
    labels = torch.tensor(bunch.target, dtype=torch.int64)
    if size != 8:
        images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
        images = images.clamp_(0.0, 1.0)
    train_idx, test_idx = train_test_split(
        torch.arange(len(labels)).numpy(),
        test_size=test_size,
        stratify=labels.numpy(),
        random_state=seed,
    )
    train_idx, test_idx = torch.from_numpy(train_idx), torch.from_numpy(test_idx)
    return DigitsSplit(images[train_idx], labels[train_idx], images[test_idx], labels[test_idx])


def loaders(
    split: DigitsSplit, *, batch_size: int = 64, seed: int | None = None
) -> tuple[DataLoader, DataLoader]:
    """A shuffled training loader and an ordered test loader over ``split``.

    By default the shuffle draws from PyTorch's global generator, which
    :func:`zoo.training.train` seeds, so ``train(..., seed=s)`` repeats exactly. With ``seed`` the
    loader owns a generator: its sequence of shuffles is fixed but continues from call to call.
    """
    generator = None if seed is None else torch.Generator().manual_seed(seed)
    train = DataLoader(
        TensorDataset(split.x_train, split.y_train),
        batch_size=batch_size,
        shuffle=True,
        generator=generator,
    )
    test = DataLoader(TensorDataset(split.x_test, split.y_test), batch_size=256)
    return train, test
