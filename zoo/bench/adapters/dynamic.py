"""Dynamic-network adapters: a slimmable digits CNN trained from scratch, in its own setting.

A slimmable network is not a transformation of the trained baseline:
``SlimmableDigitsNet(width=16)`` (the digits CNN's layers, slimmable, with a private BN per width)
is trained with
:func:`~zoo.dynamic.train_slimmable` at the widths 0.25, 0.5, 0.75 and 1.0 with the baseline's
epochs, learning rate and seed. The row measures the plain width-0.5 network
(:func:`~zoo.dynamic.export_width`) against the digits CNN; the accuracy at every width of the one
trained network is in the row's details.
"""

from __future__ import annotations

from ...dynamic import WIDTHS, SlimmableDigitsNet, evaluate_widths, export_width, train_slimmable
from ..models import Context
from . import Applied, Tolerance, adapter

ROW_WIDTH = 0.5


@adapter("slimmable", models=("digits-cnn",), cost=24,
         tolerance=Tolerance(floor=0.93, source="tests/zoo/test_slimmable.py: width 0.5 ≥ 93 %"),
         own_setting="SlimmableDigitsNet(width=16) trained from scratch at widths 0.25/0.5/0.75/1 "
         "(each batch at every width) with the digits CNN's epochs and learning rate; the row is "
         "its width-0.5 export, against the digits CNN",
         setting="train_slimmable(widths=(0.25, 0.5, 0.75, 1.0)), measured at width 0.5")
def slimmable(ctx: Context) -> Applied:
    model = ctx.fresh(lambda: SlimmableDigitsNet(width=16, widths=WIDTHS))
    train_slimmable(model, ctx.train_data, epochs=ctx.recipe.epochs, lr=ctx.recipe.lr,
                    seed=ctx.seed)
    accuracies = evaluate_widths(model, ctx.test_data)
    return Applied(export_width(model, ROW_WIDTH).eval(),
                   details={"width": ROW_WIDTH,
                            "accuracy_per_width": {str(w): round(a, 4)
                                                   for w, a in accuracies.items()}})
