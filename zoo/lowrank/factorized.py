"""The container every decomposition returns: a ``nn.Sequential`` of ordinary layers.

Keeping the factors as plain ``nn.Linear``/``nn.Conv2d`` layers means pruning, quantisation,
FLOP counting and ``torch.save`` work on a decomposed model unchanged; the subclass only records
what was done, so :func:`zoo.lowrank.decompose` can report it and skip already-factorised layers.
"""

from __future__ import annotations

from torch import nn

__all__ = ["Factorized"]


class Factorized(nn.Sequential):
    """Layers whose composition approximates one original layer.

    ``method`` names the decomposition (``"svd"``, ``"tucker2"``, ``"cp"``); ``ranks`` its ranks.
    """

    def __init__(self, *layers: nn.Module, method: str, ranks: tuple[int, ...]) -> None:
        super().__init__(*layers)
        self.method = method
        self.ranks = ranks

    def extra_repr(self) -> str:
        return f"method={self.method!r}, ranks={self.ranks}"
