"""Low-rank decomposition: :func:`decompose` replaces layers with their factorised sequences.

* ``nn.Linear`` and ``1×1`` ``nn.Conv2d`` → truncated SVD, two thinner layers
  (:mod:`zoo.lowrank.svd`, Denton et al., NeurIPS 2014);
* ``k×k`` ``nn.Conv2d`` → Tucker-2, ``1×1`` → ``k×k`` core → ``1×1``
  (:mod:`zoo.lowrank.tucker`, Kim et al., ICLR 2016);
* :func:`~zoo.lowrank.cp.cp_conv` (Lebedev et al., ICLR 2015) is available per layer.

Ranks follow one rule for every layer (:mod:`zoo.lowrank.ranks`): ``rank_ratio`` keeps a fraction
of each full rank, ``energy`` keeps the leading singular values holding that share of ``‖W‖_F²``,
and with neither, VBMF estimates the rank — Kim et al.'s choice. Tucker-2 applies the rule to the
output-channel and input-channel unfoldings of the kernel separately.

>>> import torch
>>> import zoo
>>> from zoo.nets import digits_cnn
>>> model = digits_cnn(width=16)
>>> small = zoo.decompose(model, rank_ratio=0.25)
>>> sum(p.numel() for p in small.parameters()) < sum(p.numel() for p in model.parameters())
True
>>> small(torch.zeros(1, 1, 8, 8)).shape
torch.Size([1, 10])
"""

from __future__ import annotations

from ..registry import import_zoo_module

import_zoo_module("torch", __name__)  # without PyTorch: MissingExtraError with the install line

from collections.abc import Iterable

from torch import nn

from ..submodules import working_copy
from .cp import cp_als, cp_conv
from .factorized import Factorized
from .ranks import select_rank, vbmf_rank
from .svd import svd_linear, svd_pointwise_conv, truncated_svd
from .tucker import tucker2, tucker2_conv, unfold

__all__ = [
    "Factorized",
    "cp_als",
    "cp_conv",
    "decompose",
    "select_rank",
    "svd_linear",
    "svd_pointwise_conv",
    "truncated_svd",
    "tucker2",
    "tucker2_conv",
    "vbmf_rank",
]


def _factorise(
    layer: nn.Module, rank_ratio: float | None, energy: float | None
) -> Factorized | None:
    """The factorised replacement of ``layer``, or ``None`` when its type is not handled."""
    rule = {"rank_ratio": rank_ratio, "energy": energy}
    if type(layer) is nn.Linear:  # exact type: subclasses (e.g. attention projections) differ
        return svd_linear(layer, select_rank(layer.weight.detach(), **rule))
    if type(layer) is not nn.Conv2d or layer.groups != 1 or layer.padding_mode != "zeros":
        return None
    if layer.kernel_size == (1, 1):
        return svd_pointwise_conv(layer, select_rank(layer.weight.detach().flatten(1), **rule))
    weight = layer.weight.detach()
    ranks = (select_rank(unfold(weight, 0), **rule), select_rank(unfold(weight, 1), **rule))
    return tucker2_conv(layer, ranks)


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def decompose(
    model: nn.Module,
    *,
    rank_ratio: float | None = None,
    energy: float | None = None,
    ignored_layers: Iterable[nn.Module | str] = (),
    only_smaller: bool = True,
    inplace: bool = False,
) -> nn.Module:
    """``model`` with its ``Linear`` and dense ``Conv2d`` layers replaced by low-rank factors.

    Give at most one of ``rank_ratio`` (fraction of each full rank, in (0, 1]) and ``energy``
    (share of ``‖W‖_F²`` kept, in (0, 1]); with neither, VBMF picks the ranks. ``ignored_layers``
    (modules or qualified names) stay as they are, and so does any layer whose factorisation would
    not have fewer parameters unless ``only_smaller=False``. The caller's model is left unchanged
    unless ``inplace``. Fine-tune the result to recover accuracy.
    """
    if rank_ratio is not None and energy is not None:
        raise ValueError("give rank_ratio or energy (or neither, for VBMF), not both")
    target, ignored = working_copy(model, ignored_layers, inplace=inplace)
    skip = {id(layer) for layer in ignored}
    done = [name for name, m in target.named_modules() if isinstance(m, Factorized)]
    replacements = {}
    for name, layer in target.named_modules():
        if id(layer) in skip or any(name.startswith(f"{d}.") for d in done):
            continue  # ignored, or a factor of an earlier decomposition
        new = _factorise(layer, rank_ratio, energy)
        if new is not None and (not only_smaller or _count(new) < _count(layer)):
            replacements[name] = new
    if "" in replacements:  # the model is a single layer: its factorisation is the result
        return replacements[""]
    for name, new in replacements.items():
        target.set_submodule(name, new, strict=True)
    return target
