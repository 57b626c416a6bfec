"""The language-model quantisation benchmark: GPTQ, AWQ, SmoothQuant beside RTN and llmcompressor.

``python -m zoo.bench.language [--recipe small] [--out benchmarks/results/language.json]`` trains
(or loads) the zoo's small Llama on Python's standard library (:mod:`zoo.language`), then for each
row: quantises it (timed), measures validation perplexity
(:func:`zoo.language.perplexity.perplexity`), the packed file size of weight-only rows
(:func:`zoo.quantization.packing.save_packed`; Linear bytes against their fp32 bytes), the
latency of one forward at batch 8 × 128 tokens and of a
64-token greedy generation (one thread, medians), and checks the issue's targets.

A row is a small adapter: ``(name, method, setting, kind, apply)`` where ``apply(lm, calibration)``
returns the quantised model. Peers (llmcompressor's ``oneshot`` on the saved folder; torchao's
``quantize_`` where it has a CPU path: its int8 dynamic-activation W8A8 beside naive W8A8 and its
Intx int4 weight-only beside RTN W4) are imported only here, never by the methods; a peer row is
named ``<library>-<the zoo row it mirrors>``. llmcompressor's AWQ needs an accelerator (it fails
on CPU with "Cannot access accelerator device"): its row records the failure, and AWQ is judged
against RTN.

SmoothQuant needs activation outliers to have something to fix; a model trained for minutes has
few. The ``outliers`` rows therefore repeat naive W8A8 and SmoothQuant on the same trained model
with outlier channels *injected* (a few RMSNorm weights × 30, compensated in the q/k/v and
gate/up columns so the float model is unchanged) — stated as such in the results.

Latency figures come from a shared machine and are noisy: the result file records the load. The
forward passes of all rows are timed together at the end, interleaved (their ratios see the same
load); the generation figures are timed row by row.

``aladin bench --section language`` runs this module and then :mod:`zoo.bench.lm_pruning` on
one model folder; each file records the command that wrote it.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import offline  # noqa: F401  (before transformers: it reads HF_HUB_OFFLINE when imported)

# isort: split
from ..language.perplexity import perplexity, unigram_perplexity
from ..language.train import TrainedLM, calibration_windows, prepare_lm
from ..quantization.awq import awq
from ..quantization.gptq import gptq
from ..quantization.lm_weights import rtn
from ..quantization.packing import save_packed
from ..quantization.smoothquant import smoothquant
from ..quantization.w8a8 import activation_levels, w8a8
from .lm_pruning import FORWARD, THREADS, _generate_ms, _timed, forward_timing
from .measure import latency_session

__all__ = ["ROWS", "LMRow", "inject_outliers", "language_rows", "main", "targets"]

Apply = Callable[[nn.Module, torch.Tensor], nn.Module]


@dataclass(frozen=True)
class LMRow:
    """One benchmark row: what to run and how it is labelled."""

    name: str
    method: str  # zoo method, "rtn" / "w8a8" baselines, or "llmcompressor-..." peers
    setting: str
    kind: str  # "method", "reference" or "peer"
    apply: Apply
    model: str = "trained"  # "trained" or "outliers" (the trained model with injected outliers)


def _oneshot(folder: Path, calibration: torch.Tensor, recipe: Any) -> nn.Module:
    """llmcompressor's ``oneshot`` on the saved checkpoint (CPU)."""
    from datasets import Dataset
    from llmcompressor import oneshot
    from transformers import LlamaForCausalLM

    model = LlamaForCausalLM.from_pretrained(folder).eval()
    dataset = Dataset.from_dict({"input_ids": calibration.tolist(),
                                 "attention_mask": torch.ones_like(calibration).tolist()})
    oneshot(model=model, dataset=dataset, recipe=recipe, num_calibration_samples=len(calibration),
            max_seq_length=calibration.shape[1])
    return model


def _peer(kind: str, folder_of: Callable[[], Path]) -> Apply:
    def apply(_model: nn.Module, calibration: torch.Tensor) -> nn.Module:
        from llmcompressor.modifiers.quantization import GPTQModifier

        if kind == "gptq":
            recipe = GPTQModifier(targets="Linear", scheme="W4A16", ignore=["lm_head"])
        elif kind == "smoothquant":
            from llmcompressor.modifiers.smoothquant import SmoothQuantModifier

            recipe = [SmoothQuantModifier(smoothing_strength=0.5),
                      GPTQModifier(targets="Linear", scheme="W8A8", ignore=["lm_head"])]
        else:
            from llmcompressor.modifiers.awq import AWQModifier

            recipe = AWQModifier(targets="Linear", scheme="W4A16", ignore=["lm_head"])
        return _oneshot(folder_of(), calibration, recipe)

    return apply


def _torchao(kind: str) -> Apply:
    """torchao's CPU paths on a copy: int8 dynamic activations × int8 weights (its W8A8), or
    int4 weights, asymmetric, per group of 128 (torchao 0.18's ``Int4WeightOnlyConfig`` fails on
    this CPU-only install with "Requires mslk >= 1.0.0"; the ``Intx`` config runs on CPU)."""

    def apply(model: nn.Module, _calibration: torch.Tensor) -> nn.Module:
        from torchao.quantization import (
            Int8DynamicActivationInt8WeightConfig,
            IntxWeightOnlyConfig,
            MappingType,
            quantize_,
        )
        from torchao.quantization.granularity import PerGroup

        model = copy.deepcopy(model)  # quantize_ works in place
        config = (Int8DynamicActivationInt8WeightConfig() if kind == "w8a8" else
                  IntxWeightOnlyConfig(weight_dtype=torch.int4, granularity=PerGroup(128),
                                       mapping_type=MappingType.ASYMMETRIC))
        # the block Linears only, as the zoo's rows (embeddings and the output head stay float)
        quantize_(model, config, filter_fn=lambda m, name: isinstance(m, nn.Linear)
                  and name != "lm_head")
        return model

    return apply


_FOLDER: dict[str, Path] = {}


def _rows() -> list[LMRow]:
    folder = lambda: _FOLDER["trained"]  # noqa: E731 (set once the model is prepared)
    rows = [LMRow("fp32", "fp32", "float32", "reference", lambda m, _c: m)]
    for bits in (4, 3):
        g = f"W{bits} g128"
        rows += [
            LMRow(f"rtn-w{bits}", "rtn", g, "reference", lambda m, _c, b=bits: rtn(m, bits=b)),
            LMRow(f"gptq-w{bits}", "gptq", g, "method",
                  lambda m, c, b=bits: gptq(m, c, bits=b)),
            LMRow(f"gptq-w{bits}-act-order", "gptq", f"{g}, act-order", "method",
                  lambda m, c, b=bits: gptq(m, c, bits=b, act_order=True)),
            LMRow(f"awq-w{bits}", "awq", g, "method", lambda m, c, b=bits: awq(m, c, bits=b)),
            LMRow(f"awq-w{bits}-no-clip", "awq", f"{g}, no clip", "method",
                  lambda m, c, b=bits: awq(m, c, bits=b, clip=False)),
        ]
    rows.insert(2, LMRow("torchao-rtn-w4", "torchao IntxWeightOnlyConfig", "W4 g128", "peer",
                         _torchao("w4")))  # beside rtn-w4, the same round-to-nearest scheme
    rows += [
        LMRow("llmcompressor-gptq-w4", "llmcompressor GPTQModifier", "W4A16 g128", "peer",
              _peer("gptq", folder)),
        LMRow("llmcompressor-awq-w4", "llmcompressor AWQModifier", "W4A16 g128", "peer",
              _peer("awq", folder)),
        LMRow("w8a8-naive", "w8a8", "W8A8 per-token, no smoothing", "reference",
              lambda m, _c: w8a8(m)),
        LMRow("torchao-w8a8-naive", "torchao Int8DynamicActivationInt8WeightConfig",
              "W8A8 per-token, no smoothing", "peer", _torchao("w8a8")),
        LMRow("smoothquant-w8a8", "smoothquant", "W8A8, α = 0.5", "method",
              lambda m, c: smoothquant(m, c)),
        LMRow("llmcompressor-smoothquant-w8a8", "llmcompressor SmoothQuant+GPTQ", "W8A8, α = 0.5",
              "peer", _peer("smoothquant", folder)),
    ]
    # Where the activations have the outliers that SmoothQuant and AWQ are built for (the trained
    # small model has none to speak of), the same rows on the outlier-injected copy.
    for name in ("fp32", "rtn-w4", "awq-w4", "rtn-w3", "awq-w3", "w8a8-naive",
                 "smoothquant-w8a8"):
        row = next(r for r in rows if r.name == name)
        rows.append(LMRow(f"{name}-outliers", row.method, row.setting, row.kind, row.apply,
                          model="outliers"))
    return rows


ROWS = _rows()


@torch.no_grad()
def inject_outliers(model: nn.Module, *, channels: int = 4, factor: float = 30.0,
                    seed: int = 0) -> nn.Module:
    """A copy whose RMSNorm outputs have ``channels`` outlier channels ``factor`` × larger, with
    the reading Linears' columns divided by ``factor``: the same function in float."""
    model = copy.deepcopy(model)
    generator = torch.Generator().manual_seed(seed)
    for layer in model.model.layers:
        for norm, readers in ((layer.input_layernorm, ("q_proj", "k_proj", "v_proj")),
                              (layer.post_attention_layernorm, ("gate_proj", "up_proj"))):
            picked = torch.randperm(norm.weight.numel(), generator=generator)[:channels]
            norm.weight[picked] *= factor
            parent = layer.self_attn if readers[0] == "q_proj" else layer.mlp
            for name in readers:
                getattr(parent, name).weight[:, picked] /= factor
    return model


def language_rows(lm: TrainedLM, *, calibration: int = 64, eval_windows: int | None = None,
                  workdir: Path, only: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Run every row (or those named in ``only``) and return their figures."""
    _FOLDER["trained"] = lm.folder
    calib = calibration_windows(lm.train_ids, count=calibration, seq_len=lm.seq_len)
    bases = {"trained": lm.model, "outliers": inject_outliers(lm.model)}
    batch = calibration_windows(lm.validation_ids, count=8, seq_len=lm.seq_len, seed=1)
    prompt = lm.validation_ids[:16].unsqueeze(0)
    rows, models = [], {}
    torch.set_num_threads(THREADS)
    for row in ROWS:
        if only and row.name not in only:
            continue
        record: dict[str, Any] = {"name": row.name, "method": row.method, "setting": row.setting,
                                  "kind": row.kind, "model": row.model}
        try:
            model, seconds = _timed(lambda r=row: r.apply(bases[r.model], calib))
            model.eval()
            record.update(status="ok", quantize_seconds=round(seconds, 2),
                          perplexity=perplexity(model, lm.validation_ids, seq_len=lm.seq_len,
                                                max_windows=eval_windows))
            if row.method in ("rtn", "gptq", "awq"):
                record["bytes"] = save_packed(model, workdir / f"{row.name}.safetensors")
            record["generate_ms_64"] = _generate_ms(model, prompt)
            models[row.name] = model
        except Exception as exc:  # a failing row (e.g. a peer without its accelerator) is data
            record.update(status="failed", error=f"{type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''}"[:300])
        print(json.dumps(record), flush=True)
        rows.append(record)
    measured = latency_session(models, batch, FORWARD)
    for record in rows:
        if record["name"] in measured:
            forward = measured[record["name"]]["8"]
            record["forward_ms_8x128"] = forward["median"]
            record["forward_range_ms_8x128"] = [forward["min"], forward["max"]]
    return rows


def _get(rows: list[dict[str, Any]], name: str) -> float | None:
    row = next((r for r in rows if r["name"] == name and r["status"] == "ok"), None)
    return row["perplexity"] if row else None


def _check(text: str, value: float | None, op: str, limit: float | None) -> dict[str, Any]:
    reached = value is not None and limit is not None and (
        value <= limit if op == "<=" else value >= limit)
    return {"name": text, "value": value, "op": op, "limit": limit, "reached": reached}


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, each with its checks (``reached`` or not, with the figures)."""
    fp32, fp32_out = _get(rows, "fp32"), _get(rows, "fp32-outliers")

    def increase(name: str, base: float | None = fp32) -> float | None:
        value = _get(rows, name)
        return None if value is None or base is None else value / base - 1

    def ratio(name: str, key: str) -> float | None:
        row = next((r for r in rows if r["name"] == name and r["status"] == "ok"), None)
        return None if row is None else row[key]

    peer = increase("llmcompressor-gptq-w4")
    packed = next((r["bytes"] for r in rows if r["name"] == "gptq-w4" and "bytes" in r), None)
    found = [
        ("gptq-w4", "GPTQ W4 g128: perplexity increase ≤ llmcompressor GPTQ's + 1 % and < RTN's",
         [_check("increase − llmcompressor's", None if peer is None or increase("gptq-w4") is None
                 else increase("gptq-w4") - peer, "<=", 0.01),
          _check("increase − RTN's", None if increase("rtn-w4") is None
                 or increase("gptq-w4") is None else increase("gptq-w4") - increase("rtn-w4"),
                 "<=", 0.0)]),
        ("gptq-w3", "GPTQ W3 g128: perplexity increase clearly below RTN's (≤ 0.8 × RTN's)",
         [_check("increase ÷ RTN's", None if not increase("rtn-w3") or increase("gptq-w3") is None
                 else increase("gptq-w3") / increase("rtn-w3"), "<=", 0.8)]),
        ("awq-w4", "AWQ W4 g128: perplexity below RTN's",
         [_check(f"perplexity − RTN's{where}", None if _get(rows, f"awq-w4{suffix}") is None
                 or _get(rows, f"rtn-w4{suffix}") is None
                 else _get(rows, f"awq-w4{suffix}") - _get(rows, f"rtn-w4{suffix}"), "<=", 0.0)
          for suffix, where in (("", " (trained model)"), ("-outliers", " (outliers injected)"))]),
        ("smoothquant", "SmoothQuant W8A8 within 1 % of fp32 perplexity (naive W8A8 beside it)",
         [_check("increase (trained model)", increase("smoothquant-w8a8"), "<=", 0.01),
          _check("naive W8A8 increase (trained model)", increase("w8a8-naive"), "<=", 0.01),
          _check("increase (outliers injected)", increase("smoothquant-w8a8-outliers", fp32_out),
                 "<=", 0.01),
          _check("naive W8A8 increase (outliers injected)",
                 increase("w8a8-naive-outliers", fp32_out), "<=", 0.01)]),
        ("packed-w4", "Packed W4 g128 Linear weights ≤ 16 % of their fp32 bytes",
         [_check("packed ÷ fp32 Linear bytes", None if packed is None
                 else packed["packed_linear"] / packed["fp32_linear"], "<=", 0.16)]),
        ("w8a8-speed", "W8A8 forward (batch 8 × 128) faster than fp32",
         [_check("SmoothQuant W8A8 ÷ fp32 forward time", None if ratio("fp32", "forward_ms_8x128")
                 is None or ratio("smoothquant-w8a8", "forward_ms_8x128") is None
                 else ratio("smoothquant-w8a8", "forward_ms_8x128")
                 / ratio("fp32", "forward_ms_8x128"), "<=", 1.0)]),
    ]
    out = []
    for ident, text, checks in found:
        judged = [c for c in checks if "naive" not in c["name"]]  # naive rows are context
        out.append({"id": ident, "text": text, "checks": checks,
                    "reached": all(c["reached"] for c in judged)})
    return out


def main(argv: list[str] | None = None, *, command: str | None = None) -> int:
    """Run the benchmark and write its file; ``command`` is recorded as the one that ran it
    (default: this module's command line; ``aladin bench --section language`` passes its own)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = command or shlex.join(["python", "-m", "zoo.bench.language", *argv])
    parser = argparse.ArgumentParser(prog="python -m zoo.bench.language")
    parser.add_argument("--recipe", default="small", help="tiny or small (default)")
    parser.add_argument("--folder", help="model folder (default build/lm-<recipe>)")
    parser.add_argument("--out", default="benchmarks/results/language.json")
    parser.add_argument("--calibration", type=int, default=64)
    parser.add_argument("--eval-windows", type=int, default=None)
    parser.add_argument("--only", nargs="*", default=[])
    args = parser.parse_args(argv)
    started = time.time()
    torch.set_num_threads(THREADS)  # one thread trains faster than two fighting other jobs
    folder = Path(args.folder or f"build/lm-{args.recipe}")
    lm = prepare_lm(args.recipe, folder)
    workdir = folder / "packed"
    workdir.mkdir(exist_ok=True)
    rows = language_rows(lm, calibration=args.calibration, eval_windows=args.eval_windows,
                         workdir=workdir, only=tuple(args.only))
    results = {
        "recipe": args.recipe, "size": vars(lm.size), "train_seconds": lm.train_seconds,
        "tokens": {"train": lm.train_ids.numel(), "validation": lm.validation_ids.numel()},
        "unigram_perplexity": unigram_perplexity(lm.train_ids, lm.validation_ids,
                                                 vocab_size=lm.size.vocab),
        "calibration": args.calibration, "threads": THREADS,
        "forward_timing": forward_timing(),
        "activation_levels": activation_levels(), "python": platform.python_version(),
        "load_average": os.getloadavg(), "duration_seconds": round(time.time() - started, 1),
        "command": command, "rows": rows, "targets": targets(rows),
    }
    for target in results["targets"]:
        checks = "; ".join(
            f"{c['name']} {c['value'] if c['value'] is None else round(c['value'], 4)}"
            f" ({c['op']} {c['limit']})" for c in target["checks"])
        print(f"{'reached' if target['reached'] else 'MISSED'}: {target['text']} — {checks}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
