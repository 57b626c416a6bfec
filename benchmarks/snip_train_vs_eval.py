"""SNIP sensitivities in eval mode (the official code) vs train mode: the masks they give.

Prunes the zoo's small nets at initialisation (seed 0) to 90 % sparsity from one batch of 64
digits, once with the network in eval mode (BatchNorm on its initial running statistics, 0 and 1,
as the official code's ``is_train: False``) and once in train mode (batch statistics), and prints
each layer's kept density under both, their mean and largest difference, and — for the digits
CNN — the test accuracy after 8 training epochs. Run: ``.venv/bin/python
benchmarks/snip_train_vs_eval.py`` (a few minutes on one CPU thread).
"""

from __future__ import annotations

import torch

from zoo.data import load_digits, loaders
from zoo.metrics import accuracy
from zoo.nets import digits_cnn, resnet20
from zoo.pruning.masks import prunable_weights
from zoo.pruning.snip import snip
from zoo.training import seed_everything, train

SPARSITY = 0.9


def densities(model: torch.nn.Module) -> dict[str, float]:
    names = {id(m): n for n, m in model.named_modules()}
    return {names[id(m)]: float(getattr(m, f"{p}_mask").mean()) for m, p in prunable_weights(model)}


def compare(label: str, make: object, size: int, train_epochs: int) -> None:
    split = load_digits(seed=0, size=size)
    train_data, test_data = loaders(split, batch_size=64)
    per_mode = {}
    for train_mode in (False, True):
        seed_everything(0)
        model = make()  # type: ignore[operator]
        seed_everything(1)  # the same first batch for both modes
        per_mode[train_mode] = snip(model, None, pruning_ratio=SPARSITY, data=train_data,
                                    train_mode=train_mode, inplace=True)
    dens = {mode: densities(m) for mode, m in per_mode.items()}
    gaps = [abs(dens[True][n] - dens[False][n]) for n in dens[False]]
    print(f"\n{label}: {len(gaps)} layers, density eval → train (points)")
    for name in dens[False]:
        print(f"  {name:28s} {100 * dens[False][name]:6.1f} → {100 * dens[True][name]:6.1f}")
    print(f"  mean |Δ| {100 * sum(gaps) / len(gaps):.1f} points, largest {100 * max(gaps):.1f}")
    if train_epochs:
        for mode, model in per_mode.items():
            train(model, train_data, epochs=train_epochs, seed=0)
            print(f"  {'train' if mode else 'eval'}-mode mask, {train_epochs} epochs: "
                  f"{100 * accuracy(model, test_data):.1f} % test accuracy")


if __name__ == "__main__":
    torch.set_num_threads(1)
    compare("digits_cnn(width=16)", lambda: digits_cnn(width=16), 8, train_epochs=8)
    compare("resnet20 (digits at 32×32)", lambda: resnet20(in_channels=1), 32, train_epochs=0)
