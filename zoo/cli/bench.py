"""``aladin bench``: benchmark every zoo method and its peers."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from ..registry import import_zoo_module
from ..repo import Repository
from .common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, command, err, out, positive


def cmd_bench(args: argparse.Namespace, repo: Repository) -> int:
    for module in ("zoo.bench.measure", "zoo.bench.runner", "zoo.bench.targets"):
        import_zoo_module(module, "aladin bench")
    if args.ort:  # before any training: without the deploy extra, say so at once
        import_zoo_module("zoo.deploy", "aladin bench --ort")
    from ..bench.measure import LatencyProtocol
    from ..bench.runner import BenchConfig, BenchError, run_benchmark
    from ..bench.targets import describe
    config = BenchConfig(root=repo.root, quick=args.quick, methods=tuple(args.methods),
                         models=tuple(args.models), seeds=args.seeds,
                         out=Path(args.out) if args.out else None,
                         latency=LatencyProtocol.for_run(quick=args.quick, threads=args.threads),
                         ort=args.ort,
                         command=shlex.join(["aladin", *args.argv]))
    try:
        results = run_benchmark(config)
    except BenchError as exc:
        err(f"aladin bench: {exc}")
        return EXIT_USAGE
    for target in results["targets"]:
        for line in describe(target):
            out(line)
    failed = [r for r in results["rows"] if r["status"] == "failed"]
    err(f"{len(results['rows'])} rows, {len(failed)} failed, in "
        f"{results['duration_seconds']:.0f} s; wrote {config.path}")
    return EXIT_INVALID if failed else EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "bench", cmd_bench, "benchmark every zoo method and its peers on the digits; "
                "writes benchmarks/results/<version>/<mode>.json (needs the zoo extra)")
    p.add_argument("--quick", action="store_true",
                   help="one seed, short recipes, a subset of methods and models (< 5 min)")
    p.add_argument("--methods", nargs="+", default=[], metavar="NAME",
                   help="only these methods or peers (their peers are added)")
    p.add_argument("--models", nargs="+", default=[], metavar="NAME",
                   help="only these models: digits-cnn, resnet20, resnet56, digits-lstm")
    p.add_argument("--seeds", type=positive, help="seeds per method (default 3; 1 with --quick)")
    p.add_argument("--threads", type=positive, default=1,
                   help="intra-op threads while timing latency (default 1)")
    p.add_argument("--ort", action="store_true",
                   help="also export every row to ONNX and time it in ONNX Runtime beside "
                   "PyTorch (needs the deploy extra)")
    p.add_argument("--out", help="directory for the result file (default "
                   "benchmarks/results/<version>/)")
