"""The language-model pruning and distillation rows of the benchmark (issue "Zoo, part 4").

One run on one trained checkpoint (:func:`zoo.language.train.prepare_lm`):

* **one-shot sparsity** — magnitude (layer-wise, the baseline), Wanda and SparseGPT at 50 % and
  2:4, beside llmcompressor's ``WandaPruningModifier`` and ``SparseGPTModifier`` run by its
  ``oneshot`` on the saved Hugging Face folder: validation perplexity, pruning time and the size
  of the bitmask safetensors file (:mod:`zoo.language.sparse_storage`) against the dense one;
* **LLM-Pruner** at 20 % and 50 % of the parameters removed, before and after recovery, with the
  forward latency (batch 8 × 128 tokens) and 64-token greedy generation latency against the dense
  model, beside Torch-Pruning's LLM pruning (:mod:`zoo.bench.lm_torch_pruning`) at the parameter
  count LLM-Pruner reached, with the same recovery and measurements;
* **MiniLLM** and forward-KL students against the same student trained alone (same init, steps
  and data), validation perplexity.

Targets are evaluated where they are stated (issue 13) and printed; the rows and targets are
written to ``benchmarks/results/lm-pruning.json`` by ``python -m zoo.bench.lm_pruning`` (or
``aladin bench --section language``, after :mod:`zoo.bench.language`). Peers are
imported only here. Timing figures on a shared 2-core machine are noisy; the protocol
(threads, repeats, median) is in the file.
"""

from __future__ import annotations

import argparse
import copy
import json
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

import zoo
from zoo.bench import offline  # noqa: F401  (before transformers: it reads HF_HUB_OFFLINE)
from zoo.bench.lm_torch_pruning import LIBRARY, ratio_for_params, tp_prune_llm
from zoo.bench.measure import LatencyProtocol, latency_session
from zoo.language.perplexity import perplexity
from zoo.language.sparse_storage import save_sparse
from zoo.language.train import TrainedLM, calibration_windows, prepare_lm
from zoo.pruning.llm_pruner import recover

__all__ = ["distillation_rows", "main", "pruning_rows", "structured_rows"]

THREADS = 1
# The forward passes of the rows are timed together at the end of their section, interleaved in
# shuffled rounds (zoo.bench.measure): timed as each row finished, the load of the moment decided
# the ratios (fp32 timed first at load 5 looked 2.5x slower than W8A8 timed at load 2).
FORWARD = LatencyProtocol(threads=THREADS, batch_sizes=(8,), warmup=2, rounds=7, repeats=3)


def forward_timing() -> dict[str, Any]:
    """How the forward latencies were timed, for the result files."""
    return {"batch": "8 windows of the model's context", "rounds": FORWARD.rounds,
            "repeats_per_round": FORWARD.repeats, "warmup": FORWARD.warmup,
            "statistic": "median over rounds of each round's median; every timed row's model in "
                         "each round, order shuffled"}


def _add(rows: list[dict[str, Any]], row: dict[str, Any]) -> None:
    rows.append(row)
    print(row, flush=True)  # progress: a long run shows its rows as they come


def _count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _file_bytes(model: torch.nn.Module, folder: Path, name: str) -> int:
    return save_sparse(model, folder / f"{name}.safetensors")


def _generate_ms(model: Any, prompt: torch.Tensor, new_tokens: int = 64, repeats: int = 3) -> float:
    previous = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        times = []
        for _ in range(repeats + 1):
            start = time.perf_counter()
            with torch.no_grad():
                model.generate(prompt, max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                               do_sample=False, pad_token_id=0)
            times.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)
    return 1e3 * statistics.median(times[1:])  # the first pays for allocation


def _llmcompressor(lm: TrainedLM, calib: torch.Tensor, modifier: str, structure: str) -> Any:
    """The model llmcompressor's ``oneshot`` returns for ``modifier`` on the saved folder."""
    from datasets import Dataset
    from llmcompressor import oneshot
    from llmcompressor.modifiers.pruning import SparseGPTModifier, WandaPruningModifier
    from transformers import LlamaForCausalLM

    kinds = {"sparsegpt": SparseGPTModifier, "wanda": WandaPruningModifier}
    model = LlamaForCausalLM.from_pretrained(lm.folder).eval()
    dataset = Dataset.from_dict({"input_ids": calib.tolist(),
                                 "attention_mask": torch.ones_like(calib).tolist()})
    recipe = kinds[modifier](sparsity=0.5, mask_structure="0:0" if structure == "unstructured"
                             else structure, targets=["re:.*layers\\.\\d+$"],
                             ignore=["re:.*lm_head"])
    oneshot(model=model, dataset=dataset, recipe=recipe, num_calibration_samples=len(calib),
            max_seq_length=calib.shape[1])
    return model


def pruning_rows(lm: TrainedLM, *, calibration: int = 64, eval_windows: int | None = None,
                 peers: bool = True) -> list[dict[str, Any]]:
    """Magnitude, Wanda, SparseGPT (and llmcompressor's) at 50 % and 2:4 on ``lm``."""
    val = lm.validation_ids
    ppl = lambda m: perplexity(m, val, seq_len=lm.seq_len, max_windows=eval_windows)  # noqa: E731
    calib = calibration_windows(lm.train_ids, count=calibration, seq_len=lm.seq_len)
    folder = Path(tempfile.mkdtemp(prefix="zoo-sparse-"))
    dense_bytes = _file_bytes(lm.model, folder, "dense")
    rows = [{"section": "sparsity", "method": "dense", "setting": "fp32", "perplexity":
             ppl(lm.model), "file_bytes": dense_bytes, "seconds": 0.0}]
    for structure in ("unstructured", "2:4"):
        for method in ("magnitude", "wanda", "sparsegpt"):
            extra = ({"scope": "layer", "ignored_layers": ["lm_head"]} if method == "magnitude"
                     else {"data": calib})
            pruned, seconds = _timed(lambda m=method, e=extra, s=structure: zoo.prune(
                lm.model, None, method=m, pruning_ratio=0.5, mask_structure=s, **e))
            if method == "magnitude":
                from zoo.pruning.masks import make_permanent
                make_permanent(pruned)
            _add(rows, {"section": "sparsity", "method": method, "setting": f"50 % {structure}",
                         "perplexity": ppl(pruned), "seconds": seconds,
                         "file_bytes": _file_bytes(pruned, folder, f"{method}-{structure[:2]}")})
        for peer in ("sparsegpt", "wanda") if peers else ():
            try:
                pruned, seconds = _timed(lambda p=peer, s=structure: _llmcompressor(lm, calib, p,
                                                                                    s))
                _add(rows, {"section": "sparsity", "method": f"llmcompressor-{peer}",
                             "setting": f"50 % {structure}", "perplexity": ppl(pruned),
                             "seconds": seconds})
            except Exception as exc:  # a peer that fails is reported, not fatal
                _add(rows, {"section": "sparsity", "method": f"llmcompressor-{peer}",
                             "setting": f"50 % {structure}", "status": "failed",
                             "error": f"{type(exc).__name__}: {exc}"[:300]})
    for row in rows:
        if "file_bytes" in row:
            row["file_vs_dense"] = round(row["file_bytes"] / dense_bytes, 4)
    return rows


def _ratio_for(lm: TrainedLM, removed: float, skip_first: int, skip_last: int) -> float:
    """The per-block ratio of heads and MLP channels that removes ``removed`` of all parameters
    (attention and MLP weights of the pruned blocks shrink in proportion)."""
    blocks = lm.model.model.layers
    pruned_blocks = blocks[skip_first:len(blocks) - skip_last]
    prunable = sum(p.numel() for b in pruned_blocks for n, p in b.named_parameters()
                   if "proj" in n)
    ratio = removed * _count(lm.model) / prunable
    if ratio >= 1:
        raise ValueError(f"cannot remove {removed:.0%} of the parameters from the pruned blocks")
    return ratio


def structured_rows(lm: TrainedLM, *, removed: tuple[float, ...] = (0.2, 0.5),
                    calibration: int = 16, recovery_steps: int = 100, recovery_lr: float = 1e-3,
                    eval_windows: int | None = None, peers: bool = True) -> list[dict[str, Any]]:
    """LLM-Pruner at ``removed`` fractions of the parameters, and Torch-Pruning's LLM pruning at
    the parameter count LLM-Pruner reached: before/after recovery, latencies."""
    val = lm.validation_ids
    ppl = lambda m: perplexity(m, val, seq_len=lm.seq_len, max_windows=eval_windows)  # noqa: E731
    calib = calibration_windows(lm.train_ids, count=calibration, seq_len=lm.seq_len, seed=1)
    batch = calibration_windows(val, count=8, seq_len=lm.seq_len, seed=2)
    prompt = batch[:1, :16]
    train = calibration_windows(lm.train_ids, count=recovery_steps * 8, seq_len=lm.seq_len,
                                seed=3).split(8)
    dense = {"section": "structured", "method": "dense", "setting": "fp32",
             "perplexity": ppl(lm.model), "params": _count(lm.model),
             "generate_ms": _generate_ms(lm.model, prompt)}
    rows = [dense]
    timed: list[tuple[dict[str, Any], torch.nn.Module]] = [(dense, lm.model)]

    def measured(prune: Callable[[], torch.nn.Module], row: dict[str, Any]) -> dict[str, Any]:
        """``row`` with the figures every structured row has: prune, perplexity, recovery (the
        same steps, data and lr for every method), perplexity again, size and latencies."""
        pruned, seconds = _timed(prune)
        before = ppl(pruned)
        _, recovery_seconds = _timed(lambda: recover(pruned, train, steps=recovery_steps,
                                                     lr=recovery_lr))
        pruned.eval()
        timed.append((row, pruned))
        params = _count(pruned)
        row.update({"perplexity_before_recovery": before, "perplexity": ppl(pruned),
                    "params": params, "param_reduction": 1 - params / dense["params"],
                    "seconds": seconds, "recovery_seconds": recovery_seconds,
                    "recovery_steps": recovery_steps, "recovery_lr": recovery_lr,
                    "generate_ms": _generate_ms(pruned, prompt)})
        return row

    for fraction in removed:
        ratio = _ratio_for(lm, fraction, 0, 0)
        ours = measured(lambda r=ratio: zoo.prune(
            lm.model, None, method="llm-pruner", pruning_ratio=r, data=calib, skip_first=0,
            skip_last=0), {"section": "structured", "method": "llm-pruner",
                           "setting": f"{fraction:.0%} of parameters (ratio {ratio:.3f} per "
                                      "block)"})
        _add(rows, ours)
        if not peers:
            continue
        try:  # at LLM-Pruner's parameter count, not the nominal fraction (heads are coarse)
            (tp_ratio, _), search_seconds = _timed(lambda p=ours["params"]: ratio_for_params(
                lm.model, p))
            _add(rows, measured(lambda r=tp_ratio: tp_prune_llm(lm.model, r, data=calib), {
                "section": "structured", "method": "torch-pruning", "kind": "peer",
                "library": LIBRARY, "ratio_search_seconds": search_seconds,
                "setting": f"{fraction:.0%} of parameters (ratio {tp_ratio:.3f} of heads, MLP "
                           "and hidden channels, Taylor)"}))
        except Exception as exc:  # a peer that fails is reported, not fatal
            _add(rows, {"section": "structured", "method": "torch-pruning", "kind": "peer",
                        "library": LIBRARY, "setting": f"{fraction:.0%} of parameters",
                        "status": "failed", "error": f"{type(exc).__name__}: {exc}"[:300]})
    # Forward passes timed together, interleaved: one after the other, the dense model (timed
    # first) and each pruned one saw different loads, and the speed-up target read the load.
    session = latency_session({str(i): m for i, (_, m) in enumerate(timed)}, batch, FORWARD)
    for i, (row, _) in enumerate(timed):
        forward = session[str(i)]["8"]
        row.update(forward_ms=forward["median"], forward_range_ms=[forward["min"], forward["max"]])
        if row is not dense:
            row["forward_time_reduction"] = 1 - row["forward_ms"] / dense["forward_ms"]
    return rows


def distillation_rows(lm: TrainedLM, *, steps: int = 100, pretrain_steps: int = 150,
                      eval_windows: int | None = None) -> list[dict[str, Any]]:
    """A half-width, half-depth student: alone vs forward KL vs MiniLLM, same init and steps."""
    from zoo.distillation.minillm import forward_kl, minillm, train_alone
    from zoo.language.model import build_model

    size = lm.size
    student_size = type(size)(hidden=size.hidden // 2, layers=max(1, size.layers // 2),
                              heads=max(1, size.heads // 2), intermediate=size.intermediate // 2,
                              vocab=size.vocab, context=size.context)
    val = lm.validation_ids
    ppl = lambda m: perplexity(m, val, seq_len=lm.seq_len, max_windows=eval_windows)  # noqa: E731
    base = build_model(student_size, seed=0)
    windows = calibration_windows(lm.train_ids, count=(pretrain_steps + steps) * 8,
                                  seq_len=64, seed=4).split(8)
    train_alone(base, windows[:pretrain_steps], steps=pretrain_steps, lr=2e-3)
    rows = [{"section": "distillation", "method": "teacher", "setting": "the trained LM",
             "perplexity": ppl(lm.model), "params": _count(lm.model)},
            {"section": "distillation", "method": "student-init",
             "setting": f"{pretrain_steps} LM steps", "perplexity": ppl(base),
             "params": _count(base)}]
    later = windows[pretrain_steps:]
    for name, run in (("alone", lambda s: train_alone(s, later, steps=steps, lr=5e-4)),
                      ("forward-kl", lambda s: forward_kl(s, lm.model, later, steps=steps,
                                                         lr=5e-4)),
                      ("minillm", lambda s: minillm(s, lm.model, later, steps=steps, lr=5e-4,
                                                    prompt_length=32, new_tokens=8))):
        student = copy.deepcopy(base)
        _, seconds = _timed(lambda s=student, r=run: r(s))
        student.eval()
        _add(rows, {"section": "distillation", "method": name,
                     "setting": f"+{steps} steps of 8 × 64 tokens", "perplexity": ppl(student),
                     "params": _count(student), "seconds": seconds})
    return rows


def _find(rows: list[dict[str, Any]], method: str, setting: str = "") -> dict[str, Any] | None:
    return next((r for r in rows if r["method"] == method and r.get("setting", "").startswith(
        setting) and "perplexity" in r), None)


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, each with the figures it compares and whether it is met."""
    out = []
    for method in ("sparsegpt", "wanda"):
        ours, mag = _find(rows, method, "50 % unstructured"), _find(rows, "magnitude",
                                                                    "50 % unstructured")
        peer = _find(rows, f"llmcompressor-{method}", "50 % unstructured")
        if ours and mag:
            out.append({"target": f"{method} 50 %: perplexity ≤ magnitude's",
                        "ours": ours["perplexity"], "reference": mag["perplexity"],
                        "met": ours["perplexity"] <= mag["perplexity"]})
        if ours and peer:
            rel = ours["perplexity"] / peer["perplexity"] - 1
            out.append({"target": f"{method} 50 %: within 2 % relative of llmcompressor's",
                        "ours": ours["perplexity"], "reference": peer["perplexity"],
                        "relative": rel, "met": abs(rel) <= 0.02 or rel < 0})
    dense = _find(rows, "dense", "fp32")
    pruner = next((r for r in rows if r["method"] == "llm-pruner" and r["setting"].startswith(
        "20%")), None)
    if pruner and dense:
        dense_s = next(r for r in rows if r["method"] == "dense" and r["section"] == "structured")
        out.append({"target": "llm-pruner 20 %: forward time reduction ≥ 0.8 × parameter "
                              "reduction", "ours": pruner["forward_time_reduction"],
                    "reference": 0.8 * pruner["param_reduction"],
                    "met": pruner["forward_time_reduction"] >= 0.8 * pruner["param_reduction"]})
        out.append({"target": "llm-pruner 20 %: perplexity after recovery within 10 % of the "
                              "unpruned model's", "ours": pruner["perplexity"],
                    "reference": dense_s["perplexity"],
                    "met": pruner["perplexity"] <= 1.1 * dense_s["perplexity"]})
    for ours in (r for r in rows if r["method"] == "llm-pruner"):
        fraction = ours["setting"].split(" ", 1)[0]
        peer = _find(rows, "torch-pruning", fraction + " ")
        if peer:  # a comparison at equal parameters, not one of the targets
            out.append({"target": f"llm-pruner {fraction}: perplexity after recovery ≤ "
                                  "Torch-Pruning's at the same parameter count (comparison)",
                        "ours": ours["perplexity"], "reference": peer["perplexity"],
                        "params": ours["params"], "reference_params": peer["params"],
                        "met": ours["perplexity"] <= peer["perplexity"]})
    mini, fkl = _find(rows, "minillm"), _find(rows, "forward-kl")
    if mini and fkl:
        out.append({"target": "minillm: perplexity ≤ the forward-KL student's",
                    "ours": mini["perplexity"], "reference": fkl["perplexity"],
                    "met": mini["perplexity"] <= fkl["perplexity"]})
    return out


def main(argv: list[str] | None = None, *, command: str | None = None) -> int:
    """Run the parts asked for and write the file (other parts' rows are kept); ``command`` is
    recorded as the one that ran it (default: this module's command line)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = command or shlex.join(["python", "-m", "zoo.bench.lm_pruning", *argv])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="small")
    parser.add_argument("--folder", type=Path, required=True, help="trained LM folder (reused)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/lm-pruning.json"))
    parser.add_argument("--parts", default="sparsity,structured,distillation")
    parser.add_argument("--eval-windows", type=int, default=None)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--calibration", type=int, default=64, help="calibration windows")
    parser.add_argument("--recovery-steps", type=int, default=100)
    parser.add_argument("--recovery-lr", type=float, default=1e-3)
    parser.add_argument("--distill-steps", type=int, default=100)
    parser.add_argument("--pretrain-steps", type=int, default=150)
    args = parser.parse_args(argv)
    lm = prepare_lm(args.recipe, args.folder)
    parts = args.parts.split(",")
    previous = json.loads(args.out.read_text()) if args.out.exists() else {"rows": []}
    rows = [r for r in previous["rows"] if r["section"] not in parts]
    started = time.perf_counter()
    if "sparsity" in parts:
        rows += pruning_rows(lm, calibration=args.calibration, eval_windows=args.eval_windows,
                             peers=not args.no_peers)
    if "structured" in parts:
        rows += structured_rows(lm, eval_windows=args.eval_windows,
                                recovery_steps=args.recovery_steps,
                                recovery_lr=args.recovery_lr, peers=not args.no_peers)
    if "distillation" in parts:
        rows += distillation_rows(lm, eval_windows=args.eval_windows, steps=args.distill_steps,
                                  pretrain_steps=args.pretrain_steps)
    result = {"recipe": args.recipe, "threads": THREADS, "torch": torch.__version__,
              "forward_timing": forward_timing(),
              "seconds": round(time.perf_counter() - started, 1), "rows": rows,
              "targets": targets(rows), "command": command,
              "note": "timings on a shared 2-core machine with other jobs running: noisy"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=float))
    for target in result["targets"]:
        print(("MET    " if target["met"] else "MISSED ") + target["target"],
              {k: round(v, 4) for k, v in target.items() if isinstance(v, float)})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
