"""Learning Recurrent Binary/Ternary Weights: an LSTM whose weight matrices are ±α or {-α, 0, α}.

Paper: Arash Ardakani, Zhengyun Ji, Sean C. Smithson, Brett H. Meyer, Warren J. Gross, *Learning
Recurrent Binary/Ternary Weights*, ICLR 2019 — catalog id
``2019-iclr-learning-recurrent-binary-ternary``, https://openreview.net/forum?id=HkNGYjR9FX.

The rule. Binarising or ternarising an LSTM's weights the way CNNs are binarised fails: the
quantised matrix products have a very different scale and distribution from the full-precision
ones, and the recurrence amplifies it. The paper's fix is batch normalisation of each
matrix product, so that what enters the gates is normalised whatever the weights are::

    (i, f, g, o) = BN(W_x x_t; φ_x, 0) + BN(W_h h_{t-1}; φ_h, 0) + b
    c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g)
    h_t = σ(o) ⊙ tanh(BN(c_t; φ_c, γ_c))

where ``W_x`` and ``W_h`` are binary or ternary versions of real-valued latent weights ``w``,
updated straight-through. Deterministically, binary is ``α·sign(w)`` and ternary ``α·sign(w)``
where ``|w| > α/3``, else 0; stochastically (BinaryConnect-style sampling),
``P(+α) = clip((w/α + 1)/2, 0, 1)`` for binary and ``P(α·sign w) = clip(|w|/α, 0, 1)`` for
ternary. BN rescales each product, so ``α`` only sets the latent weights' scale: as in the
authors' code it is half the Glorot-uniform bound of the matrix, and latent weights start uniform
in ``[-2α, 2α]``. Every multiplication in the recurrent products becomes an addition, a
subtraction or (for a ternary zero) nothing.

>>> import torch
>>> lstm = BinaryTernaryLSTM(8, 16, mode="ternary").eval()
>>> out, (h, c) = lstm(torch.randn(3, 8, 8))              # (batch, time, features)
>>> out.shape, h.shape
(torch.Size([3, 8, 16]), torch.Size([3, 16]))
>>> len(lstm.quantized_weights()["weight_hh"].unique())  # {-α, 0, α}
3

:func:`row_lstm_classifier` reads an 8×8 digit row by row (8 steps of 8 pixels). On
scikit-learn's digits (hidden size 64, 15 epochs of Adam at 1e-2, classifier head in float,
deterministic rule): binary 98.3 %, ternary 97.8 %, the same network in float 98.9 % test
accuracy. The recurrent weights need 1 (binary) or 2 (ternary) bits instead of 32. The paper's
point shows even here: with ``batch_norm=False`` the binary LSTM reaches 83.6 % and the ternary
85.0 % (float 96.1 %). ``tests/zoo/test_quantization.py`` trains hidden size 48 for 10 epochs
and asserts a 93 % floor and a gap of at least 8 points between the BN and the plain binary LSTM.

Deviations from the paper
-------------------------
* Batch-norm statistics are kept per time step up to ``max_steps`` (later steps reuse the last),
  as in recurrent batch normalisation (Cooijmans et al.); gains ``φ`` are shared across time.
* Test time always uses the deterministic weights. After stochastic training (``stochastic=True``;
  the default is the deterministic rule, which trained faster on digits) re-estimate the BN
  statistics for them with :func:`~zoo.quantization.batchnorm.recalibrate_batchnorm`.
* The initial hidden state is zero and the recurrent product is skipped at the first step, where
  the authors' code starts from a learned state plus small noise.
* One LSTM layer, no GRU; the classifier head stays in float. The paper's hardware accelerator
  is out of scope: here ±1 and 0 weights are stored as floats.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

import torch
from torch import nn

from zoo.registry import register

from .layers import Quantizer
from .ste import binary_sign, straight_through

__all__ = [
    "BinaryTernaryLSTM",
    "LSTMReplacement",
    "RecurrentWeightQuantizer",
    "RowLSTMClassifier",
    "recurrent_binary_ternary",
    "row_lstm_classifier",
]

Mode = Literal["binary", "ternary", "float"]


class RecurrentWeightQuantizer(Quantizer):
    """Binary ``{-α, α}`` or ternary ``{-α, 0, α}`` weights; stochastic while training if asked."""

    def __init__(self, mode: Mode, *, alpha: float, stochastic: bool = False) -> None:
        super().__init__()
        if mode not in ("binary", "ternary", "float"):
            raise ValueError(f"mode must be 'binary', 'ternary' or 'float', not {mode!r}")
        self.mode, self.alpha, self.stochastic = mode, alpha, stochastic

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        if self.mode == "float":
            return w
        r = w.detach() / self.alpha
        sample = self.stochastic and self.training
        if self.mode == "binary":
            if sample:
                q = torch.where(torch.rand_like(r) < torch.clamp((r + 1) / 2, 0, 1), 1.0, -1.0)
            else:
                q = binary_sign(r)
        else:
            # Stochastic: keep the sign with probability |w|/α; deterministic: beyond α/3.
            keep = torch.rand_like(r) < r.abs() if sample else r.abs() > 1 / 3
            q = torch.where(keep, torch.sign(r), 0.0)
        return straight_through(self.alpha * q.to(w.dtype), w)

    def extra_repr(self) -> str:
        return f"mode={self.mode}, alpha={self.alpha}, stochastic={self.stochastic}"


class _StepNorm(nn.Module):
    """BatchNorm with statistics per time step and one shared gain (and optional shift)."""

    def __init__(self, features: int, max_steps: int, *, gain: float, shift: bool) -> None:
        super().__init__()
        self.norms = nn.ModuleList(nn.BatchNorm1d(features, affine=False) for _ in range(max_steps))
        self.gain = nn.Parameter(torch.full((features,), gain))
        self.shift = nn.Parameter(torch.zeros(features)) if shift else None

    def forward(self, x: torch.Tensor, step: int) -> torch.Tensor:
        y = self.norms[min(step, len(self.norms) - 1)](x) * self.gain
        return y if self.shift is None else y + self.shift


class BinaryTernaryLSTM(nn.Module):
    """A single-layer, batch-first LSTM with binary, ternary (or float) ``W_x`` and ``W_h``.

    ``forward(x)`` takes ``(batch, time, input_size)`` and returns ``(outputs, (h_T, c_T))``
    like ``nn.LSTM(batch_first=True)``, without an initial state argument (zeros). ``mode`` is
    ``"binary"``, ``"ternary"`` or ``"float"``; ``stochastic`` samples the weights while
    training; ``batch_norm=False`` drops the normalisation (the ablation the paper argues from).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        mode: Mode = "binary",
        stochastic: bool = False,
        max_steps: int = 64,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        gates = 4 * hidden_size
        # α = half the Glorot bound; latent weights start in [-2α, 2α] (the authors' choices).
        alpha_ih = 0.5 * (6 / (input_size + gates)) ** 0.5
        alpha_hh = 0.5 * (6 / (hidden_size + gates)) ** 0.5
        self.weight_ih = nn.Parameter(torch.empty(gates, input_size).uniform_(-2, 2) * alpha_ih)
        self.weight_hh = nn.Parameter(torch.empty(gates, hidden_size).uniform_(-2, 2) * alpha_hh)
        self.bias = nn.Parameter(torch.zeros(gates))
        with torch.no_grad():
            self.bias[hidden_size : 2 * hidden_size] = 1.0  # forget gate open at the start
        self.quantize_ih = RecurrentWeightQuantizer(mode, alpha=alpha_ih, stochastic=stochastic)
        self.quantize_hh = RecurrentWeightQuantizer(mode, alpha=alpha_hh, stochastic=stochastic)
        # BN(W_x x; φ_x, 0) and BN(W_h h; φ_h, 0): no shift (the bias b supplies it); small gains
        # keep the gates out of saturation at the start (recurrent BN's initialisation).
        self.norm_ih = _StepNorm(gates, max_steps, gain=0.1, shift=False)
        self.norm_hh = _StepNorm(gates, max_steps, gain=0.1, shift=False)
        self.norm_c = _StepNorm(hidden_size, max_steps, gain=0.1, shift=True)  # BN(c; φ_c, γ_c)
        self.batch_norm = batch_norm  # False: the plain quantised LSTM the paper improves on

    def quantized_weights(self) -> dict[str, torch.Tensor]:
        """The deterministic (test-time) ``weight_ih`` and ``weight_hh``."""
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                return {
                    "weight_ih": self.quantize_ih(self.weight_ih).clone(),
                    "weight_hh": self.quantize_hh(self.weight_hh).clone(),
                }
        finally:
            self.train(was_training)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        batch, steps, _ = x.shape
        w_ih, w_hh = self.quantize_ih(self.weight_ih), self.quantize_hh(self.weight_hh)
        h = x.new_zeros(batch, self.hidden_size)
        c = x.new_zeros(batch, self.hidden_size)
        x_products = x @ w_ih.T  # (batch, time, 4H): all input products in one matrix multiply
        outputs = []
        for t in range(steps):
            if self.batch_norm:
                gates = self.norm_ih(x_products[:, t], t) + self.bias
                if t > 0:  # h_0 = 0, whose product has no statistics worth normalising
                    gates = gates + self.norm_hh(h @ w_hh.T, t)
            else:
                gates = x_products[:, t] + h @ w_hh.T + self.bias
            i, f, g, o = gates.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(self.norm_c(c, t) if self.batch_norm else c)
            outputs.append(h)
        return torch.stack(outputs, dim=1), (h, c)


class RowLSTMClassifier(nn.Module):
    """Reads an image ``(N, 1, rows, cols)`` row by row with a :class:`BinaryTernaryLSTM`."""

    def __init__(self, lstm: BinaryTernaryLSTM, num_classes: int = 10) -> None:
        super().__init__()
        self.lstm = lstm
        self.classifier = nn.Linear(lstm.hidden_size, num_classes)  # float head

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(images.flatten(1, -2))  # (N, 1, R, C) → (N, R, C): one row per step
        return self.classifier(h)


def row_lstm_classifier(
    mode: Mode = "binary",
    *,
    hidden_size: int = 64,
    cols: int = 8,
    rows: int = 8,
    num_classes: int = 10,
    stochastic: bool = False,
) -> RowLSTMClassifier:
    """A digits classifier: 8 steps of 8 pixels into a binary/ternary LSTM, then a Linear head."""
    lstm = BinaryTernaryLSTM(cols, hidden_size, mode=mode, stochastic=stochastic, max_steps=rows)
    return RowLSTMClassifier(lstm, num_classes)


class LSTMReplacement(BinaryTernaryLSTM):
    """A :class:`BinaryTernaryLSTM` that stands in for a single-layer ``nn.LSTM``: same
    ``batch_first`` convention, outputs shaped like ``nn.LSTM``'s (``h_T`` and ``c_T`` as
    ``(1, batch, hidden)``), latent weights and bias taken from the LSTM it replaces."""

    def __init__(self, lstm: nn.LSTM, **options: Any) -> None:
        super().__init__(lstm.input_size, lstm.hidden_size, **options)
        self.batch_first = lstm.batch_first
        with torch.no_grad():  # nn.LSTM's gate order is (i, f, g, o), as here
            self.weight_ih.copy_(lstm.weight_ih_l0)
            self.weight_hh.copy_(lstm.weight_hh_l0)
            self.bias.zero_()
            for name in ("bias_ih_l0", "bias_hh_l0"):
                if getattr(lstm, name, None) is not None:
                    self.bias += getattr(lstm, name)
        self.to(device=lstm.weight_ih_l0.device, dtype=lstm.weight_ih_l0.dtype)

    def forward(  # type: ignore[override]
        self, x: torch.Tensor, hx: Any = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        if hx is not None:
            raise ValueError("the binary/ternary LSTM starts from a zero state: pass no hx")
        out, (h, c) = super().forward(x if self.batch_first else x.transpose(0, 1))
        return (out if self.batch_first else out.transpose(0, 1)), (h[None], c[None])


@register(
    "recurrent-binary-ternary",
    paper="2019-iclr-learning-recurrent-binary-ternary",
    category="quantization",
    subcategory="binary",
    summary="LSTM with binary or ternary weights, trained with batch-normalised gate inputs.",
)
def recurrent_binary_ternary(
    model: nn.Module,
    *,
    mode: Mode = "binary",
    stochastic: bool = False,
    max_steps: int = 64,
    batch_norm: bool = True,
) -> nn.Module:
    """A copy of ``model`` whose every ``nn.LSTM`` is a binary (or ternary) LSTM with
    batch-normalised gate inputs (:class:`LSTMReplacement`), starting from its weights; train or
    fine-tune it. Single-layer, unidirectional LSTMs without projections only (one ``ValueError``
    naming every LSTM that is not); the model must not pass an initial state.
    """
    lstms = {n: m for n, m in model.named_modules() if isinstance(m, nn.LSTM)}
    if not lstms:
        raise ValueError("recurrent-binary-ternary: the model has no nn.LSTM to convert")
    unsupported = [
        f"{n or 'model'} (num_layers={m.num_layers}, bidirectional={m.bidirectional}, "
        f"proj_size={m.proj_size})"
        for n, m in lstms.items()
        if m.num_layers != 1 or m.bidirectional or m.proj_size
    ]
    if unsupported:
        raise ValueError(
            "recurrent-binary-ternary converts single-layer, unidirectional LSTMs without "
            f"projections; not: {'; '.join(unsupported)}"
        )
    options = {"mode": mode, "stochastic": stochastic, "max_steps": max_steps,
               "batch_norm": batch_norm}
    if "" in lstms:
        return LSTMReplacement(lstms[""], **options)
    converted = copy.deepcopy(model)
    for name, lstm in lstms.items():
        converted.set_submodule(name, LSTMReplacement(lstm, **options))
    return converted
