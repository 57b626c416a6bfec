"""MiniLLM — *Knowledge Distillation of Large Language Models*.

Yuxian Gu, Li Dong, Furu Wei, Minlie Huang. ICLR 2024.
Catalog id ``2024-iclr-minillm`` · https://arxiv.org/abs/2306.08543 ·
code https://github.com/microsoft/LMOps/tree/main/minillm

**Objective.** Word-level distillation minimises the *forward* KL
:math:`\\mathrm{KL}(p \\Vert q_\\theta)` of teacher :math:`p` to student :math:`q_\\theta` on the
training text, which makes a small student spread mass over everything the teacher can say.
MiniLLM minimises the *reverse* KL on the student's own generations,

.. math:: \\theta^\\ast = \\arg\\min_\\theta \\mathrm{KL}(q_\\theta \\Vert p)
          = \\arg\\min_\\theta -\\mathbb E_{y\\sim q_\\theta}\\Big[\\log\\frac{p(y\\mid x)}
            {q_\\theta(y\\mid x)}\\Big],

mode-seeking: the student concentrates on what the teacher finds likely. The policy gradient is
split into a *single-step* part — at every generated position the exact reverse KL over the
vocabulary, :math:`\\sum_v q_\\theta(v)\\,[\\log q_\\theta(v) - \\log p(v)]`, differentiated
directly — and a *long-term* part :math:`-w_t\\, R^{\\text{N}}_{t+1} \\nabla \\log q_\\theta(y_t)`
with the length-normalised return
:math:`R^{\\text{N}}_{t+1} = \\frac{1}{T-t-1}\\sum_{t'>t}\\log\\frac{p(y_{t'})}{q_\\theta(y_{t'})}`.
Samples come from the *teacher-mixed* distribution :math:`\\tilde p = \\alpha p + (1-\\alpha)
q_\\theta` (α = 0.2), corrected by the importance weight
:math:`w_t = q_\\theta(y_t)/\\tilde p(y_t)`; the language-modelling loss on the training text is
added to keep the student fluent.

:func:`forward_kl` is the baseline: per-token :math:`\\mathrm{KL}(p \\Vert q_\\theta)` on the
training text (Hinton's :func:`~zoo.distillation.hinton.kd_loss` at T = 1) plus the same LM loss.

>>> import copy, torch
>>> from transformers import LlamaConfig, LlamaForCausalLM
>>> _ = torch.manual_seed(0)
>>> teacher = LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64,
...     num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4))
>>> tokens = torch.randint(0, 64, (2, 16))
>>> float(reverse_kl_loss(teacher, teacher, tokens, prompt_length=8, mix_alpha=0.2))  # q = p
0.0
>>> student = copy.deepcopy(teacher)
>>> len(minillm(student, teacher, tokens, steps=2, prompt_length=8, new_tokens=4))
2

**Measured** (``python -m zoo.bench.lm_pruning --parts distillation --distill-steps 40
--pretrain-steps 80``; teacher: the ``"tiny"`` LM; student half as wide and deep, 172 k
parameters, pre-trained 80 LM steps, then 40 more steps of 8 × 64 tokens each way; validation
perplexity on 16 windows): alone 141.1, forward KL 141.8, MiniLLM 148.2 — the target (MiniLLM ≤
forward KL) is **missed**. In this run the teacher itself scored 159.9 after reloading across
transformers versions (see ``benchmarks/results/lm-pruning.json``), worse than the students, so
imitating it could not help; 40 steps are also far from the paper's training budget.

Deviations from the paper
-------------------------
* Plain gradient steps on freshly sampled batches instead of PPO (no clipped ratio, no replay of
  a rollout buffer, no value-free baseline); the importance weight is bounded by
  :math:`1/(1-\\alpha)` by construction, so no clipping is needed.
* Prompts are the first ``prompt_length`` tokens of training sequences and responses are
  ``new_tokens`` long (no instruction data here); the paper's student starts from SFT, ours from
  whatever the caller passes (the bench uses the same pre-trained student for every variant).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..language.calibration import calibration_batches
from ..registry import register
from .hinton import kd_loss

__all__ = ["forward_kl", "minillm", "reverse_kl_loss", "sample_mixed"]


def _logits(model: nn.Module, ids: torch.Tensor) -> torch.Tensor:
    out = model(ids)
    return out.logits if hasattr(out, "logits") else out


@torch.no_grad()
def sample_mixed(
    student: nn.Module, teacher: nn.Module, prompts: torch.Tensor, new_tokens: int,
    mix_alpha: float, generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Continue ``prompts`` by ``new_tokens`` tokens sampled from α·p + (1 − α)·q."""
    ids = prompts
    for _ in range(new_tokens):
        q = F.softmax(_logits(student, ids)[:, -1].float(), dim=-1)
        p = F.softmax(_logits(teacher, ids)[:, -1].float(), dim=-1)
        token = torch.multinomial(mix_alpha * p + (1 - mix_alpha) * q, 1, generator=generator)
        ids = torch.cat([ids, token], dim=1)
    return ids


def reverse_kl_loss(
    student: nn.Module, teacher: nn.Module, ids: torch.Tensor, prompt_length: int,
    mix_alpha: float,
) -> torch.Tensor:
    """Single-step plus long-term MiniLLM loss on sampled ``ids`` (responses after the prompt)."""
    s = F.log_softmax(_logits(student, ids)[:, prompt_length - 1:-1].float(), dim=-1)
    with torch.no_grad():
        t = F.log_softmax(_logits(teacher, ids)[:, prompt_length - 1:-1].float(), dim=-1)
    y = ids[:, prompt_length:].unsqueeze(-1)
    log_q, log_p = s.gather(-1, y).squeeze(-1), t.gather(-1, y).squeeze(-1)
    with torch.no_grad():
        weight = log_q.exp() / (mix_alpha * log_p.exp() + (1 - mix_alpha) * log_q.exp())
        reward = log_p - log_q
        # Σ_{t'>t} r_t' / (number of later tokens), 0 at the last position
        later = reward.flip(1).cumsum(1).flip(1) - reward
        remaining = torch.arange(reward.shape[1] - 1, -1, -1, dtype=reward.dtype)
        returns = later / remaining.clamp_min(1)
    single = (s.exp() * (s - t)).sum(-1)  # exact reverse KL at each position
    long_term = -returns * log_q
    return (weight * (single + long_term)).mean()


def _train(
    student: nn.Module, data: Any, steps: int, lr: float, step_loss: Any, seed: int | None,
) -> list[float]:
    batches = calibration_batches(data)
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if seed is not None:
        torch.manual_seed(seed)
    optimizer = torch.optim.AdamW(student.parameters(), lr=lr)
    was_training, losses = student.training, []
    student.train()
    try:
        for step in range(steps):
            loss = step_loss(batches[step % len(batches)])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
    finally:
        student.train(was_training)
    return losses


def _lm_loss(model: nn.Module, ids: torch.Tensor) -> torch.Tensor:
    logits = _logits(model, ids)[:, :-1]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), ids[:, 1:].reshape(-1))


@register(
    "minillm",
    paper="2024-iclr-minillm",
    category="distillation",
    subcategory=None,
    summary="LLM distillation by reverse KL on the student's own (teacher-mixed) samples.",
)
def minillm(
    student: nn.Module,
    teacher: nn.Module,
    data: Iterable[torch.Tensor] | torch.Tensor,
    *,
    steps: int,
    lr: float = 1e-4,
    prompt_length: int = 16,
    new_tokens: int = 16,
    mix_alpha: float = 0.2,
    lm_weight: float = 1.0,
    seed: int | None = 0,
) -> list[float]:
    """Train ``student`` in place for ``steps`` batches of token ids from ``data``; the losses.

    Each step samples continuations of the batch's first ``prompt_length`` tokens, takes the
    MiniLLM loss on them and adds ``lm_weight`` × the LM loss on the batch itself. Student and
    teacher are causal LMs returning logits (``.logits`` of a Hugging Face output, or a tensor)
    over the same vocabulary; the teacher is not changed.
    """
    if not 0 <= mix_alpha < 1:
        raise ValueError(f"mix_alpha must be in [0, 1), got {mix_alpha}")
    teacher.eval()
    generator = torch.Generator().manual_seed(seed or 0)

    def step_loss(ids: torch.Tensor) -> torch.Tensor:
        if ids.shape[1] <= prompt_length:
            raise ValueError(f"training sequences of {ids.shape[1]} tokens leave nothing after "
                             f"a prompt of {prompt_length}")
        student.eval()  # sampling without dropout
        sampled = sample_mixed(student, teacher, ids[:, :prompt_length], new_tokens, mix_alpha,
                               generator)
        student.train()
        rkl = reverse_kl_loss(student, teacher, sampled, prompt_length, mix_alpha)
        return rkl + lm_weight * _lm_loss(student, ids)

    return _train(student, data, steps, lr, step_loss, seed)


def forward_kl(
    student: nn.Module,
    teacher: nn.Module,
    data: Iterable[torch.Tensor] | torch.Tensor,
    *,
    steps: int,
    lr: float = 1e-4,
    lm_weight: float = 1.0,
    seed: int | None = 0,
) -> list[float]:
    """The baseline: per-token forward KL to the teacher on the training text (+ LM loss)."""
    teacher.eval()

    def step_loss(ids: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            target = _logits(teacher, ids).float()
        logits = _logits(student, ids).float()
        vocab = logits.shape[-1]
        kl = kd_loss(logits.reshape(-1, vocab), target.reshape(-1, vocab), temperature=1.0)
        return kl + lm_weight * _lm_loss(student, ids)

    return _train(student, data, steps, lr, step_loss, seed)


def train_alone(
    student: nn.Module, data: Iterable[torch.Tensor] | torch.Tensor, *, steps: int,
    lr: float = 1e-4, seed: int | None = 0,
) -> list[float]:
    """The reference: the same student trained on the LM loss only, same steps and data."""
    return _train(student, data, steps, lr, lambda ids: _lm_loss(student, ids), seed)
