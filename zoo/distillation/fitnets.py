"""Hint-based training — FitNets: Hints for Thin Deep Nets.

Adriana Romero, Nicolas Ballas, Samira Ebrahimi Kahou, Antoine Chassang, Carlo Gatta,
Yoshua Bengio. ICLR 2015. Catalog id ``2015-iclr-fitnets`` · https://arxiv.org/abs/1412.6550 ·
official code https://github.com/adri-romsor/FitNets

A thin student is first trained so that an intermediate *guided* layer predicts the teacher's
*hint* layer through a small regressor ``r``; only then is the whole student trained with
knowledge distillation:

    stage 1:  min_{W_guided, W_r}  ½ ‖ u_h(x; W_hint) − r(v_g(x; W_guided); W_r) ‖²
    stage 2:  min_{W_S}  KD loss (:mod:`zoo.distillation.hinton`)

The regressor is convolutional: for a guided map of ``N_g×N_g`` and a hint of ``N_h×N_h`` its
kernel is ``(N_g − N_h + 1)²`` (a ``1×1`` conv when sizes agree), mapping the student's channels
to the teacher's, which needs far fewer weights than a fully connected regressor. It is created
on the student's device and in its dtype (a float64 student trains as is: asserted).

Measured here (``tests/zoo/test_distillation.py``; digits, seed 0; teacher
``digits_cnn(width=16)``, 24 058 parameters, 0.994 test accuracy; student ``digits_cnn(width=6)``,
3 628 parameters, 12 epochs):
3 hint epochs (guided ``features.1`` ← hint ``features.1``, a 1×1 regressor) then 12 KD epochs
give 0.994 test accuracy (alone: 0.989; floor asserted: 0.93).

>>> import torch
>>> from torch import nn
>>> student = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
...                         nn.Linear(256, 10))
>>> teacher = nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.Flatten(), nn.Linear(576, 10))
>>> hint = HintLoss.between(student, teacher, "1", "1", torch.zeros(1, 1, 8, 8))
>>> hint.regressor                                   # 8×8 guided → 6×6 hint: a 3×3 kernel
Conv2d(4, 16, kernel_size=(3, 3), stride=(1, 1))

Deviations from the paper:

* Stage 2 uses the plain Hinton loss with a fixed weight instead of the paper's annealed λ.
* Stage 1 updates every student parameter that the hint loss reaches, i.e. all layers up to the
  guided one — the same set as the paper's ``W_guided`` — with Adam rather than RMSProp/SGD.
* The hint loss is summed over a sample's features and averaged over the batch.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from ..metrics import Batches
from ..registry import register
from ..training import History
from .hinton import HintonLoss
from .trainer import DistillationLoss, FeatureRecorder, Outputs, distill, placement

__all__ = ["HintLoss", "fitnets", "hint_loss"]


def hint_loss(hint: torch.Tensor, prediction: torch.Tensor) -> torch.Tensor:
    """``½ ‖u_h − r(v_g)‖²`` per sample, averaged over the batch; no gradient to the hint."""
    if hint.shape != prediction.shape:
        raise ValueError(f"hint {tuple(hint.shape)} and regressed {tuple(prediction.shape)} differ")
    return 0.5 * (hint.detach() - prediction).pow(2).flatten(1).sum(1).mean()


class HintLoss(DistillationLoss):
    """FitNets stage-1 loss between student layer ``student_layer`` and teacher ``teacher_layer``.

    ``regressor`` maps the guided features onto the hint's shape; :meth:`between` builds the
    paper's convolutional regressor from the two layers' output shapes.
    """

    def __init__(self, student_layer: str, teacher_layer: str, regressor: nn.Module) -> None:
        super().__init__()
        self.student_layers, self.teacher_layers = (student_layer,), (teacher_layer,)
        self.regressor = regressor

    @classmethod
    def between(
        cls,
        student: nn.Module,
        teacher: nn.Module,
        student_layer: str,
        teacher_layer: str,
        example_inputs: torch.Tensor,
    ) -> HintLoss:
        """A hint loss with the paper's regressor, sized by a forward pass on ``example_inputs``,
        created on the student's device and in its dtype."""
        guided, hint = (
            _output_shape(model, layer, example_inputs)
            for model, layer in ((student, student_layer), (teacher, teacher_layer))
        )
        factory = placement(student)
        if len(guided) == 4 and len(hint) == 4:
            kernel = (guided[2] - hint[2] + 1, guided[3] - hint[3] + 1)
            if min(kernel) < 1:
                raise ValueError(
                    f"guided map {guided[2:]} is smaller than the hint {hint[2:]}; pick an earlier "
                    "student layer or a later teacher layer"
                )
            regressor: nn.Module = nn.Conv2d(guided[1], hint[1], kernel, **factory)
        else:  # vectors: a fully connected regressor
            regressor = nn.Sequential(
                nn.Flatten(), nn.Linear(math.prod(guided[1:]), math.prod(hint[1:]), **factory),
                nn.Unflatten(1, tuple(hint[1:])),
            )
        return cls(student_layer, teacher_layer, regressor)

    def forward(self, outputs: Outputs, targets: torch.Tensor) -> torch.Tensor:
        guided = outputs.student_features[self.student_layers[0]]
        hint = outputs.teacher_features[self.teacher_layers[0]]
        return hint_loss(hint, self.regressor(guided))


@torch.no_grad()
def _output_shape(model: nn.Module, layer: str, example_inputs: torch.Tensor) -> torch.Size:
    recorder = FeatureRecorder(model, [layer])
    was_training = model.training
    model.eval()
    try:
        model(example_inputs)
    finally:
        recorder.remove()
        model.train(was_training)
    return recorder.features[layer].shape


@register(
    "fitnets",
    paper="2015-iclr-fitnets",
    category="distillation",
    subcategory=None,
    summary="FitNets: fit a guided student layer to a teacher hint via a regressor, then KD",
)
def fitnets(
    student: nn.Module,
    teacher: nn.Module,
    data: Batches,
    *,
    student_layer: str,
    teacher_layer: str,
    example_inputs: torch.Tensor,
    hint_epochs: int = 3,
    epochs: int = 10,
    temperature: float = 4.0,
    alpha: float = 0.9,
    lr: float = 1e-2,
    seed: int | None = 0,
    **train_options: Any,
) -> History:
    """Both FitNets stages on ``student`` in place; returns the KD stage's loss history."""
    hint = HintLoss.between(student, teacher, student_layer, teacher_layer, example_inputs)
    distill(student, teacher, data, hint, epochs=hint_epochs, lr=lr, seed=seed, **train_options)
    return distill(student, teacher, data, HintonLoss(temperature, alpha), epochs=epochs, lr=lr,
                   seed=seed, **train_options)
