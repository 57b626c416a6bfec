#!/usr/bin/env python3
"""Time the website at the catalog's real size: the build, the Explorer's filters and search.

    .venv/bin/python scripts/bench_explorer.py                 # the repository's catalog
    .venv/bin/python scripts/bench_explorer.py --catalog DIR   # another catalog directory
    .venv/bin/python scripts/bench_explorer.py --papers 10000  # a synthetic catalog of that size

Builds the site of the catalog (what ``aladin build`` runs after the README) into a temporary
directory, serves it on 127.0.0.1 and drives Debian's Chromium: every category and subcategory
filter, the 'Needs review' and 'Has code' checkboxes, and typed text, each change timed from the
event to the laid-out table (target: 100 ms); then Material's search: the time until its index
is ready and until a query shows results. Figures depend on the machine's load: the load average
is printed with them.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
TARGET_MS = 100.0
QUERIES = ("pruning", "quantization", "distillation", "lottery ticket", "Song Han")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _search_ms(page: object, query: str) -> float:
    """Milliseconds from typing ``query`` to Material showing its result count."""
    page.fill(".md-search__input", "")
    start = time.perf_counter()
    page.fill(".md-search__input", query)
    page.press(".md-search__input", "End")  # Material searches on key events
    page.locator(".md-search-result__meta").filter(has_text="matching").wait_for(timeout=30_000)
    return (time.perf_counter() - start) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=REPO / "catalog")
    parser.add_argument("--papers", type=int, help="time a synthetic catalog of N papers instead")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from zoo.catalog import load
    from zoo.site import build_site
    from zoo.site.explorer_timing import MEASURE
    from zoo.site.synthetic import synthetic_catalog

    with tempfile.TemporaryDirectory(prefix="aladin-explorer-") as scratch:
        source = args.catalog
        if args.papers:  # written before the clock starts: the YAML files are set-up
            source = synthetic_catalog(Path(scratch) / "catalog", args.papers, REPO / "catalog")
        wall0, cpu0 = time.perf_counter(), _cpu()
        catalog = load(source)
        # The explorer is the same in every language: build the English site only.
        build_site(catalog, REPO, Path(scratch) / "site", translations=False)
        build_wall, build_cpu = time.perf_counter() - wall0, _cpu() - cpu0

        handler = functools.partial(_Quiet, directory=str(Path(scratch) / "site"))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}/"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=["--no-sandbox", "--disable-gpu"])
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                start = time.perf_counter()
                page.goto(f"{base}explorer.html")
                page.wait_for_function("() => document.getElementById('aladin-explorer')"
                                       ".dataset.ready === 'true'", timeout=60_000)
                ready_ms = (time.perf_counter() - start) * 1000
                places = [c.id for c in catalog.categories]
                runs = [page.evaluate(MEASURE, ["cat", [*places, ""] * 2])]
                for category in catalog.categories:
                    if category.subcategories:
                        page.evaluate(MEASURE, ["cat", [category.id]])
                        subs = [s.id for s in category.subcategories]
                        runs.append(page.evaluate(MEASURE, ["sub", [*subs, ""]]))
                page.evaluate(MEASURE, ["cat", [""]])
                runs.append(page.evaluate(MEASURE, ["review", ["1", "", "1", ""]]))
                runs.append(page.evaluate(MEASURE, ["code", ["1", "", "1", ""]]))
                runs.append(page.evaluate(MEASURE, ["q", ["p", "pr", "pru", "prun", "pruning",
                                                          "pruning filter", ""]]))
                times = [t for run in runs for t in run["times"]]
                if os.environ.get("BENCH_VERBOSE"):
                    print([[round(t) for t in run["times"]] for run in runs])

                page.goto(f"{base}index.html")
                start = time.perf_counter()
                page.click(".md-search__input")
                page.wait_for_function(
                    "() => !document.querySelector('.md-search-result__meta').textContent"
                    ".includes('Initializing')", timeout=60_000)
                index_ms = (time.perf_counter() - start) * 1000
                search = [_search_ms(page, q) for q in QUERIES]
                browser.close()
        finally:
            server.shutdown()
            server.server_close()

    review = sum(1 for p in catalog if p.review)
    rows = [
        ("papers", f"{len(catalog):,} ({review:,} need review)"),
        ("site build (load + MkDocs)", f"{build_wall:.1f} s wall, {build_cpu:.1f} s CPU"),
        ("explorer: load papers.json, first table", f"{ready_ms:.0f} ms"),
        ("explorer: filter change", f"median {statistics.median(times):.1f} ms, max "
                                    f"{max(times):.1f} ms over {len(times)} changes"),
        ("search: index ready after first click", f"{index_ms:.0f} ms"),
        ("search: query to results", ", ".join(f"'{q}' {ms:.0f} ms"
                                                for q, ms in zip(QUERIES, search, strict=True))),
        ("load average (1 min)", f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    verdict = "met" if max(times) < TARGET_MS else "MISSED"
    print(f"explorer target (every filter change < {TARGET_MS:.0f} ms): {verdict}")
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    sys.exit(main())
