"""Low-rank decomposition: :func:`decompose` replaces layers with their factorised sequences.

* ``nn.Linear`` and ``1×1`` ``nn.Conv2d`` → truncated SVD, two thinner layers
  (:mod:`zoo.lowrank.svd`, Denton et al., NeurIPS 2014);
* ``k×k`` ``nn.Conv2d`` → Tucker-2, ``1×1`` → ``k×k`` core → ``1×1``
  (:mod:`zoo.lowrank.tucker`, Kim et al., ICLR 2016);
* :func:`~zoo.lowrank.cp.cp_conv` (Lebedev et al., ICLR 2015) is available per layer.

Ranks follow one rule for every layer (:mod:`zoo.lowrank.ranks`): ``rank_ratio`` keeps a fraction
of each full rank, ``energy`` keeps the leading singular values holding that share of ``‖W‖_F²``
(the default: 0.9), and ``vbmf=True`` lets VBMF estimate the rank — Kim et al.'s choice, which
on small or briefly trained nets keeps far too little. Tucker-2 applies the rule to the
output-channel and input-channel unfoldings of the kernel separately. A :class:`RankWarning`
says when the rule removes more than 90 % of a layer's or of the model's parameters.

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

import warnings
from collections.abc import Iterable

from torch import nn

from ..submodules import working_copy
from .cp import cp_als, cp_conv
from .factorized import Factorized
from .ranks import DEFAULT_ENERGY, select_rank, vbmf_rank
from .svd import svd_linear, svd_pointwise_conv, truncated_svd
from .tucker import tucker2, tucker2_conv, unfold

__all__ = [
    "DEFAULT_ENERGY",
    "Factorized",
    "RankWarning",
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


REMOVED_WARNING = 0.9  # warn when a rule removes more than this share of the parameters


class RankWarning(UserWarning):
    """A rank rule removed more than 90 % of a layer's or of the model's parameters."""


def _factorise(layer: nn.Module, rule: dict[str, object]) -> Factorized | None:
    """The factorised replacement of ``layer``, or ``None`` when its type is not handled."""
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


def _warn_if_gutted(what: str, before: int, after: int, rule: str) -> None:
    if after < (1 - REMOVED_WARNING) * before:
        warnings.warn(
            f"decompose ({rule}) removes {100 * (1 - after / before):.1f} % of {what}'s "
            f"parameters ({before} → {after}); check the accuracy or keep more energy",
            RankWarning, stacklevel=3,
        )


def decompose(
    model: nn.Module,
    *,
    rank_ratio: float | None = None,
    energy: float | None = None,
    vbmf: bool = False,
    ignored_layers: Iterable[nn.Module | str] = (),
    only_smaller: bool = True,
    inplace: bool = False,
) -> nn.Module:
    """``model`` with its ``Linear`` and dense ``Conv2d`` layers replaced by low-rank factors.

    Give at most one of ``rank_ratio`` (fraction of each full rank, in (0, 1]), ``energy`` (share
    of ``‖W‖_F²`` kept, in (0, 1]) and ``vbmf=True`` (VBMF picks the ranks); with none,
    ``energy=DEFAULT_ENERGY``. ``ignored_layers`` (modules or qualified names) stay as they are,
    and so does any layer whose factorisation would not have fewer parameters unless
    ``only_smaller=False``. A :class:`RankWarning` is issued for every layer, and for the model,
    losing more than 90 % of its parameters. The caller's model is left unchanged unless
    ``inplace``. Fine-tune the result to recover accuracy.
    """
    if sum((rank_ratio is not None, energy is not None, vbmf)) > 1:
        raise ValueError("give one of rank_ratio, energy or vbmf (none: energy), not both")
    if rank_ratio is None and energy is None and not vbmf:
        energy = DEFAULT_ENERGY
    rule = {"rank_ratio": rank_ratio, "energy": energy, "vbmf": vbmf}
    shown = ("vbmf" if vbmf else f"rank_ratio={rank_ratio}" if rank_ratio is not None
             else f"energy={energy}")
    target, ignored = working_copy(model, ignored_layers, inplace=inplace)
    before = _count(target)
    skip = {id(layer) for layer in ignored}
    done = [name for name, m in target.named_modules() if isinstance(m, Factorized)]
    replacements = {}
    for name, layer in target.named_modules():
        if id(layer) in skip or any(name.startswith(f"{d}.") for d in done):
            continue  # ignored, or a factor of an earlier decomposition
        new = _factorise(layer, rule)
        if new is not None and (not only_smaller or _count(new) < _count(layer)):
            if name:
                _warn_if_gutted(f"layer {name!r}", _count(layer), _count(new), shown)
            replacements[name] = new
    if "" in replacements:  # the model is a single layer: its factorisation is the result
        target = replacements[""]
    else:
        for name, new in replacements.items():
            target.set_submodule(name, new, strict=True)
    _warn_if_gutted("the model", before, _count(target), shown)
    return target
