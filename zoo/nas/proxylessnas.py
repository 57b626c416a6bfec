"""Latency-aware path search with binarised paths (ProxylessNAS).

ProxylessNAS: Direct Neural Architecture Search on Target Task and Hardware.
Han Cai, Ligeng Zhu, Song Han. ICLR 2019.
Catalog id ``2019-iclr-proxylessnas`` · https://arxiv.org/abs/1812.00332 ·
official code https://github.com/MIT-HAN-LAB/ProxylessNAS

Each block of a chain network chooses one of ``N`` candidate operations (inverted-residual
MBConv blocks with different kernels and expansions, or ``zero`` to skip a residual block). An
over-parameterised network holds them all, with architecture parameters ``α`` per block, but
*binarised paths* keep only one active at a time, so memory stays that of a single network:

    g = one-hot sample of p = softmax(α),   out = Σ_i g_i · o_i(x)
    ∂L/∂α_i = Σ_j ∂L/∂g_j · p_j (δ_ij − p_i)

Latency is made differentiable through a lookup table of each candidate's latency, measured on
the target hardware: ``E[LAT] = Σ_blocks Σ_i p_i · LAT(o_i)``, and the architecture minimises

    L = L_CE + λ · E[LAT].

Measured here (``tests/zoo/test_nas.py``; digits, seed 0, one thread): the lookup table of
19 candidates takes 0.1 s to measure. At batch size 1 on this CPU every MBConv variant costs
≈ 0.14 ms — Python dispatch, not arithmetic, dominates such tiny layers — and a skipped block
0.002 ms, so latency pressure removes blocks rather than shrinking kernels: λ = 0 keeps all four
blocks (table latency 0.59 ms, 12.6 k parameters, 0.989 test accuracy after 6 epochs), λ = 1/ms
skips three (0.15 ms, 2.8 k parameters, 0.983). A search (4 epochs) takes ≈ 4 s. Asserted:
with a fixed table, a large λ gives a lower table latency than λ = 0.

>>> import torch
>>> net = ProxylessSuperNet()
>>> net(torch.zeros(2, 1, 8, 8)).shape
torch.Size([2, 10])
>>> net.blocks[0].candidates
('mb3_e3', 'mb3_e6', 'mb5_e3', 'mb5_e6', 'zero')

Deviations from the paper:

* The gate gradient needs every candidate's output: inactive candidates run without autograd
  (no weight update, as in the paper), instead of the paper's sampling of two paths.
* A tiny chain for 8×8 digits (four blocks, four MBConv variants); latency is measured with
  :func:`zoo.metrics.latency` at batch size 1 on the CPU the search runs on.
* Weights and ``α`` alternate one step each (Adam), as in :mod:`zoo.nas.darts`.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ..metrics import Batches, latency
from ..registry import register
from ..training import seed_everything

__all__ = [
    "CANDIDATES",
    "ChoiceBlock",
    "MBConv",
    "ProxylessResult",
    "ProxylessSuperNet",
    "latency_table",
    "proxyless_search",
]

CANDIDATES = ("mb3_e3", "mb3_e6", "mb5_e3", "mb5_e6", "zero")
DIGITS_BLOCKS = ((8, 8, 1), (8, 16, 2), (16, 16, 1), (16, 16, 1))  # (in, out, stride)


class MBConv(nn.Module):
    """Inverted residual: 1×1 expand, k×k depthwise (strided), 1×1 project; residual if it fits."""

    def __init__(self, c_in: int, c_out: int, stride: int, kernel: int, expand: int) -> None:
        super().__init__()
        hidden = c_in * expand
        self.residual = stride == 1 and c_in == c_out
        self.body = nn.Sequential(
            nn.Conv2d(c_in, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(True),
            nn.Conv2d(hidden, hidden, kernel, stride, kernel // 2, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden), nn.ReLU6(True),
            nn.Conv2d(hidden, c_out, 1, bias=False), nn.BatchNorm2d(c_out),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        return x + out if self.residual else out


class _Zero(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(x)  # inside a residual block: the block becomes the identity


def _candidate(name: str, c_in: int, c_out: int, stride: int) -> nn.Module:
    if name == "zero":
        return _Zero()
    kernel, expand = (int(part[2:]) if part.startswith("mb") else int(part[1:])
                      for part in name.split("_"))
    return MBConv(c_in, c_out, stride, kernel, expand)


class ChoiceBlock(nn.Module):
    """One searchable block: candidates, ``α``, and a binarised forward pass."""

    def __init__(self, c_in: int, c_out: int, stride: int,
                 candidates: Sequence[str] = CANDIDATES) -> None:
        super().__init__()
        residual = stride == 1 and c_in == c_out
        self.candidates = tuple(c for c in candidates if residual or c != "zero")
        self.residual = residual
        self.ops = nn.ModuleList(_candidate(c, c_in, c_out, stride) for c in self.candidates)
        self.alpha = nn.Parameter(torch.zeros(len(self.candidates)))

    def probabilities(self) -> torch.Tensor:
        return F.softmax(self.alpha, dim=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:  # evaluation: the currently strongest path
            return self._run(int(self.alpha.argmax()), x)
        p = self.probabilities()
        active = int(torch.multinomial(p.detach(), 1))
        gates = F.one_hot(torch.tensor(active), len(p)).to(x.dtype) + p - p.detach()
        out = gates[active] * self._run(active, x)
        with torch.no_grad():  # inactive paths: values for ∂L/∂g_j, no weight gradients
            others = [(j, self._run(j, x)) for j in range(len(p)) if j != active]
        for j, value in others:
            out = out + gates[j] * value  # g_j = 0: adds nothing, passes ∂L/∂g_j to α
        return out

    def _run(self, index: int, x: torch.Tensor) -> torch.Tensor:
        out = self.ops[index](x)
        return x + out if self.candidates[index] == "zero" else out


class ProxylessSuperNet(nn.Module):
    """Stem, a chain of :class:`ChoiceBlock`, pooling, classifier (8×8 digits by default)."""

    def __init__(self, blocks: Sequence[tuple[int, int, int]] = DIGITS_BLOCKS, *,
                 num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, blocks[0][0], 3, padding=1, bias=False),
                                  nn.BatchNorm2d(blocks[0][0]), nn.ReLU6(True))
        self.blocks = nn.ModuleList(ChoiceBlock(*spec) for spec in blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(blocks[-1][1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.classifier(torch.flatten(self.pool(x), 1))

    def arch_parameters(self) -> list[nn.Parameter]:
        return [block.alpha for block in self.blocks]

    def weight_parameters(self) -> list[nn.Parameter]:
        arch = {id(p) for p in self.arch_parameters()}
        return [p for p in self.parameters() if id(p) not in arch]

    def expected_latency(self, table: Mapping[tuple[int, str], float]) -> torch.Tensor:
        """``Σ_blocks Σ_i p_i · LAT(o_i)`` — differentiable in ``α``."""
        return sum(
            (block.probabilities() @ torch.tensor([table[(b, c)] for c in block.candidates])
             for b, block in enumerate(self.blocks)),
            torch.zeros(()),
        )

    def choices(self) -> tuple[str, ...]:
        """The strongest candidate of each block."""
        return tuple(block.candidates[int(block.alpha.argmax())] for block in self.blocks)

    def derive(self) -> nn.Sequential:
        """A plain network of the strongest candidates (their trained weights, copied)."""
        chosen = []
        for block in self.blocks:
            index = int(block.alpha.argmax())
            zero = block.candidates[index] == "zero"  # a skipped residual block is the identity
            chosen.append(nn.Identity() if zero else copy.deepcopy(block.ops[index]))
        return nn.Sequential(copy.deepcopy(self.stem), *chosen, copy.deepcopy(self.pool),
                             nn.Flatten(), copy.deepcopy(self.classifier))


@torch.no_grad()
def latency_table(
    network: ProxylessSuperNet, *, size: int = 8, repeats: int = 15
) -> dict[tuple[int, str], float]:
    """Milliseconds per batch-1 forward of every candidate of every block, measured here."""
    table: dict[tuple[int, str], float] = {}
    x = network.stem.eval()(torch.zeros(1, network.stem[0].in_channels, size, size))
    for b, block in enumerate(network.blocks):
        for c, op in zip(block.candidates, block.ops, strict=True):
            table[(b, c)] = 1e3 * latency(op, x, warmup=3, repeats=repeats)
        x = block.eval()._run(0, x)  # the next block's input shape
    return table


@dataclass
class ProxylessResult:
    """The chosen candidate per block, the derived network, the table and expected latencies."""

    choices: tuple[str, ...]
    network: nn.Sequential
    supernet: ProxylessSuperNet
    table: dict[tuple[int, str], float]
    expected_latency: list[float] = field(default_factory=list)

    @property
    def table_latency(self) -> float:
        """Latency (ms) of the derived blocks according to the lookup table."""
        return sum(self.table[(b, c)] for b, c in enumerate(self.choices))


@register(
    "proxylessnas",
    paper="2019-iclr-proxylessnas",
    category="architecture",
    subcategory="nas",
    summary="ProxylessNAS: binarised-path search with a latency loss from a measured lookup table",
)
def proxyless_search(
    train_data: Batches,
    valid_data: Batches,
    *,
    latency_weight: float = 0.0,
    table: Mapping[tuple[int, str], float] | None = None,
    epochs: int = 4,
    warmup_epochs: int = 1,
    lr: float = 5e-3,
    arch_lr: float = 5e-2,
    in_channels: int = 1,
    num_classes: int = 10,
    image_size: int = 8,
    blocks: Sequence[tuple[int, int, int]] = DIGITS_BLOCKS,
    seed: int = 0,
) -> ProxylessResult:
    """A seeded search minimising ``CE + latency_weight · E[LAT]`` (milliseconds).

    ``train_data`` and ``valid_data`` are any iterables of ``(images, labels)`` batches of
    ``in_channels × image_size × image_size`` images in ``num_classes`` classes (default: the
    8×8 digits); ``blocks`` lists the chain's ``(in, out, stride)``. ``table`` defaults to
    :func:`latency_table` measured now at ``image_size``; pass one for repeatable searches.
    """
    seed_everything(seed)
    network = ProxylessSuperNet(blocks, num_classes=num_classes, in_channels=in_channels)
    table = dict(table) if table is not None else latency_table(network, size=image_size)
    weights_opt = torch.optim.Adam(network.weight_parameters(), lr=lr)
    arch_opt = torch.optim.Adam(network.arch_parameters(), lr=arch_lr)
    expected = []
    for epoch in range(epochs):
        network.train()
        for (x, y), (xv, yv) in zip(train_data, itertools.cycle(valid_data), strict=False):
            weights_opt.zero_grad(set_to_none=True)  # one binarised path trains its weights
            F.cross_entropy(network(x), y).backward()
            weights_opt.step()
            if epoch >= warmup_epochs:
                arch_opt.zero_grad(set_to_none=True)
                loss = F.cross_entropy(network(xv), yv)
                loss = loss + latency_weight * network.expected_latency(table)
                loss.backward()
                arch_opt.step()
        expected.append(float(network.expected_latency(table).detach()))
    network.eval()
    return ProxylessResult(network.choices(), network.derive(), network, table, expected)
