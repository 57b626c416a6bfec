"""The machinery every distillation method shares: feature hooks, a student–teacher wrapper, a loop.

A :class:`Distiller` holds the student, the (frozen, always eval-mode) teacher and one or more
:class:`DistillationLoss` terms. Its forward pass runs both networks and records the intermediate
features the terms ask for, so the ordinary :func:`zoo.training.train` loop can train it with
``loss_fn=distiller.loss`` — :func:`distill` does exactly that. Only the student's parameters and
the losses' own (e.g. the FitNets regressor) are optimised; the teacher never receives a gradient.
The loss terms' own modules are moved to the student's device and dtype (:func:`placement`), so a
float64 or CUDA student trains as it is.

>>> import torch
>>> from torch import nn
>>> from zoo.distillation import HintonLoss
>>> student, teacher = nn.Linear(4, 3), nn.Linear(4, 3)
>>> distiller = Distiller(student, teacher, HintonLoss(temperature=4.0, alpha=0.9))
>>> out = distiller(torch.randn(8, 4))
>>> out.student_logits.shape, out.teacher_logits.requires_grad
(torch.Size([8, 3]), False)
>>> distiller.loss(out, torch.zeros(8, dtype=torch.long)).ndim
0
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from ..metrics import Batches
from ..training import History, train

__all__ = ["DistillationLoss", "Distiller", "FeatureRecorder", "Outputs", "distill", "placement"]


def placement(model: nn.Module) -> dict[str, torch.device | torch.dtype]:
    """``{"device", "dtype"}`` of ``model``'s first floating parameter (CPU float32 if none): the
    factory arguments for the modules a method creates beside it."""
    for p in model.parameters():
        if p.is_floating_point():
            return {"device": p.device, "dtype": p.dtype}
    return {"device": torch.device("cpu"), "dtype": torch.get_default_dtype()}


class FeatureRecorder:
    """Forward hooks that keep the latest output of the named submodules of ``model``."""

    def __init__(self, model: nn.Module, names: Iterable[str]) -> None:
        self.features: dict[str, torch.Tensor] = {}
        self._handles = []
        for name in dict.fromkeys(names):  # unique, in order
            try:
                module = model.get_submodule(name)
            except AttributeError as exc:
                raise ValueError(f"{type(model).__name__} has no submodule {name!r}") from exc
            self._handles.append(module.register_forward_hook(self._keeper(name)))

    def _keeper(self, name: str) -> Callable[[nn.Module, object, torch.Tensor], None]:
        def keep(module: nn.Module, args: object, output: torch.Tensor) -> None:
            self.features[name] = output

        return keep

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


@dataclass
class Outputs:
    """One forward pass of student and teacher: logits and the recorded features."""

    student_logits: torch.Tensor
    teacher_logits: torch.Tensor
    student_features: dict[str, torch.Tensor] = field(default_factory=dict)
    teacher_features: dict[str, torch.Tensor] = field(default_factory=dict)


class DistillationLoss(nn.Module):
    """A loss term on :class:`Outputs`; names the student and teacher layers it needs."""

    student_layers: tuple[str, ...] = ()
    teacher_layers: tuple[str, ...] = ()

    def forward(self, outputs: Outputs, targets: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class Distiller(nn.Module):
    """Student + frozen teacher + loss terms (summed), trainable with :func:`zoo.training.train`."""

    def __init__(
        self,
        student: nn.Module,
        teacher: nn.Module,
        losses: DistillationLoss | Sequence[DistillationLoss],
    ) -> None:
        super().__init__()
        self.student = student
        self.teacher = teacher.eval()
        self.losses = nn.ModuleList([losses] if isinstance(losses, nn.Module) else losses)
        if not self.losses:
            raise ValueError("a Distiller needs at least one loss term")
        self.losses.to(**placement(student))  # e.g. a regressor built apart from the student
        self._student_hooks = FeatureRecorder(
            student, (n for term in self.losses for n in term.student_layers)
        )
        self._teacher_hooks = FeatureRecorder(
            teacher, (n for term in self.losses for n in term.teacher_layers)
        )

    def train(self, mode: bool = True) -> Distiller:
        super().train(mode)
        self.teacher.eval()  # BatchNorm statistics and dropout of the teacher stay fixed
        return self

    def forward(self, x: torch.Tensor) -> Outputs:
        with torch.no_grad():
            teacher_logits = self.teacher(x)
        student_logits = self.student(x)
        return Outputs(
            student_logits,
            teacher_logits,
            dict(self._student_hooks.features),
            dict(self._teacher_hooks.features),
        )

    def loss(self, outputs: Outputs, targets: torch.Tensor) -> torch.Tensor:
        """The sum of the loss terms."""
        terms = [term(outputs, targets) for term in self.losses]
        return sum(terms[1:], terms[0])

    def trainable_parameters(self) -> Iterator[nn.Parameter]:
        """The student's parameters and the loss terms' (never the teacher's)."""
        yield from self.student.parameters()
        yield from self.losses.parameters()

    def close(self) -> None:
        """Remove the feature hooks from student and teacher."""
        self._student_hooks.remove()
        self._teacher_hooks.remove()


def distill(
    student: nn.Module,
    teacher: nn.Module,
    data: Batches,
    losses: DistillationLoss | Sequence[DistillationLoss],
    *,
    epochs: int = 10,
    lr: float = 1e-2,
    seed: int | None = 0,
    **train_options: object,
) -> History:
    """Train ``student`` in place against the frozen ``teacher`` with the summed ``losses``.

    Uses :func:`zoo.training.train` (Adam, cosine decay); ``train_options`` are passed on.
    """
    distiller = Distiller(student, teacher, losses)
    try:
        return train(
            distiller,
            data,
            epochs=epochs,
            lr=lr,
            seed=seed,
            loss_fn=distiller.loss,  # type: ignore[arg-type]
            parameters=distiller.trainable_parameters(),
            **train_options,  # type: ignore[arg-type]
        )
    finally:
        distiller.close()
