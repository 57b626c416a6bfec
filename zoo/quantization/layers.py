"""Quantised drop-in layers and the helper that swaps them into any model.

A method in this package is mostly a *weight quantiser* (a module mapping the real-valued latent
weight to its quantised value) and sometimes an *input quantiser* for the activations a layer
reads. :class:`QuantLinear` and :class:`QuantConv2d` hold both and otherwise behave like the
layers they replace; :func:`swap_layers` puts them into a copy of a user's model. The latent
weight stays a normal ``nn.Parameter``, so optimisers, ``state_dict`` and pruning keep working.

Layers that read their weights directly rather than through a submodule's ``forward`` —
``nn.MultiheadAttention`` (``in_proj_weight`` or ``q/k/v_proj_weight``, and ``out_proj.weight``,
which ``F.multi_head_attention_forward`` reads without calling ``out_proj``) and the recurrent
layers (``nn.LSTM``/``nn.GRU``/``nn.RNN``: ``weight_ih_l*``, ``weight_hh_l*``) — get the weight
quantiser as a ``torch.nn.utils.parametrize`` parametrisation of each of those tensors: the module
keeps reading its attribute and gets the quantised tensor (:func:`layer_weights` lists them).
Their inputs stay float (activation quantisers are for Linear/Conv2d inputs).

>>> import torch
>>> from torch import nn
>>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
>>> q = swap_layers(net, lambda name, layer: quant_layer(layer, nn.Identity()))
>>> [type(m).__name__ for m in q]  # first and last layers stay float by default
['Linear', 'ReLU', 'QuantLinear', 'ReLU', 'Linear']
>>> torch.equal(q(torch.ones(1, 4)), net(torch.ones(1, 4)))  # identity quantiser: same outputs
True
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

__all__ = [
    "QuantConv2d",
    "QuantLayer",
    "QuantLinear",
    "Quantizer",
    "default_skip",
    "latent_weights",
    "layer_weights",
    "quant_layer",
    "quantizable_layers",
    "quantized_weights",
    "swap_layers",
]


class Quantizer(nn.Module):
    """Base class of weight and input quantisers: ``forward`` maps a tensor to its quantised value.

    Quantisers may sample while training and must be deterministic in eval mode, which is what a
    deployed model and :func:`~zoo.quantization.batchnorm.recalibrate_batchnorm` rely on.
    """


class QuantLayer:
    """Mixin of the quantised layers: a ``weight_quantizer`` and an ``input_quantizer`` module."""

    weight: nn.Parameter
    weight_quantizer: nn.Module
    input_quantizer: nn.Module

    def _init_quantizers(self, weight_quantizer: nn.Module, input_quantizer: nn.Module | None):
        self.weight_quantizer = weight_quantizer
        self.input_quantizer = input_quantizer if input_quantizer is not None else nn.Identity()

    def quantized_weight(self) -> torch.Tensor:
        """The weight the forward pass uses (differentiable w.r.t. the latent weight)."""
        return self.weight_quantizer(self.weight)


class QuantLinear(QuantLayer, nn.Linear):
    """``nn.Linear`` that multiplies by ``weight_quantizer(weight)`` the ``input_quantizer(x)``."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        weight_quantizer: nn.Module,
        input_quantizer: nn.Module | None = None,
    ) -> None:
        super().__init__(in_features, out_features, bias)
        self._init_quantizers(weight_quantizer, input_quantizer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(self.input_quantizer(x), self.quantized_weight(), self.bias)


class QuantConv2d(QuantLayer, nn.Conv2d):
    """``nn.Conv2d`` that convolves ``input_quantizer(x)`` with ``weight_quantizer(weight)``."""

    def __init__(
        self,
        *args: object,
        weight_quantizer: nn.Module,
        input_quantizer: nn.Module | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._init_quantizers(weight_quantizer, input_quantizer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(self.input_quantizer(x), self.quantized_weight(), self.bias)


def layer_weights(layer: nn.Module) -> list[str]:
    """Names (relative to ``layer``) of the weight tensors its forward multiplies by."""
    if isinstance(layer, nn.MultiheadAttention):
        own = ["in_proj_weight"] if layer.in_proj_weight is not None else [
            "q_proj_weight", "k_proj_weight", "v_proj_weight"]
        return [*own, "out_proj.weight"]
    if isinstance(layer, nn.RNNBase):
        return [n for n in layer._flat_weights_names if n.startswith("weight_")]
    return ["weight"]


_DIRECT_READERS = (nn.MultiheadAttention, nn.RNNBase)  # layers whose forward reads raw weights


def _parametrized_copy(layer: nn.Module, weight_quantizer: nn.Module) -> nn.Module:
    """A copy of ``layer`` whose weights go through (a copy of) ``weight_quantizer`` each."""
    new = copy.deepcopy(layer)
    for path in layer_weights(new):
        owner_name, _, tensor = path.rpartition(".")
        owner = new.get_submodule(owner_name)
        parametrize.register_parametrization(owner, tensor, copy.deepcopy(weight_quantizer))
    return new


def quant_layer(
    layer: nn.Module,
    weight_quantizer: nn.Module,
    input_quantizer: nn.Module | None = None,
    *,
    cls: type[QuantLinear] | type[QuantConv2d] | None = None,
) -> nn.Module:
    """A quantised copy of ``layer`` with the same parameters: a :class:`QuantLinear` /
    :class:`QuantConv2d` for ``nn.Linear`` / ``nn.Conv2d`` (``cls`` picks a subclass whose
    forward differs), or for attention and recurrent layers the same layer with every weight
    parametrised by a copy of ``weight_quantizer`` (``input_quantizer`` does not apply there).
    """
    if isinstance(layer, _DIRECT_READERS):
        return _parametrized_copy(layer, weight_quantizer)
    quantizers = {"weight_quantizer": weight_quantizer, "input_quantizer": input_quantizer}
    if isinstance(layer, nn.Conv2d):
        new: QuantLinear | QuantConv2d = (cls or QuantConv2d)(
            layer.in_channels,
            layer.out_channels,
            layer.kernel_size,
            stride=layer.stride,
            padding=layer.padding,
            dilation=layer.dilation,
            groups=layer.groups,
            bias=layer.bias is not None,
            padding_mode=layer.padding_mode,
            **quantizers,
        )
    elif isinstance(layer, nn.Linear):
        new = (cls or QuantLinear)(
            layer.in_features, layer.out_features, layer.bias is not None, **quantizers
        )
    else:
        raise TypeError(
            "can only quantise nn.Linear, nn.Conv2d, nn.MultiheadAttention and recurrent "
            f"layers, not {type(layer).__name__}"
        )
    new.to(device=layer.weight.device, dtype=layer.weight.dtype)
    new.load_state_dict(layer.state_dict(), strict=False)  # weight and bias; quantisers keep theirs
    new.train(layer.training)
    return new


def quantizable_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(name, layer)`` of every float ``nn.Linear`` / ``nn.Conv2d`` / ``nn.MultiheadAttention`` /
    recurrent layer, in registration order (an attention layer's ``out_proj`` belongs to it)."""
    found: list[tuple[str, nn.Module]] = []
    inside: list[str] = []  # attention layers: their out_proj is quantised with them
    for name, m in model.named_modules():
        if any(name.startswith(f"{outer}.") for outer in inside):
            continue
        if parametrize.is_parametrized(m) or isinstance(m, QuantLayer):
            if isinstance(m, nn.MultiheadAttention):
                inside.append(name)
            continue
        if isinstance(m, _DIRECT_READERS):
            inside.append(name)
            if not any(parametrize.is_parametrized(sub) for sub in m.modules()):
                found.append((name, m))
        elif isinstance(m, nn.Linear | nn.Conv2d):
            found.append((name, m))
    return found


def default_skip(model: nn.Module) -> tuple[str, ...]:
    """Names of the first and the last quantizable ``Linear``/``Conv2d``, which most papers keep
    in float (attention and recurrent layers are never skipped by default).

    The first layer reads raw pixels and has few weights; the classifier has no BatchNorm after it
    to absorb the scale lost to binarisation. Registration order is taken as data-flow order, which
    holds for ``nn.Sequential``-style models; pass ``skip`` explicitly when it does not.
    """
    names = [
        name for name, m in quantizable_layers(model) if not isinstance(m, _DIRECT_READERS)
    ]
    return tuple(dict.fromkeys(names[:1] + names[-1:]))


def swap_layers(
    model: nn.Module,
    build: Callable[[str, nn.Module], nn.Module | None],
    *,
    skip: Collection[str] | None = None,
    inplace: bool = False,
) -> nn.Module:
    """Replace each ``nn.Linear`` / ``nn.Conv2d`` named ``n`` by ``build(n, layer)``.

    ``build`` returning ``None`` leaves a layer alone; ``skip`` names layers to leave in float
    (default :func:`default_skip`, ``()`` quantises everything). The input model is deep-copied
    unless ``inplace``.
    """
    if not inplace:
        model = copy.deepcopy(model)
    skip = default_skip(model) if skip is None else tuple(skip)
    known = {name for name, _ in quantizable_layers(model)}
    if unknown := sorted(set(skip) - known):
        raise KeyError(f"skip names no Linear/Conv2d layer of the model: {', '.join(unknown)}")
    for name, layer in quantizable_layers(model):
        if name in skip:
            continue
        new = build(name, layer)
        if new is not None:
            model.set_submodule(name, new)
    return model


@torch.no_grad()
def quantized_weights(model: nn.Module) -> dict[str, torch.Tensor]:
    """The deployed (eval-mode) quantised weights: of every :class:`QuantLayer` by layer name, of
    every parametrised attention or recurrent weight by its qualified name
    (``"blocks.0.attn.in_proj_weight"``).

    Eval mode matters: stochastic quantisers sample only while training.
    """
    was_training = model.training
    model.eval()
    try:
        found = {}
        for name, m in model.named_modules():
            if isinstance(m, QuantLayer):
                found[name] = m.quantized_weight().clone()
            elif parametrize.is_parametrized(m):
                for tensor, chain in m.parametrizations.items():
                    if any(isinstance(q, Quantizer) for q in chain):
                        found[f"{name}.{tensor}" if name else tensor] = getattr(m, tensor).clone()
        return found
    finally:
        model.train(was_training)


def latent_weights(layer: nn.Module) -> list[nn.Parameter]:
    """The real-valued weights a quantised layer trains (its ``weight``, or the originals behind
    its parametrisations)."""
    if isinstance(layer, QuantLayer):
        return [layer.weight]
    found = []
    for path in layer_weights(layer):
        owner_name, _, tensor = path.rpartition(".")
        owner = layer.get_submodule(owner_name)
        if parametrize.is_parametrized(owner, tensor):
            found.append(owner.parametrizations[tensor].original)
    return found
