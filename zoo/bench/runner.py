"""The benchmark run: train baselines, apply every adapter per seed, time, derive, write.

For each model (in :data:`~zoo.bench.models.MODELS` order) the runner

1. trains one baseline per seed with the model's recipe;
2. applies each selected adapter to each seed (:class:`~zoo.bench.models.Context`), measuring
   test accuracy, parameters, FLOPs and sizes of every seed's model;
3. times the baseline and every adapter's first-seed model in one interleaved latency session
   (:func:`~zoo.bench.measure.latency_session`) at batch sizes 1 and 64, threads fixed;
4. derives speed-ups, FLOP reductions and ours ÷ peer ratios (:func:`~zoo.bench.results.derive_row`)
   and rewrites the result file, so an interrupted run keeps its finished models.

On ResNet-56 the same latency session also times the pruning sweep of :mod:`~zoo.bench.sweep`
(L1-norm at several ratios, two schemes): the measured speed-up against the FLOP reduction
beyond the one setting each method row has.

With ``ort`` (``aladin bench --ort``) every row's model is also exported to ONNX and timed in ONNX
Runtime in the same latency session (:mod:`~zoo.bench.ort`): ``latency_ort_ms`` beside
``latency_ms``, and under ``ort`` the exporter used or why the model did not export.

With ``ray`` (``aladin bench --ray ADDRESS``) steps 1 and 2 run as tasks on a Ray cluster
(:mod:`~zoo.bench.execution`), every model's at once; step 3 waits until the cluster is done and
times everything here, so the latency figures are those of a local run.

An adapter that raises does not stop the run: its row says ``"status": "failed"`` with the error,
or ``"skipped"`` with the install line when it needs an extra that is not installed (``ort-int8``
without the deploy extra). Rows that run in ONNX Runtime only (``ort-int8``) bring the baseline's
ONNX Runtime latency with them, their speed-up's denominator, even without ``--ort``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shlex
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .. import __version__
from ..registry import get, list_methods
from .adapters import NOT_APPLICABLE, Adapter, load_adapters
from .checkpoint import TaskStore
from .environment import git_state, library_versions, machine_info
from .execution import (
    Executor,
    LocalExecutor,
    Outcome,
    Trained,
    apply_task,
    connect,
    train_task,
)
from .measure import (
    LatencyProtocol,
    deployed,
    latency_session,
    static_figures,
    steady_allocator,
)
from .models import MODELS, SPLIT_SEED, ModelSpec, Recipe, split_for
from .progress import Progress
from .results import SCHEMA, derive_row, results_path, summarize, write_results
from .sweep import RATIOS, SCHEMES, SWEEP_METHOD, SweepPoint, sweep_models, sweep_rows
from .targets import evaluate_targets

__all__ = ["BenchConfig", "BenchError", "plan", "run_benchmark"]


class BenchError(ValueError):
    """A benchmark request that cannot be run (unknown method or model, nothing selected)."""


@dataclass(frozen=True)
class BenchConfig:
    """What to run. ``methods``/``models`` narrow the selection (names of adapters or models)."""

    root: Path
    quick: bool = False
    methods: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    seeds: int | None = None  # default: 3, or 1 with quick
    out: Path | None = None  # directory; default benchmarks/results/<version>/
    latency: LatencyProtocol = field(default_factory=lambda: LatencyProtocol.for_run(quick=False))
    recipes: Mapping[str, Recipe] = field(default_factory=dict)  # per model name, overriding
    # One training thread: on a shared machine a second one spun against the other processes
    # and made a digits-CNN epoch 7-40x slower (3 s → 21 s at load 4 on 2 cores).
    train_threads: int = 1
    command: str = ""
    sweep_models: tuple[str, ...] = ("resnet56",)  # where the pruning sweep runs (with l1-norm)
    ort: bool = False  # also time every row in ONNX Runtime (zoo.bench.ort; the deploy extra)
    ray: str | None = None  # train on a Ray cluster: its address, or "local" (zoo.bench.execution)
    ray_cpus: int | None = None  # CPUs of a local Ray cluster (default: all)
    resume: bool = False  # reuse the tasks a stopped run left (zoo.bench.checkpoint)

    def recipe(self, spec: ModelSpec) -> Recipe:
        return self.recipes.get(spec.name) or spec.recipe(self.quick)

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.seeds if self.seeds is not None else (1 if self.quick else 3)))

    def sweeps(self, spec: ModelSpec, adapters: Sequence[Adapter]) -> int:
        """How many swept models the pruning sweep adds on ``spec`` (0: no sweep there)."""
        if spec.name not in self.sweep_models or all(a.name != SWEEP_METHOD for a in adapters):
            return 0
        return len(SCHEMES) * len(RATIOS["quick" if self.quick else "full"])

    @property
    def mode(self) -> str:
        narrowed = self.methods or self.models or self.seeds is not None or self.recipes
        return "custom" if narrowed else "quick" if self.quick else "full"

    @property
    def path(self) -> Path:
        if self.out is not None:
            return self.out / f"{self.mode}.json"
        return results_path(self.root, __version__, self.mode)

    @property
    def run_name(self) -> str:
        """Names the run's task store: its mode and, hashed, the results file it writes."""
        where = hashlib.sha256(str(self.path.resolve()).encode()).hexdigest()[:8]
        return f"{self.mode}-{where}"


def plan(config: BenchConfig) -> list[tuple[ModelSpec, list[Adapter]]]:
    """The models to run and, per model, the adapters — peers and references of selected
    methods included, so every ratio has its denominator."""
    adapters = load_adapters()
    unknown = [m for m in config.methods if m not in adapters]
    if unknown:
        raise BenchError(f"no benchmark for {', '.join(unknown)} (known: "
                         f"{', '.join(sorted(adapters))})")
    bad_models = [m for m in config.models if m not in MODELS]
    if bad_models:
        raise BenchError(f"unknown model {', '.join(bad_models)} (known: {', '.join(MODELS)})")
    chosen = set(config.methods) or {n for n, a in adapters.items() if a.kind == "method"}
    blocks = []
    for spec in MODELS.values():
        if config.models and spec.name not in config.models:
            continue

        def runs_on(a: Adapter, model: str = spec.name) -> bool:
            return model in (a.quick_models if config.quick else a.models)

        names = {n for n in chosen if runs_on(adapters[n])}
        names |= {p for n in names for p in adapters[n].peers}
        selected = [a for n, a in adapters.items() if n in names and runs_on(a)]
        if selected:
            blocks.append((spec, selected))
    if not blocks:
        raise BenchError("nothing to run: no selected method applies to the selected models"
                         + (" in --quick mode" if config.quick else ""))
    return blocks


def _units(spec: ModelSpec, config: BenchConfig, adapter: Adapter | None = None) -> float:
    """Expected work of one task, in digits-CNN epochs (weights the ETA only)."""
    recipe = config.recipe(spec)
    if adapter is None:
        return recipe.epochs * spec.cost
    epochs = {"fine-tune": recipe.fine_tune_epochs + 0.5, "train": recipe.epochs}.get(
        adapter.cost, adapter.cost)  # type: ignore[call-overload]
    return max(float(epochs), 0.2) * spec.cost


def _latency_units(spec: ModelSpec, count: int, protocol: LatencyProtocol) -> float:
    return count * spec.cost * 0.02 * protocol.rounds * protocol.repeats


@dataclass
class _Run:
    """One adapter's outcome on one model: per-seed figures and the first seed's model."""

    adapter: Adapter
    seeds: list[dict[str, Any]] = field(default_factory=list)
    model: nn.Module | None = None
    error: str | None = None
    skipped: str | None = None  # a missing extra's install line


@dataclass
class _Computed:
    """A model's training part: baselines per seed (in seed order) and every adapter's run."""

    baselines: list[Trained]
    runs: list[_Run]


def _submit(spec: ModelSpec, adapters: Sequence[Adapter], config: BenchConfig,
            executor: Executor) -> tuple[list[Any], dict[str, list[Any]]]:
    """Submit a model's baselines, then every adapter per seed on its seed's baseline."""
    recipe, seeds, threads = config.recipe(spec), config.seed_list, config.train_threads
    baselines = [executor.submit(train_task, spec.name, recipe, seed, threads,
                                 label=f"{spec.name} · baseline · seed {seed}",
                                 units=_units(spec, config))
                 for seed in seeds]
    applied = {a.name: [executor.submit(apply_task, a.name, spec.name, recipe, seed, base,
                                        threads, seed == seeds[0],
                                        label=f"{spec.name} · {a.name} · seed {seed}",
                                        units=_units(spec, config, a))
                        for seed, base in zip(seeds, baselines, strict=True)]
               for a in adapters}
    return baselines, applied


def _gather(spec: ModelSpec, adapters: Sequence[Adapter], submitted: tuple[list[Any],
            dict[str, list[Any]]], executor: Executor) -> _Computed:
    handles, applied = submitted
    baselines = executor.gather(handles)
    for seed, base in enumerate(baselines):
        if not isinstance(base, Trained):  # without its baseline no row of the model means much
            raise RuntimeError(f"{spec.name}: the baseline of seed {seed} failed: {base.error}")
    runs = []
    for adapter in adapters:
        outcomes: list[Outcome] = executor.gather(applied[adapter.name])
        run = _Run(adapter, [o.figures for o in outcomes if o.figures is not None],
                   outcomes[0].model)
        run.error = next((o.error for o in outcomes if o.error is not None), None)
        run.skipped = next((o.skipped for o in outcomes if o.skipped is not None), None)
        runs.append(run)
    return _Computed(baselines, runs)


def _computed(blocks: list[tuple[ModelSpec, list[Adapter]]], config: BenchConfig,
              executor: Executor) -> Iterator[tuple[ModelSpec, list[Adapter], _Computed]]:
    """Each model's training part, in order. Here, one model at a time, so the runner times and
    writes a model before training the next; on a cluster, everything at once, and the cluster
    is let go before the first latency session."""
    if isinstance(executor, LocalExecutor):
        for spec, adapters in blocks:
            yield spec, adapters, _gather(spec, adapters, _submit(spec, adapters, config,
                                                                  executor), executor)
        return
    submitted = [_submit(spec, adapters, config, executor) for spec, adapters in blocks]
    try:
        done = [(spec, adapters, _gather(spec, adapters, handles, executor))
                for (spec, adapters), handles in zip(blocks, submitted, strict=True)]
    finally:
        executor.close()
    yield from done


def _method_info(name: str) -> dict[str, Any]:
    try:
        record = get(name)
    except KeyError:
        return {}
    return {"paper": record.paper, "category": record.category,
            "subcategory": record.subcategory, "summary": record.summary}


_EAGER = "@eager"
_ORT = "@ort"


def _latency_fields(measured: dict[str, dict[str, dict[str, float]]], name: str,
                    folded: bool, ort: dict[str, Any] | None = None) -> dict[str, Any]:
    """A row's latency entries: deployed form (BatchNorm folded when possible) and eager form,
    and with ``--ort`` the ONNX Runtime latency and how the model exported (``ort``)."""
    main, eager = measured[name], measured.get(f"{name}{_EAGER}", measured[name])
    fields: dict[str, Any] = {
        "latency_ms": {b: v["median"] for b, v in main.items()},
        "latency_range_ms": {b: [v["min"], v["max"]] for b, v in main.items()},
        "latency_eager_ms": {b: v["median"] for b, v in eager.items()},
        "bn_folded": folded,
    }
    if f"{name}{_ORT}" in measured:
        fields["latency_ort_ms"] = {b: v["median"] for b, v in measured[f"{name}{_ORT}"].items()}
    if ort is not None:
        fields["ort"] = ort
    return fields


def _row(run: _Run, spec: ModelSpec, timing: dict[str, Any] | None,
         baseline_acc: float) -> dict[str, Any]:
    a = run.adapter
    row: dict[str, Any] = {
        "method": a.name, "kind": a.kind, "model": spec.name, **_method_info(a.method),
        **({"runs": a.runs} if a.runs else {}),
        **({"runtime": a.runtime} if a.runtime != "pytorch" else {}),
        "setting": a.setting, "own_setting": a.own_setting, "library": a.library,
        "peer": a.peer, **({"more_peers": list(a.more_peers)} if a.more_peers else {}),
    }
    if run.skipped is not None:
        return {**row, "status": "skipped", "reason": run.skipped}
    if run.error is not None or not run.seeds:
        return {**row, "status": "failed", "error": run.error}
    first = run.seeds[0]
    accuracies = [s["accuracy"] for s in run.seeds]
    befores = [s["before_recovery"] for s in run.seeds if s["before_recovery"] is not None]
    acc = summarize(accuracies)
    row.update({
        "status": "ok",
        "seeds": [s["seed"] for s in run.seeds],
        "accuracy": acc,
        "accuracy_before_recovery": summarize(befores) if befores else None,
        "tolerance": {"text": a.tolerance.describe(), "source": a.tolerance.source,
                      "within": a.tolerance.allows(acc["mean"], baseline_acc)},
        **{k: first[k] for k in ("params", "nonzero_params", "flops", "size_bytes",
                                 "packed_bytes")},
        **(timing or {}),
        "seconds": summarize([s["seconds"] for s in run.seeds])["mean"],
        "details": first["details"],
    })
    if a.runtime == "onnxruntime" and timing:  # timed in ONNX Runtime only
        row["latency_ort_ms"] = row["latency_ms"]
    flops = sorted({s["flops"] for s in run.seeds})
    if len(flops) > 1:  # data-driven structure (global ranking, searches) varies with the seed
        row["flops_by_seed"] = [s["flops"] for s in run.seeds]
    return row


def _baseline_row(spec: ModelSpec, figures: dict[str, Any], accuracies: list[float],
                  timing: dict[str, Any], seeds: list[int]) -> dict[str, Any]:
    return {
        "method": "baseline", "kind": "baseline", "model": spec.name, "status": "ok",
        "setting": spec.description, "own_setting": None, "library": None, "peer": None,
        "seeds": seeds, "accuracy": summarize(accuracies),
        **figures,
        **timing,
    }


def _run_model(spec: ModelSpec, adapters: Sequence[Adapter], computed: _Computed,
               config: BenchConfig, progress: Progress) -> tuple[dict[str, Any],
                                                                list[dict[str, Any]],
                                                                list[dict[str, Any]]]:
    """Time the model's baselines and adapter models, and make its rows."""
    recipe = config.recipe(spec)
    split = split_for(spec)
    seeds = config.seed_list
    baselines = {seed: b.model for seed, b in zip(seeds, computed.baselines, strict=True)}
    base_acc = [b.accuracy for b in computed.baselines]
    train_seconds = [b.seconds for b in computed.baselines]
    runs = computed.runs
    example = split.x_train[:1]
    eager = {"baseline": baselines[seeds[0]]}
    eager.update({r.adapter.name: r.model for r in runs if r.model is not None})
    timed, folded = {}, {}
    for name, model in eager.items():  # each model as deployed, and as trained when that differs
        timed[name], folded[name] = deployed(model, example)
        if folded[name]:
            timed[f"{name}{_EAGER}"] = model
    ort_info: dict[str, dict[str, Any]] = {}
    in_ort = [r.adapter.name for r in runs if r.model is not None
              and r.adapter.runtime == "onnxruntime"]
    if config.ort or in_ort:  # exported as trained (ORT folds BatchNorm), timed in the same session
        from .ort import ort_models

        # Without --ort, only what ORT-only rows need: themselves and the baseline in ORT.
        export = eager if config.ort else {n: eager[n] for n in ("baseline", *in_ort)}
        with progress.task(f"{spec.name} · ONNX export of {len(export)} models", 0.0):
            sessions, ort_info = ort_models(export, split.x_train[:2],
                                            threads=config.latency.threads)
        timed.update({f"{name}{_ORT}": session for name, session in sessions.items()})
    swept: dict[SweepPoint, nn.Module] = {}
    if config.sweeps(spec, adapters):
        swept = sweep_models(baselines[seeds[0]], example, quick=config.quick)
        timed.update({point.key: deployed(model, example)[0] for point, model in swept.items()})
    with progress.task(f"{spec.name} · latency of {len(timed)} models",
                       _latency_units(spec, len(timed), config.latency)):
        inputs = split.x_test[: max(config.latency.batch_sizes)]
        measured = latency_session(timed, inputs, config.latency)
    timing = {name: _latency_fields(measured, name, folded[name], ort_info.get(name))
              for name in eager}
    baseline = _baseline_row(spec, static_figures(baselines[seeds[0]], example), base_acc,
                             timing["baseline"], seeds)
    raw = {r.adapter.name: _row(r, spec, timing.get(r.adapter.name),
                                baseline["accuracy"]["mean"]) for r in runs}

    def ok(name: str | None) -> dict[str, Any] | None:
        peer = raw.get(name) if name else None
        return peer if peer and peer["status"] == "ok" else None

    rows = [baseline]
    for row in raw.values():
        if row["status"] == "ok":
            derive_row(row, baseline, ok(row["peer"]),
                       [p for n in row.get("more_peers", []) if (p := ok(n))])
        rows.append(row)
    sweep = sweep_rows(swept, example, measured, spec.name, baseline)
    model_info = {
        "description": spec.description,
        "input_shape": list(example.shape),
        "recipe": vars(recipe),
        "train_seconds": summarize([round(s, 2) for s in train_seconds])["mean"],
    }
    return model_info, rows, sweep


def _methods_section(rows: list[dict[str, Any]], config: BenchConfig) -> list[dict[str, Any]]:
    """Every registered method: benchmarked where, in which setting, or why not."""
    adapters = load_adapters()
    out = []
    for record in list_methods():
        adapter = adapters.get(record.name)
        ran = sorted({r["model"] for r in rows if r.get("runs", r["method"]) == record.name},
                     key=list(MODELS).index)
        entry: dict[str, Any] = {"method": record.name, "paper": record.paper,
                                 "category": record.category, "subcategory": record.subcategory,
                                 "models": ran}
        if record.name in NOT_APPLICABLE:
            entry.update(status="not-applicable", reason=NOT_APPLICABLE[record.name])
        elif adapter is None:
            entry.update(status="no-adapter", reason="registered after the benchmark's adapters "
                         "were written: not benchmarked yet")
        else:
            entry.update(applicable_models=list(adapter.models), setting=adapter.setting,
                         status="own-setting" if adapter.own_setting else "direct",
                         own_setting=adapter.own_setting)
            if not ran:
                skipped = config.quick and not adapter.quick_models
                entry["reason"] = ("skipped by --quick" if skipped
                                   else "not selected in this run")
        out.append(entry)
    return out


def run_benchmark(config: BenchConfig, *, progress: Progress | None = None) -> dict[str, Any]:
    """Run the benchmark described by ``config``, writing ``config.path`` as it goes."""
    blocks = plan(config)
    total = sum(
        _units(spec, config) * len(config.seed_list)
        + sum(_units(spec, config, a) for a in adapters) * len(config.seed_list)
        + _latency_units(spec, 2 * (len(adapters) + 1) + config.sweeps(spec, adapters),
                         config.latency)  # deployed + eager, and the sweep's deployed models
        for spec, adapters in blocks
    )
    progress = progress or Progress(total)
    progress.total = total
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(config.train_threads)
    try:
        return _run(config, blocks, progress)
    finally:
        torch.set_num_threads(previous_threads)


def _run(config: BenchConfig, blocks: list[tuple[ModelSpec, list[Adapter]]],
         progress: Progress) -> dict[str, Any]:
    started = time.time()
    results: dict[str, Any] = {
        "schema": SCHEMA,
        "zoo_version": __version__,
        "mode": config.mode,
        "complete": False,
        "command": config.command or shlex.join(sys.argv),
        "started": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(timespec="seconds"),
        "duration_seconds": None,
        "git": git_state(config.root),
        "machine": machine_info(),
        "versions": library_versions(),
        "settings": {
            "seeds": config.seed_list,
            "split": {"dataset": "sklearn.datasets.load_digits", "test_size": 0.2,
                      "seed": SPLIT_SEED, "stratified": True},
            "latency": {**config.latency.as_dict(), "allocator": steady_allocator()},
            "train_threads": torch.get_num_threads(),
            "quantized_engine": "x86",
            "quick": config.quick,
        },
        "models": {},
        "rows": [],
        "methods": [],
        "targets": [],
        "sweep": [],
    }
    store = TaskStore(config.run_name, resume=config.resume)
    executor = connect(config.ray, progress, cpus=config.ray_cpus, store=store)
    results["settings"]["execution"] = executor.describe()
    for spec, adapters, computed in _computed(blocks, config, executor):
        results["settings"]["execution"]["resumed_tasks"] = store.reused
        info, rows, sweep = _run_model(spec, adapters, computed, config, progress)
        results["models"][spec.name] = info
        results["rows"] += rows
        results["sweep"] += sweep
        results["methods"] = _methods_section(results["rows"], config)
        results["targets"] = evaluate_targets(results["rows"], results["sweep"])
        results["duration_seconds"] = round(time.time() - started, 1)
        write_results(config.path, results)
    results["complete"] = True
    results["machine"]["load_average_end"] = machine_info().get("load_average")
    write_results(config.path, results)
    store.clear()
    progress.close(f"wrote {config.path}")
    return results
