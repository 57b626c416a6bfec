"""Re-estimate BatchNorm running statistics for the weights a quantised model deploys with.

Methods that sample weights while training (stochastic BinaryConnect, Relaxed Quantization) leave
BatchNorm running statistics that describe the *noisy* weights; at test time the deterministic
weights produce activations with other means and variances. One pass over training inputs with the
quantisers in eval mode and the BatchNorm layers in cumulative-average mode fixes that — no
gradient step, no labels used.

>>> import torch
>>> from torch import nn
>>> net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
>>> recalibrate_batchnorm(net, [(torch.randn(32, 3) + 5, None)])
>>> bool(net[1].running_mean.abs().sum() > 0)
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from .layers import Quantizer

__all__ = ["recalibrate_batchnorm"]


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, data: Iterable[tuple[torch.Tensor, Any]]) -> None:
    """Reset and re-estimate every BatchNorm's running mean and variance from ``data``'s inputs.

    The quantisers run in eval mode (deterministic weights); the model is left in eval mode.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        model.eval()
        return
    saved = [m.momentum for m in norms]
    model.train()
    for module in model.modules():
        if isinstance(module, Quantizer):
            module.eval()  # deterministic, test-time quantisation
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average over all batches, not an EMA
    seen = 0
    for inputs, _ in data:
        model(inputs)
        seen += 1
    for norm, momentum in zip(norms, saved, strict=True):
        norm.momentum = momentum
    model.eval()
    if seen == 0:
        raise ValueError("recalibrate_batchnorm needs at least one batch of inputs")
