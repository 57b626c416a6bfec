"""Knowledge distillation: loss terms, one module per paper, and a small trainer.

==========================  ==============================================  =====================
module                      paper (catalog id)                              what the student fits
==========================  ==============================================  =====================
:mod:`.hinton`              ``2015-arxiv-distilling-knowledge-neural-...``  softened outputs
:mod:`.fitnets`             ``2015-iclr-fitnets``                           a hint layer, then KD
:mod:`.attention_transfer`  ``2017-iclr-paying-more-attention-attention``   spatial attention
:mod:`.mutual`              ``2018-cvpr-deep-mutual-learning``              its peers, online
==========================  ==============================================  =====================

Losses are :class:`DistillationLoss` modules over :class:`Outputs` (logits and recorded features
of student and teacher); :func:`distill` trains a student against a frozen teacher with any sum of
them through the shared :func:`zoo.training.train` loop.

>>> import torch
>>> from zoo.data import load_digits, loaders
>>> from zoo.nets import digits_cnn
>>> train_data, _ = loaders(load_digits(seed=0))
>>> teacher, student = digits_cnn(width=8), digits_cnn(width=4)
>>> history = distill(student, teacher, train_data, HintonLoss(temperature=4.0), epochs=1)
>>> len(history.losses)
1
"""

from ..registry import import_zoo_module

import_zoo_module("torch", __name__)  # without PyTorch: MissingExtraError with the install line

from .attention_transfer import AttentionTransferLoss, attention_distance, attention_map
from .fitnets import HintLoss, fitnets, hint_loss
from .hinton import HintonLoss, kd_loss
from .mutual import MutualLearning, mutual_learning, mutual_losses
from .trainer import DistillationLoss, Distiller, FeatureRecorder, Outputs, distill

__all__ = [
    "AttentionTransferLoss",
    "DistillationLoss",
    "Distiller",
    "FeatureRecorder",
    "HintLoss",
    "HintonLoss",
    "MutualLearning",
    "Outputs",
    "attention_distance",
    "attention_map",
    "distill",
    "fitnets",
    "hint_loss",
    "kd_loss",
    "mutual_learning",
    "mutual_losses",
]
