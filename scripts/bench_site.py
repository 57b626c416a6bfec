#!/usr/bin/env python3
"""Benchmark the website build on a synthetic catalog of N papers (never the real catalog).

    .venv/bin/python scripts/bench_site.py --papers 10000

Writes N made-up entries beside copies of catalog/taxonomy.yaml and venues.yaml in a temporary
directory, loads and validates them (``zoo.catalog.load``), renders the README from them, and
builds the site with ``zoo.site.build_site`` (what ``aladin build`` runs). Reports, separately:
loading, our own generation code (page rendering, exports, feed, minifying: measured inside the
MkDocs hook), MkDocs' own time, wall and CPU time, and the output size. Targets for N = 10,000
on 2 cores: under 60 s and under 250 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS, TARGET_MB = 60.0, 250.0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _disk_usage(path: Path) -> int:
    """Bytes on disk as ``du`` counts them (blocks, directories included)."""
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0]) * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=10_000, help="synthetic entries (N)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="build here and keep it (default: a temp dir)")
    args = parser.parse_args(argv)

    from zoo.catalog import load
    from zoo.publish.readme import render_readme
    from zoo.site import build_site
    from zoo.site.synthetic import synthetic_catalog

    with tempfile.TemporaryDirectory(prefix="aladin-bench-") as scratch:
        work = args.keep or Path(scratch)
        start = time.perf_counter()
        root = synthetic_catalog(work / "catalog", args.papers, REPO / "catalog", seed=args.seed)
        written = time.perf_counter() - start

        wall0, cpu0 = time.perf_counter(), _cpu()
        catalog = load(root)
        loaded = time.perf_counter() - wall0
        render_readme(catalog, {})
        readme = time.perf_counter() - wall0 - loaded
        stats = build_site(catalog, REPO, work / "site")
        wall, cpu = time.perf_counter() - wall0, _cpu() - cpu0
        size_mb = stats.output_bytes / 1e6
        disk_mb = _disk_usage(work / "site") / 1e6
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        rows = [
            ("papers", f"{len(catalog):,}"),
            ("pages built", f"{stats.pages:,} ({stats.generated_pages:,} generated)"),
            ("write synthetic YAML (setup)", f"{written:6.1f} s"),
            ("load + validate catalog", f"{loaded:6.1f} s"),
            ("render README", f"{readme:6.1f} s"),
            ("site: our generation code", f"{stats.generation_seconds:6.1f} s"),
            ("site: MkDocs + Material", f"{stats.mkdocs_seconds:6.1f} s"),
            ("total (load + README + site)", f"{wall:6.1f} s wall, {cpu:.1f} s CPU"),
            ("output size (sum of files)", f"{size_mb:6.1f} MB"),
            ("output on disk (du)", f"{disk_mb:6.1f} MB"),
            ("peak memory (RSS)", f"{peak_mb:6.0f} MB"),
            ("load average (1 min)", f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"),
        ]
        width = max(len(k) for k, _ in rows)
        for key, value in rows:
            print(f"{key:<{width}}  {value}")
        ok = wall < TARGET_SECONDS and max(size_mb, disk_mb) < TARGET_MB
        verdict = "met" if ok else "MISSED"
        print(f"targets (< {TARGET_SECONDS:.0f} s, < {TARGET_MB:.0f} MB): {verdict}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
