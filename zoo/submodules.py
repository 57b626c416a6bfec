"""The model a method rebuilds, and the layers it must leave alone (shared by pruning, low-rank).

Methods that rebuild a model take ``ignored_layers`` either as modules of the caller's model or as
qualified names (``"layer3.0.conv1"``) and, unless ``inplace``, work on a deep copy. The copy holds
new module objects, so the ignored layers are resolved to names first and looked up again in the
copy: :func:`working_copy` returns the model to change and the ignored layers *as they are in it*.
Replacing a layer at a qualified name is PyTorch's own ``nn.Module.set_submodule``.

>>> from torch import nn
>>> model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
>>> copy, ignored = working_copy(model, [model[2], "0"])
>>> copy is model, ignored == [copy[2], copy[0]], ignored[0] is model[2]
(False, True, False)
"""

from __future__ import annotations

from .registry import import_zoo_module

import_zoo_module("torch", __name__)  # without PyTorch: MissingExtraError with the install line

import copy
from collections.abc import Iterable

from torch import nn

__all__ = ["working_copy"]


def working_copy(
    model: nn.Module, ignored_layers: Iterable[nn.Module | str] = (), *, inplace: bool = False
) -> tuple[nn.Module, list[nn.Module]]:
    """The model to operate on (the caller's own object only when ``inplace``) and its ignored
    layers, given as modules of the caller's model or by qualified name (``"layer3.0.conv1"``).

    Raises ``ValueError`` for an ignored layer that is not a module of ``model``.
    """
    modules = dict(model.named_modules())
    names = {id(m): name for name, m in modules.items()}
    wanted = []
    for layer in ignored_layers:
        name = layer if isinstance(layer, str) else names.get(id(layer))
        if name is None or name not in modules:
            raise ValueError(f"ignored layer {layer!r} is not a module of the model")
        wanted.append(name)
    target = model if inplace else copy.deepcopy(model)
    twins = dict(target.named_modules())
    return target, [twins[name] for name in wanted]
