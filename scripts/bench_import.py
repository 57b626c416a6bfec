"""Import timings: pathological lines and lists of growing size, printed as figures.

    .venv/bin/python scripts/bench_import.py            # 2,500 / 5,000 / 10,000 entries
    .venv/bin/python scripts/bench_import.py --quick    # 1,000 / 2,000 entries

Each list is fictional (example.org links) and imported as a dry run into a scratch copy of the
repository's taxonomy and venues, so nothing is written; titles share their first words, the case
that made id creation quadratic. The pathological lines of issue 14 item 6 are each a one-line
list. Timings on a shared machine are noisy: read the ratios, not the last digit.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from zoo.importer import ImportMapping, import_markdown

REPO = Path(__file__).resolve().parents[1]
PATHOLOGICAL = {
    "label + 50,000 spaces": "- 2019-" + " " * 50_000,
    "label + 19,000 spaces (parsed, under the length limit)": "- 2019-" + " " * 19_000 + "x",
    "16,000 '[' in a bullet": "- " + "[" * 16_000,
    "16,000 '[' in a table cell": "| Title | Venue |\n|---|---|\n| " + "[" * 16_000 + " | ICLR |",
    "16,000 '[(' pairs": "- 2019-CVPR-" + "[(" * 8_000,
    "heading of 16,000 '['": "## " + "[" * 16_000,
}


def synthetic_list(n: int) -> str:
    lines = ["# Example list", "", "## Low-rank decomposition", ""]
    venues = ("CVPR", "ICCV", "ICLR", "NeurIPS", "ICML")
    for i in range(n):
        lines.append(f"- {2000 + i % 25}-{venues[i % 5]}-[Example Shared Opening Words Number {i}]"
                     f"(https://example.org/paper/{i}) [[Code](https://github.com/example/r{i})]")
    return "\n".join(lines) + "\n"


def scratch_catalog(where: Path) -> Path:
    root = where / "catalog"
    (root / "papers").mkdir(parents=True)
    for name in ("taxonomy.yaml", "venues.yaml"):
        shutil.copy(REPO / "catalog" / name, root / name)
    return root


def timed_import(text: str, where: Path) -> tuple[float, dict[str, int]]:
    source = where / "list.md"
    source.write_text(text, encoding="utf-8")
    catalog = scratch_catalog(where)
    start, cpu = time.perf_counter(), time.process_time()
    report = import_markdown(source, catalog, mapping=ImportMapping(), dry_run=True)
    timed_import.cpu = time.process_time() - cpu  # CPU seconds: less sensitive to other load
    return time.perf_counter() - start, report.counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller lists")
    args = parser.parse_args(argv)
    print("pathological lines (target: each under 1 s)")
    for name, text in PATHOLOGICAL.items():
        with tempfile.TemporaryDirectory() as tmp:
            seconds, counts = timed_import(text, Path(tmp))
        outcome = ", ".join(f"{v} {k}" for k, v in counts.items() if v) or "no outcome"
        print(f"  {name:56s} {seconds * 1000:7.1f} ms wall, {timed_import.cpu * 1000:7.1f} ms "
              f"CPU  ({outcome})")
    sizes = (1_000, 2_000) if args.quick else (2_500, 5_000, 10_000)
    print("lists of n entries (target: 10,000 under 10 s, linear)")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            seconds, counts = timed_import(synthetic_list(n), Path(tmp))
        print(f"  n = {n:6,d}: {seconds:6.2f} s wall, {timed_import.cpu:6.2f} s CPU  "
              f"({seconds / n * 1e3:.2f} ms per entry, {counts['created']:,} created)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
