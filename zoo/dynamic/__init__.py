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

from . import slimmable
from .slimmable import *  # noqa: F403 (one module so far: the package exports what it exports)

__all__ = list(slimmable.__all__)
