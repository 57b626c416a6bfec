"""Lightweight design: efficient drop-in replacements for ``nn.Conv2d``, one module per paper.

=====================  ==========================================  ==============================
module                 paper (catalog id)                          replaces ``Conv2d(M, N, K)`` by
=====================  ==========================================  ==============================
:mod:`.ghost`          GhostNet (``2020-cvpr-ghostnet``)           ⌈N/s⌉ maps + cheap depthwise
:mod:`.hetconv`        HetConv (``2019-cvpr-hetconv``)             M/P K×K kernels, rest 1×1
:mod:`.sparse_shift`   Few Shifts (``2019-cvpr-all-you-need-few``) sparse integer shift + 1×1
:mod:`.legonet`        LegoNet (``2019-icml-legonet``)             m shared split-channel filters
=====================  ==========================================  ==============================

Each takes the constructor arguments of the convolution it replaces (plus its own keyword-only
options), so :func:`swap_convs` can rebuild any model's convolutions and report the change in
parameters and FLOPs:

>>> import torch
>>> from zoo.nets import digits_cnn
>>> model = digits_cnn(width=16)
>>> report = swap_convs(model, HetConv, example_inputs=torch.zeros(1, 1, 8, 8), part=4,
...                     match=lambda name, conv: conv.in_channels % 4 == 0)
>>> report.replaced
('features.1.0', 'features.3.0')
"""

from ..registry import import_zoo_module

import_zoo_module("torch", __name__)  # without PyTorch: MissingExtraError with the install line

from .ghost import GhostBottleneck, GhostDigitsNet, GhostModule
from .hetconv import HetConv
from .legonet import LegoConv2d, freeze_lego
from .sparse_shift import SparseShift, SparseShiftConv, shift_penalty, shift_sparsity
from .swap import SwapReport, dense_spatial_convs, swap_convs

__all__ = [
    "GhostBottleneck",
    "GhostDigitsNet",
    "GhostModule",
    "HetConv",
    "LegoConv2d",
    "SparseShift",
    "SparseShiftConv",
    "SwapReport",
    "dense_spatial_convs",
    "freeze_lego",
    "shift_penalty",
    "shift_sparsity",
    "swap_convs",
]
