"""Deep mutual learning — peers teach each other while they train.

Deep Mutual Learning. Ying Zhang, Tao Xiang, Timothy M. Hospedales, Huchuan Lu. CVPR 2018.
Catalog id ``2018-cvpr-deep-mutual-learning`` · https://arxiv.org/abs/1706.00384 ·
official code https://github.com/YingZhangDUT/Deep-Mutual-Learning

No pre-trained teacher: a cohort of ``K`` networks trains together, each fitting the labels and the
other networks' current predictions ``p_l``:

    L_Θk = CE(p_k, y) + 1/(K − 1) · Σ_{l ≠ k} KL(p_l ‖ p_k)

The other peers' predictions are targets for network ``k``: no gradient flows into them through
``k``'s loss.

Measured here (``tests/zoo/test_distillation.py``; digits, 12 epochs): two
``digits_cnn(width=6)`` peers (3 628 parameters, init seeds 1 and 2) trained mutually reach 0.989
and 0.994 test accuracy; trained alone from the same inits, 0.994 and 0.978 (asserted: both peers
≥ 0.93). Peers must start from different weights — identical peers stay identical.

>>> import torch
>>> logits = [torch.randn(4, 10, requires_grad=True) for _ in range(2)]
>>> losses = mutual_losses(logits, torch.zeros(4, dtype=torch.long))
>>> len(losses), losses[0].ndim
(2, 0)

Deviations from the paper:

* All peers are updated in one step on the summed losses, computed from the same forward pass;
  the paper updates them one after another, each seeing the previous peers' updated predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..metrics import Batches
from ..registry import register
from ..training import History, train

__all__ = ["MutualLearning", "mutual_learning", "mutual_losses"]


def mutual_losses(logits: Sequence[torch.Tensor], targets: torch.Tensor) -> list[torch.Tensor]:
    """``[L_Θ1, …, L_ΘK]``: each peer's cross-entropy plus its mean KL to the others."""
    if len(logits) < 2:
        raise ValueError(f"mutual learning needs at least two peers, got {len(logits)}")
    log_probs = [F.log_softmax(z, dim=1) for z in logits]
    losses = []
    for k, own in enumerate(log_probs):
        mimicry = sum(
            F.kl_div(own, other.detach(), reduction="batchmean", log_target=True)  # KL(p_l ‖ p_k)
            for peer, other in enumerate(log_probs)
            if peer != k
        )
        losses.append(F.cross_entropy(logits[k], targets) + mimicry / (len(logits) - 1))
    return losses


class MutualLearning(nn.Module):
    """A cohort of peers; forward returns every peer's logits, :meth:`loss` sums their losses."""

    def __init__(self, peers: Sequence[nn.Module]) -> None:
        super().__init__()
        self.peers = nn.ModuleList(peers)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tuple(peer(x) for peer in self.peers)

    def loss(self, outputs: Sequence[torch.Tensor], targets: torch.Tensor) -> torch.Tensor:
        return torch.stack(mutual_losses(outputs, targets)).sum()


@register(
    "deep-mutual-learning",
    paper="2018-cvpr-deep-mutual-learning",
    category="distillation",
    subcategory=None,
    summary="Deep mutual learning: peers trained together, each also matching the others' outputs",
)
def mutual_learning(
    peers: Sequence[nn.Module],
    data: Batches,
    *,
    epochs: int = 10,
    lr: float = 1e-2,
    seed: int | None = 0,
    **train_options: Any,
) -> History:
    """Train ``peers`` in place as a mutual-learning cohort with :func:`zoo.training.train`."""
    cohort = MutualLearning(peers)
    return train(cohort, data, epochs=epochs, lr=lr, seed=seed, loss_fn=cohort.loss,  # type: ignore[arg-type]
                 **train_options)
