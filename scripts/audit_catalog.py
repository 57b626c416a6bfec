#!/usr/bin/env python3
"""Audit imported entries against the list lines they came from.

    .venv/bin/python scripts/audit_catalog.py --lists ../shared/data/lists --count 50 --seed 11

Draws ``--count`` entries at random (seeded, so the same sample comes back) among the entries
that carry ``sources`` (provenance written by ``aladin import``), and prints each one beside the
line of the list it was read from: list, commit, line number, the heading the line sits under
and the line's text. A person then judges, entry by entry, whether category and subcategory,
title, venue and year are right. ``--lists`` is a directory holding each list's README as
``<owner>__<repo>.README.md`` (the frozen copies the entries were imported from).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def heading_above(lines: list[str], number: int) -> str:
    """The nearest Markdown heading at or above line ``number`` (1-based), '' if none."""
    for text in reversed(lines[:number]):
        if match := _HEADING.match(text):
            return f"{match[1]} {match[2]}"
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", type=Path, required=True,
                        help="directory with <owner>__<repo>.README.md files")
    parser.add_argument("--catalog", type=Path, default=REPO / "catalog")
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--width", type=int, default=400, help="longest source line shown")
    args = parser.parse_args(argv)

    from zoo.catalog import CatalogError, load

    try:
        catalog = load(args.catalog)
    except CatalogError as exc:
        print(exc, file=sys.stderr)
        return 1
    imported = sorted((p for p in catalog if p.sources), key=lambda p: p.id)
    if not imported:
        print(f"{args.catalog}: no entry carries sources; nothing to audit", file=sys.stderr)
        return 1
    sample = random.Random(args.seed).sample(imported, min(args.count, len(imported)))
    texts: dict[str, list[str] | None] = {}
    print(f"{len(sample)} of {len(imported)} imported entries (seed {args.seed})\n")
    for number, paper in enumerate(sample, 1):
        place = "/".join(filter(None, (paper.category, paper.subcategory)))
        print(f"[{number}] {paper.id}")
        print(f"    entry : {paper.title}")
        print(f"            {catalog.label(paper)} · venue {paper.venue} · year {paper.year} · "
              f"{place}" + "".join(f" + {a.category}/{a.subcategory or ''}".rstrip("/")
                                   for a in paper.also_in))
        extras = [f"presentation {paper.presentation}" if paper.presentation else "",
                  f"award {paper.award}" if paper.award else "",
                  f"review: {paper.review}" if paper.review else ""]
        if any(extras):
            print(f"            {' · '.join(e for e in extras if e)}")
        for source in paper.sources:
            name = source.list.replace("/", "__") + ".README.md"
            if name not in texts:
                path = args.lists / name
                texts[name] = (path.read_text(encoding="utf-8").splitlines()
                               if path.is_file() else None)
            lines = texts[name]
            print(f"    source: {source.list}@{source.commit} line {source.line}")
            if lines is None:
                print(f"            ({name} not found in {args.lists})")
            elif source.line > len(lines):
                print(f"            (the file has only {len(lines)} lines)")
            else:
                print(f"            under: {heading_above(lines, source.line)}")
                print(f"            {' '.join(lines[source.line - 1].split())[:args.width]}")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
