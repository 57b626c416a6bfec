"""``aladin bench``: benchmark every zoo method and its peers.

``--section vision`` (the default) trains the digits models and writes
``benchmarks/results/<version>/<mode>.json`` (:mod:`zoo.bench.runner`); ``--section language``
runs the language-model benchmarks through their modules' entry points
(:func:`zoo.bench.language.main`, then :func:`zoo.bench.lm_pruning.main`) and writes
``benchmarks/results/language.json`` and ``benchmarks/results/lm-pruning.json``; ``all`` runs both.
"""

from __future__ import annotations

import argparse
import importlib.util
import shlex
from pathlib import Path
from types import ModuleType

from ..registry import INSTALL_BENCH_LLM, MissingExtraError, import_zoo_module
from ..repo import Repository
from .common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, command, err, out, positive

SECTIONS = ("vision", "language", "all")
LOCAL = "local"  # --ray local: zoo.bench.execution.LOCAL, without importing torch to know it
# Options that only the vision section reads: given with --section language, they are a mistake.
VISION_ONLY = {"quick": "--quick", "methods": "--methods", "models": "--models",
               "seeds": "--seeds", "threads": "--threads", "ort": "--ort", "ray": "--ray",
               "ray_cpus": "--ray-cpus", "resume": "--resume"}
LANGUAGE_ONLY = {"lm_recipe": "--lm-recipe", "lm_folder": "--lm-folder"}
LANGUAGE_FILES = ("language.json", "lm-pruning.json")


def _given(args: argparse.Namespace, options: dict[str, str]) -> list[str]:
    """The options of ``options`` the user set (each defaults to ``None``, ``False`` or ``[]``)."""
    return [flag for name, flag in options.items() if getattr(args, name) not in (None, False, [])]


def cmd_bench(args: argparse.Namespace, repo: Repository) -> int:
    if args.section == "language" and (wrong := _given(args, VISION_ONLY)):
        err(f"aladin bench: {', '.join(wrong)} appl{'ies' if len(wrong) == 1 else 'y'} to the "
            "vision section only, not to --section language")
        return EXIT_USAGE
    if args.section == "vision" and (wrong := _given(args, LANGUAGE_ONLY)):
        err(f"aladin bench: {', '.join(wrong)} appl{'ies' if len(wrong) == 1 else 'y'} to the "
            "language section only (add --section language or all)")
        return EXIT_USAGE
    # Before any training: a missing extra is said at once, not after the vision section.
    modules = _language_modules() if args.section in ("language", "all") else None
    status = EXIT_OK
    if args.section in ("vision", "all"):
        status = _vision(args, repo)
        if status == EXIT_USAGE:
            return status
    if modules is not None:
        status = max(status, _language(args, repo, *modules))
    return status


def _peer_library_installed() -> bool:
    return importlib.util.find_spec("llmcompressor") is not None


def _language_modules() -> tuple[ModuleType, ModuleType]:
    """:mod:`zoo.bench.language` and :mod:`zoo.bench.lm_pruning`, or the missing extra named."""
    what = "aladin bench --section language"
    modules = (import_zoo_module("zoo.bench.language", what),  # transformers & co.: llm extra
               import_zoo_module("zoo.bench.lm_pruning", what))
    if not _peer_library_installed():  # its peers: the bench-llm extra
        raise MissingExtraError(f"{what} needs llmcompressor for its peer rows (the bench-llm "
                                f"extra): {INSTALL_BENCH_LLM}")
    return modules


def _language(args: argparse.Namespace, repo: Repository, language: ModuleType,
              lm_pruning: ModuleType) -> int:
    """Both language-model benchmarks on one trained model (trained first when not saved),
    through the modules' own entry points: ``main(argv)`` of each."""
    recipe = args.lm_recipe or "small"
    folder = Path(args.lm_folder) if args.lm_folder else repo.root / "build" / f"lm-{recipe}"
    results = Path(args.out) if args.out else repo.root / "benchmarks" / "results"
    quant, pruning = (results / name for name in LANGUAGE_FILES)
    common = ["--recipe", recipe, "--folder", str(folder)]
    command = shlex.join(["aladin", *args.argv])  # recorded in both files
    status = language.main([*common, "--out", str(quant)], command=command)
    if status == 0:
        err(f"wrote {quant}")
        status = lm_pruning.main([*common, "--out", str(pruning)], command=command)
        if status == 0:
            err(f"wrote {pruning}")
    return EXIT_OK if status == 0 else EXIT_INVALID


def _vision(args: argparse.Namespace, repo: Repository) -> int:
    for module in ("zoo.bench.measure", "zoo.bench.runner", "zoo.bench.targets"):
        import_zoo_module(module, "aladin bench")
    if args.ort:  # before any training: without the deploy extra, say so at once
        import_zoo_module("zoo.deploy", "aladin bench --ort")
    if args.ray_cpus is not None and args.ray != LOCAL:
        err(f"aladin bench: --ray-cpus sizes the cluster that --ray {LOCAL} starts; a running "
            "cluster has its own")
        return EXIT_USAGE
    from ..bench.execution import ExecutorError
    from ..bench.measure import LatencyProtocol
    from ..bench.runner import BenchConfig, BenchError, run_benchmark
    from ..bench.targets import describe
    config = BenchConfig(root=repo.root, quick=args.quick, methods=tuple(args.methods),
                         models=tuple(args.models), seeds=args.seeds,
                         out=Path(args.out) if args.out else None,
                         latency=LatencyProtocol.for_run(quick=args.quick,
                                                         threads=args.threads or 1),
                         ort=args.ort, ray=args.ray, ray_cpus=args.ray_cpus,
                         resume=args.resume, command=shlex.join(["aladin", *args.argv]))
    try:
        results = run_benchmark(config)
    except KeyboardInterrupt:
        err("aladin bench: stopped; the tasks that finished are kept: the same command with "
            "--resume goes on from there")
        return 130
    except BenchError as exc:
        err(f"aladin bench: {exc}")
        return EXIT_USAGE
    except ExecutorError as exc:  # before any training: nothing was written
        err(f"aladin bench: {exc}")
        return EXIT_INVALID
    for target in results["targets"]:
        for line in describe(target):
            out(line)
    failed = [r for r in results["rows"] if r["status"] == "failed"]
    for row in results["rows"]:
        if row["status"] == "skipped":  # a peer whose optional library is not installed
            err(f"skipped {row['method']} on {row['model']}: {row['reason']}")
    err(f"{len(results['rows'])} rows, {len(failed)} failed, in "
        f"{results['duration_seconds']:.0f} s; wrote {config.path}")
    return EXIT_INVALID if failed else EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "bench", cmd_bench, "benchmark the zoo's methods beside their peers: the "
                "vision section on the digits (benchmarks/results/<version>/<mode>.json; needs the "
                "zoo extra) and, with --section language, the language-model quantisation, "
                "pruning and distillation benchmarks (benchmarks/results/language.json and "
                "lm-pruning.json; needs the bench-llm extra)")
    p.add_argument("--section", choices=SECTIONS, default="vision",
                   help="which benchmarks to run: vision (default; the digits models), language "
                   "(GPTQ, AWQ, SmoothQuant, magnitude, Wanda, SparseGPT, LLM-Pruner and MiniLLM "
                   "on a small Llama beside llmcompressor; an hour or more on two cores) or all")
    vision = p.add_argument_group("vision section")
    vision.add_argument("--quick", action="store_true",
                        help="one seed, short recipes, a subset of methods and models (< 5 min)")
    vision.add_argument("--methods", nargs="+", default=[], metavar="NAME",
                        help="only these methods or peers (their peers are added)")
    vision.add_argument("--models", nargs="+", default=[], metavar="NAME",
                        help="only these models: digits-cnn, resnet20, resnet56, mobilenetv2, "
                        "digits-lstm")
    vision.add_argument("--seeds", type=positive,
                        help="seeds per method (default 3; 1 with --quick)")
    vision.add_argument("--threads", type=positive,
                        help="intra-op threads while timing latency (default 1)")
    vision.add_argument("--ort", action="store_true",
                        help="also export every row to ONNX and time it in ONNX Runtime beside "
                        "PyTorch (needs the deploy extra)")
    vision.add_argument("--ray", metavar="ADDRESS",
                        help="train and fine-tune on a Ray cluster (HOST:PORT of its head node, "
                        f"or '{LOCAL}' to start one on this machine; needs the bench extra). "
                        "Latency is still measured here, in one process, after the training")
    vision.add_argument("--ray-cpus", type=positive, metavar="N",
                        help=f"CPUs of the cluster --ray {LOCAL} starts (default: all)")
    vision.add_argument("--resume", action="store_true",
                        help="go on with a stopped run of the same command: reuse the training "
                        "tasks it finished (kept until a run completes, under "
                        "~/.cache/aladin/bench, for the same zoo code only)")
    language = p.add_argument_group("language section")
    language.add_argument("--lm-recipe", choices=("tiny", "small"),
                          help="the language model to train or load (default small)")
    language.add_argument("--lm-folder", metavar="DIR",
                          help="the trained model's folder, reused when it holds one "
                          "(default build/lm-<recipe>)")
    p.add_argument("--out", metavar="DIR", help="directory for the result files (default "
                   "benchmarks/results/<version>/ for vision, benchmarks/results/ for language)")
