"""Dynamic networks: one set of weights that runs at more than one cost, chosen at run time.

=====================  =====================================================  ==================
module                 paper (catalog id)                                     adapts
=====================  =====================================================  ==================
:mod:`.slimmable`      Slimmable Networks (``2019-iclr-slimmable-neural-...``)  width (channels)
=====================  =====================================================  ==================

A slimmable network is trained once and run at any width of its width list; :func:`set_width`
switches a whole model, :func:`export_width` copies out the plain, smaller network of one width:

>>> import torch
>>> from zoo.dynamic import SlimmableDigitsNet, set_width
>>> net = SlimmableDigitsNet(width=16).eval()
>>> set_width(net, 0.5)
>>> net(torch.zeros(2, 1, 8, 8)).shape
torch.Size([2, 10])
"""

from ..registry import import_zoo_module

import_zoo_module("torch", __name__)  # without PyTorch: MissingExtraError with the install line

from .slimmable import (
    WIDTHS,
    SlimmableConv2d,
    SlimmableDigitsNet,
    SlimmableHistory,
    SlimmableLinear,
    SwitchableBatchNorm2d,
    active_width,
    evaluate_widths,
    export_width,
    set_width,
    slim_channels,
    train_slimmable,
    widths_of,
)

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
