"""Distillation adapters: a small student taught by the trained digits CNN, in its own setting.

As the distillation docstrings measure: the teacher is the trained digits CNN (width 16), the
student ``digits_cnn(width=6)`` (3 628 parameters), trained for 1.5× the baseline's epochs (12 in a
full run) from the seed's initialisation. The ``student-alone`` reference row is the same student
trained without a teacher; each method's row is compared with it (``vs_peer``) and, as everywhere,
with the baseline — here the teacher. Deep mutual learning has no teacher: two such students
learn together and the first one's figures are reported.
"""

from __future__ import annotations

from torch import nn

from ...distillation import (
    AttentionTransferLoss,
    HintonLoss,
    distill,
    fitnets,
    mutual_learning,
)
from ...nets import digits_cnn
from ...training import seed_everything
from ..models import Context
from . import Applied, Tolerance, adapter

STUDENT_WIDTH = 6
HINT_LAYER = "features.1"  # 8×8 maps in both networks
_TESTS = "tests/zoo/test_distillation.py"
_OWN = (f"a digits_cnn(width={STUDENT_WIDTH}) student trained with the trained digits CNN as "
        "teacher, compared with the teacher and with the student trained alone")
_FLOOR = Tolerance(floor=0.93, source=f"{_TESTS}: at least 93 %")
_OPTS = dict(models=("digits-cnn",), own_setting=_OWN, tolerance=_FLOOR, peer="student-alone",
             cost="train")


def student_epochs(ctx: Context) -> int:
    return ctx.recipe.epochs * 3 // 2


def _student(ctx: Context) -> nn.Module:
    return ctx.fresh(lambda: digits_cnn(width=STUDENT_WIDTH))


@adapter("student-alone", kind="reference", models=("digits-cnn",), own_setting=_OWN,
         tolerance=_FLOOR, cost="train",
         setting=f"digits_cnn(width={STUDENT_WIDTH}) trained without a teacher")
def student_alone(ctx: Context) -> Applied:
    student = _student(ctx)
    ctx.train(student, epochs=student_epochs(ctx))
    return Applied(student)


@adapter("hinton-kd", **_OPTS, setting="T = 4, α = 0.9 (the defaults)")
def hinton_kd(ctx: Context) -> Applied:
    student = _student(ctx)
    distill(student, ctx.trained(), ctx.train_data, HintonLoss(temperature=4.0, alpha=0.9),
            epochs=student_epochs(ctx), lr=ctx.recipe.lr, seed=ctx.seed)
    return Applied(student)


@adapter("fitnets", **_OPTS,
         setting=f"3 hint epochs ({HINT_LAYER} ← {HINT_LAYER}, 1×1 regressor), then KD (T = 4)")
def fitnets_(ctx: Context) -> Applied:
    student = _student(ctx)
    fitnets(student, ctx.trained(), ctx.train_data, student_layer=HINT_LAYER,
            teacher_layer=HINT_LAYER, example_inputs=ctx.example_inputs, hint_epochs=3,
            epochs=student_epochs(ctx), lr=ctx.recipe.lr, seed=ctx.seed)
    return Applied(student)


@adapter("attention-transfer", **_OPTS,
         setting=f"β = 10³ at the 8×8 pair {HINT_LAYER} ↔ {HINT_LAYER}, with cross-entropy")
def attention_transfer(ctx: Context) -> Applied:
    student = _student(ctx)
    distill(student, ctx.trained(), ctx.train_data,
            AttentionTransferLoss([(HINT_LAYER, HINT_LAYER)]), epochs=student_epochs(ctx),
            lr=ctx.recipe.lr, seed=ctx.seed)
    return Applied(student)


@adapter("deep-mutual-learning", **_OPTS,
         setting=f"two digits_cnn(width={STUDENT_WIDTH}) peers from different initialisations; "
         "the first (initialised as the student alone) reported")
def deep_mutual_learning(ctx: Context) -> Applied:
    first = _student(ctx)  # the student-alone row's initialisation, for a paired comparison
    seed_everything(1000 + ctx.seed)  # peers must start apart: identical peers stay identical
    peers = [first, digits_cnn(width=STUDENT_WIDTH)]
    mutual_learning(peers, ctx.train_data, epochs=student_epochs(ctx), lr=ctx.recipe.lr,
                    seed=ctx.seed)
    return Applied(peers[0])
