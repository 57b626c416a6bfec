"""Slimmable layers, switchable batch normalisation and their training — Slimmable Neural Networks.

ICLR 2019. Catalog id ``2019-iclr-slimmable-neural-networks`` ·
https://openreview.net/forum?id=H1gMCsAqY7 · official code
https://github.com/JiahuiYu/slimmable_networks

One network, one set of convolution and linear weights, executable at every width ``w`` of a
*width list* (here ``0.25, 0.5, 0.75, 1.0``): at width ``w`` a layer with ``c_in → c_out`` channels
uses only the first ``k(c, w) = round(w·c)`` channels of each side, i.e. the leading block of its
weight tensor,

    y = W[:k(c_out, w), :k(c_in, w)] ∗ x[:, :k(c_in, w)]      (shared weights, sliced)

so narrower widths are sub-networks of the wider ones and cost about ``w²`` of the multiply-adds.
What cannot be shared is batch normalisation: the mean and variance of a channel depend on how many
channels fed it, so a BN layer whose statistics were accumulated at width 1.0 normalises the
features of width 0.25 with the wrong numbers. *Switchable batch normalisation* gives every width
its private BN — its own ``γ_w, β_w`` and running ``μ_w, σ²_w`` —

    ŷ = γ_w · (y − μ_w) / sqrt(σ²_w + ε) + β_w                   (w = the active width)

at the price of a few parameters per width (``2·k(c, w)`` per BN layer). Training runs each batch
at *every* width and accumulates the gradients before one optimiser step (the paper's training
algorithm):

    for each batch (x, y):
        zero the gradients
        for w in width list:  switch to w;  L_w = loss(f_w(x), y);  L_w.backward()   # ∇ Σ_w L_w
        one optimiser step on the shared weights (and each width's BN)

At deployment the width is chosen at run time — for the device or the budget at hand — with
:func:`set_width`; :func:`export_width` copies out the plain ``nn.Conv2d``/``nn.BatchNorm2d``/
``nn.Linear`` network of one width, physically smaller. The first convolution keeps its input
channels (the image's) and the classifier its outputs (the classes): ``slim_in=False`` /
``slim_out=False``.

Measured here (``tests/zoo/test_slimmable.py``; digits, seed 0, one thread, a shared 2-core
machine): ``SlimmableDigitsNet(width=16)`` trained with :func:`train_slimmable` at the four
widths for 6 epochs (batches of 128, ``lr=2e-2``) — one set of weights, 24 394 parameters, of
which 336 are the private BNs of the three narrower widths::

    =====  ===========  ================  ==========  ==============================================
    width  channels     parameters (run)  FLOPs/img   test accuracy (own BN · full-width BN stats)
    =====  ===========  ================  ==========  ==============================================
    0.25   4/8/16       1 702             0.079 M     0.950 · 0.186
    0.5    8/16/32      6 274             0.305 M     0.981 · 0.508
    0.75   12/24/48     13 726            0.678 M     0.994 · 0.933
    1.0    16/32/64     24 058            1.199 M     1.000 · 1.000
    =====  ===========  ================  ==========  ==============================================

Parameters are those of :func:`export_width` (the width-1.0 export is exactly
``digits_cnn(width=16)``, the width-0.25 one ``digits_cnn(width=4)``); FLOPs are counted by
``torch.utils.flop_counter`` on the slimmable net at that width and equal the export's. The last
column is the paper's argument for switchable BN, measured: the same weights with every width
normalised by the full width's running statistics (sliced) fall towards chance at width 0.25.
For comparison, ``digits_cnn`` trained alone at each width with the same recipe reaches 0.956
(width 4), 0.989 (8), 0.981 (12), 0.992 (16): the one shared network is within 0.8 points of
the separately trained ones at 0.25 and 0.5, and above them at 0.75 and 1.0 (one test image is
0.28 points). Seeds 1–3 give 0.917–0.956 at width 0.25 and ≥ 0.978 at the others. Floors
asserted (seed 0): 0.85, 0.93, 0.95, 0.95. Training took 11–16 s on the loaded machine (each
batch runs at four widths).

>>> import torch
>>> from zoo.data import load_digits, loaders
>>> train_data, test_data = loaders(load_digits(seed=0))
>>> _ = torch.manual_seed(0)                          # the initial weights are random
>>> net = SlimmableDigitsNet(width=8)                  # 8/16/32 channels at width 1.0
>>> one_batch = [next(iter(train_data))]               # keeps the example quick
>>> history = train_slimmable(net, one_batch, widths=(0.5, 1.0), epochs=2)
>>> sorted(history.width_losses)
[0.5, 1.0]
>>> set_width(net, 0.5)                                # 4/8/16 channels, the same weights
>>> x = test_data.dataset.tensors[0][:4]
>>> net(x).shape
torch.Size([4, 10])
>>> small = export_width(net, 0.5)                     # plain layers of width 0.5
>>> [m.out_channels for m in small.modules() if isinstance(m, nn.Conv2d)]
[4, 8, 16]
>>> torch.allclose(small(x), net(x), atol=1e-6)
True
>>> set_width(net, 0.3)
Traceback (most recent call last):
...
ValueError: width 0.3 is not in the model's width list (0.25, 0.5, 0.75, 1.0)

Deviations from the paper:

* Scaled to the 8×8 digits: a three-convolution CNN (the shape of :func:`zoo.nets.digits_cnn`,
  which the full width reproduces exactly) instead of the ImageNet networks of the official code
  (MobileNet v1 and v2, ShuffleNet, ResNet-50), trained with the zoo's recipe (Adam, cosine
  decay, :mod:`zoo.training`) for a few epochs instead of the paper's ImageNet schedule.
* Channels per width are ``max(1, round(w·c))`` (halves round up), from one width list shared by
  all layers; the official code gives each layer its list of channel counts per width (for
  MobileNet v2 rounded to multiples of 8 by ``_make_divisible``, which means nothing at 8 to 64
  channels).
* Only plain and depthwise convolutions slim (``groups`` 1 or equal to the channels).
* :func:`export_width` (a plain network of one width) is an addition for deployment and for
  counting; the paper runs the slimmable network at the chosen width directly.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ..metrics import Batches, accuracy
from ..registry import register
from ..training import History, seed_everything

__all__ = [
    "WIDTHS",
    "SlimmableConv2d",
    "SlimmableDigitsNet",
    "SlimmableHistory",
    "SlimmableLinear",
    "SwitchableBatchNorm2d",
    "active_width",
    "evaluate_widths",
    "export_width",
    "set_width",
    "slim_channels",
    "train_slimmable",
    "widths_of",
]

WIDTHS: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)  # the default width list
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def slim_channels(channels: int, width: float) -> int:
    """``k(c, w)``: the leading channels a layer of ``channels`` uses at ``width`` (at least 1)."""
    return max(1, math.floor(width * channels + 0.5))


def _width_list(widths: Iterable[float]) -> tuple[float, ...]:
    """Validated, sorted, de-duplicated width list: numbers in (0, 1]."""
    values = tuple(widths)
    if not values:
        raise ValueError("the width list is empty")
    for w in values:
        if isinstance(w, bool) or not isinstance(w, int | float) or not 0 < w <= 1:
            raise ValueError(f"widths are numbers in (0, 1], got {w!r} in {values!r}")
    return tuple(sorted({float(w) for w in values}))


def _match(widths: tuple[float, ...], width: object) -> float:
    """The entry of ``widths`` equal to ``width``; ``ValueError`` naming the list otherwise."""
    if isinstance(width, int | float) and not isinstance(width, bool):
        for w in widths:
            if math.isclose(w, width, rel_tol=0.0, abs_tol=1e-9):
                return w
    listed = ", ".join(str(w) for w in widths)
    raise ValueError(f"width {width!r} is not in the model's width list ({listed})")


class _Switch:
    """What every slimmable layer shares: its width list and the active width."""

    widths: tuple[float, ...]
    width: float

    def _init_switch(self, widths: Iterable[float]) -> None:
        self.widths = _width_list(widths)
        self.width = self.widths[-1]  # built at full width

    @property
    def index(self) -> int:
        """Position of the active width in the width list (which private BN runs)."""
        return self.widths.index(self.width)

    def plain(self) -> nn.Module:  # pragma: no cover - every subclass overrides
        raise NotImplementedError


class SlimmableConv2d(nn.Conv2d, _Switch):
    """``nn.Conv2d`` whose active width ``w`` uses the leading ``k(c_in, w) → k(c_out, w)`` block
    of its weight. ``slim_in=False`` keeps all input channels (the first layer reads the image);
    ``slim_out=False`` keeps all output channels. Depthwise convolutions (``groups`` equal to the
    channels) slim their groups with their channels."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        *,
        widths: Iterable[float] = WIDTHS,
        slim_in: bool = True,
        slim_out: bool = True,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias)
        depthwise = groups > 1
        if depthwise and not (groups == in_channels == out_channels and slim_in == slim_out):
            raise ValueError(f"SlimmableConv2d slims plain (groups=1) or depthwise convolutions "
                             f"(groups = in = out channels), got groups={groups}, "
                             f"{in_channels} → {out_channels}")
        self.slim_in, self.slim_out = slim_in, slim_out
        self._init_switch(widths)

    def channels(self, width: float | None = None) -> tuple[int, int]:
        """(input, output) channels at ``width`` (default: the active width)."""
        w = self.width if width is None else _match(self.widths, width)
        c_in = slim_channels(self.in_channels, w) if self.slim_in else self.in_channels
        c_out = slim_channels(self.out_channels, w) if self.slim_out else self.out_channels
        return c_in, c_out

    def _sliced(self) -> tuple[torch.Tensor, torch.Tensor | None, int]:
        c_in, c_out = self.channels()
        groups = c_in if self.groups > 1 else 1
        weight = self.weight[:c_out, : c_in // groups]  # the shared weights' leading block
        bias = None if self.bias is None else self.bias[:c_out]
        return weight, bias, groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight, bias, groups = self._sliced()
        c_in = weight.shape[1] * groups
        if x.shape[1] != c_in:
            raise ValueError(f"SlimmableConv2d at width {self.width:g} expects {c_in} input "
                             f"channels, got {x.shape[1]} (set every layer's width with "
                             f"set_width(model, w))")
        return F.conv2d(x, weight, bias, self.stride, self.padding, self.dilation, groups)

    def plain(self) -> nn.Conv2d:
        """An ``nn.Conv2d`` of the active width holding a copy of the sliced weights."""
        weight, bias, groups = self._sliced()
        conv = nn.Conv2d(weight.shape[1] * groups, weight.shape[0], self.kernel_size,
                         self.stride, self.padding, self.dilation, groups, bias is not None)
        with torch.no_grad():
            conv.weight.copy_(weight)
            if bias is not None:
                conv.bias.copy_(bias)
        return conv.to(self.weight.device)


class SlimmableLinear(nn.Linear, _Switch):
    """``nn.Linear`` whose active width uses the leading ``k(in, w) → k(out, w)`` weight block;
    the classifier keeps its outputs with ``slim_out=False``."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        widths: Iterable[float] = WIDTHS,
        slim_in: bool = True,
        slim_out: bool = True,
    ) -> None:
        super().__init__(in_features, out_features, bias)
        self.slim_in, self.slim_out = slim_in, slim_out
        self._init_switch(widths)

    def features(self, width: float | None = None) -> tuple[int, int]:
        """(input, output) features at ``width`` (default: the active width)."""
        w = self.width if width is None else _match(self.widths, width)
        f_in = slim_channels(self.in_features, w) if self.slim_in else self.in_features
        f_out = slim_channels(self.out_features, w) if self.slim_out else self.out_features
        return f_in, f_out

    def _sliced(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        f_in, f_out = self.features()
        return self.weight[:f_out, :f_in], None if self.bias is None else self.bias[:f_out]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight, bias = self._sliced()
        if x.shape[-1] != weight.shape[1]:
            raise ValueError(f"SlimmableLinear at width {self.width:g} expects {weight.shape[1]} "
                             f"input features, got {x.shape[-1]} (set every layer's width with "
                             f"set_width(model, w))")
        return F.linear(x, weight, bias)

    def plain(self) -> nn.Linear:
        """An ``nn.Linear`` of the active width holding a copy of the sliced weights."""
        weight, bias = self._sliced()
        linear = nn.Linear(weight.shape[1], weight.shape[0], bias is not None)
        with torch.no_grad():
            linear.weight.copy_(weight)
            if bias is not None:
                linear.bias.copy_(bias)
        return linear.to(self.weight.device)


class SwitchableBatchNorm2d(nn.Module, _Switch):
    """Switchable BN: one private ``nn.BatchNorm2d`` of ``k(num_features, w)`` channels per width
    ``w`` — its own affine parameters and running statistics — chosen by the active width."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        widths: Iterable[float] = WIDTHS,
    ) -> None:
        super().__init__()
        self._init_switch(widths)
        self.num_features = num_features
        self.bn = nn.ModuleList(  # bn[i] belongs to widths[i] and only ever sees its features
            nn.BatchNorm2d(slim_channels(num_features, w), eps, momentum, affine,
                           track_running_stats)
            for w in self.widths
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bn = self.bn[self.index]
        if x.shape[1] != bn.num_features:
            raise ValueError(f"SwitchableBatchNorm2d at width {self.width:g} expects "
                             f"{bn.num_features} channels, got {x.shape[1]} (set every layer's "
                             f"width with set_width(model, w))")
        return bn(x)

    def plain(self) -> nn.BatchNorm2d:
        """A copy of the active width's private ``nn.BatchNorm2d``."""
        return copy.deepcopy(self.bn[self.index])


def _switches(model: nn.Module) -> list[_Switch]:
    found = [m for m in model.modules() if isinstance(m, _Switch)]
    if not found:
        raise ValueError(f"{type(model).__name__} has no slimmable layers (SlimmableConv2d, "
                         "SlimmableLinear, SwitchableBatchNorm2d)")
    return found


def widths_of(model: nn.Module) -> tuple[float, ...]:
    """The width list of ``model``'s slimmable layers (``ValueError`` if they disagree)."""
    lists = {m.widths for m in _switches(model)}
    if len(lists) > 1:
        raise ValueError(f"the slimmable layers of {type(model).__name__} have different width "
                         f"lists: {sorted(lists)}")
    return lists.pop()


def set_width(model: nn.Module, width: float) -> None:
    """Switch every slimmable layer of ``model`` to ``width`` (one of its width list), in place.

    Nothing changes when ``width`` is not in the list: ``ValueError`` names the list.
    """
    switches = _switches(model)
    matched = [_match(m.widths, width) for m in switches]  # validate all before switching any
    for module, w in zip(switches, matched, strict=True):
        module.width = w


def active_width(model: nn.Module) -> float:
    """The width ``model`` runs at (``ValueError`` if its layers were switched differently)."""
    widths = {m.width for m in _switches(model)}
    if len(widths) > 1:
        raise ValueError(f"the layers of {type(model).__name__} run at different widths: "
                         f"{sorted(widths)}")
    return widths.pop()


def export_width(model: nn.Module, width: float) -> nn.Module:
    """A copy of ``model`` at ``width`` with every slimmable layer replaced by the plain
    ``nn.Conv2d`` / ``nn.Linear`` / ``nn.BatchNorm2d`` it runs as: the physically smaller network,
    computing the same outputs. ``model`` itself is left as it was."""
    _match(widths_of(model), width)
    slim = copy.deepcopy(model)
    set_width(slim, width)

    def replace(parent: nn.Module) -> None:
        for name, child in parent.named_children():
            if isinstance(child, _Switch):
                plain = child.plain()
                plain.train(child.training)
                setattr(parent, name, plain)
            else:
                replace(child)

    replace(slim)
    return slim


def evaluate_widths(model: nn.Module, data: Batches) -> dict[float, float]:
    """Top-1 test accuracy in [0, 1] at every width of ``model``'s width list (eval mode); the
    model is switched back to the width it had."""
    previous = active_width(model)
    batches = list(data)  # one pass of the loader for every width
    try:
        results = {}
        for w in widths_of(model):
            set_width(model, w)
            results[w] = accuracy(model, batches)
        return results
    finally:
        set_width(model, previous)


@dataclass
class SlimmableHistory(History):
    """Per epoch: ``losses`` the mean over widths; ``width_losses[w]`` the mean loss at width w."""

    width_losses: dict[float, list[float]] = field(default_factory=dict)


@register(
    "slimmable",
    paper="2019-iclr-slimmable-neural-networks",
    category="architecture",
    subcategory="dynamic",
    summary="Slimmable network: shared weights run at several widths, a private BN per width, "
    "each batch trained at every width",
)
def train_slimmable(
    model: nn.Module,
    data: Batches,
    widths: Sequence[float] | None = None,
    *,
    epochs: int = 10,
    lr: float = 1e-2,
    weight_decay: float = 0.0,
    loss_fn: LossFn = F.cross_entropy,
    seed: int | None = 0,
) -> SlimmableHistory:
    """Train a slimmable ``model`` in place: each batch at every width of ``widths`` (default:
    the model's width list), gradients summed, one Adam step; cosine learning-rate decay as in
    :func:`zoo.training.train`. Returns at full width, in eval mode.

    ``seed`` seeds PyTorch's generator (the loaders' shuffle) as ``zoo.training.train`` does.
    """
    own = widths_of(model)
    schedule = own if widths is None else tuple(_match(own, w) for w in widths)
    if not schedule:
        raise ValueError("train_slimmable needs at least one width to train")
    if seed is not None:
        seed_everything(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(epochs, 1))
    history = SlimmableHistory(width_losses={w: [] for w in schedule})
    model.train()
    for _ in range(epochs):
        sums = dict.fromkeys(schedule, 0.0)
        batches = 0
        for x, y in data:
            optimizer.zero_grad(set_to_none=True)
            for w in schedule:  # every switch on the same batch; the gradients add up
                set_width(model, w)
                loss = loss_fn(model(x), y)
                loss.backward()
                sums[w] += float(loss.detach())
            optimizer.step()  # one update from Σ_w ∇L_w
            batches += 1
        scheduler.step()
        for w in schedule:
            history.width_losses[w].append(sums[w] / max(batches, 1))
        history.losses.append(sum(sums.values()) / max(batches, 1) / len(schedule))
    set_width(model, own[-1])
    model.eval()
    return history


def _block(c_in: int, c_out: int, widths: tuple[float, ...], *, slim_in: bool = True
           ) -> nn.Sequential:
    return nn.Sequential(
        SlimmableConv2d(c_in, c_out, 3, padding=1, bias=False, widths=widths, slim_in=slim_in),
        SwitchableBatchNorm2d(c_out, widths=widths),
        nn.ReLU(inplace=True),
    )


class SlimmableDigitsNet(nn.Module):
    """:func:`zoo.nets.digits_cnn` made slimmable: ``width``, ``2·width``, ``4·width`` channels at
    width 1.0 (exactly the digits CNN's layers once exported), ``round(w·…)`` at width ``w``."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, width: int = 16,
                 widths: Iterable[float] = WIDTHS) -> None:
        super().__init__()
        ws = _width_list(widths)
        self.features = nn.Sequential(
            _block(in_channels, width, ws, slim_in=False),  # reads the image: all its channels
            _block(width, 2 * width, ws),
            nn.MaxPool2d(2),
            _block(2 * width, 4 * width, ws),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = SlimmableLinear(4 * width, num_classes, widths=ws, slim_out=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))
