"""Import the four frozen awesome lists into the catalog and print the per-list counts.

    .venv/bin/python scripts/import_lists.py LISTS_DIR [--dry-run] [--root .]

LISTS_DIR holds ``<owner>__<repo>.README.md`` (e.g. ``/work/shared/data/lists``); each list is
imported with ``scripts/lists/<owner>__<repo>.mapping.yaml``, in the order below: the lists whose
headings or Type column place papers precisely go first, Efficient-Deep-Learning (keyword-classified
sections) last, so a paper listed twice keeps the better-evidenced place. Every merged or duplicate
line is checked against its entry: lines whose title is not the entry's title (by the identity
rules) were matched through a shared arXiv, DOI or OpenReview id; they are printed for review.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from zoo.catalog import load
from zoo.catalog.identity import same_title
from zoo.importer import import_markdown, load_mapping
from zoo.importer.report import OUTCOMES

ORDER = ("he-y__Awesome-Pruning", "htqin__awesome-model-quantization",
         "dkozlov__awesome-knowledge-distillation", "MingSun-Tse__Efficient-Deep-Learning")
REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lists", type=Path)
    parser.add_argument("--root", type=Path, default=REPO, help="repository (holds catalog/)")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    catalog_root = args.root / "catalog"
    before = len(list((catalog_root / "papers").glob("*.yaml")))
    print("| list | entries | " + " | ".join(OUTCOMES) + " | title mismatches |")
    print("|---" * (len(OUTCOMES) + 3) + "|")
    for name in ORDER:
        mapping = load_mapping(REPO / "scripts" / "lists" / f"{name}.mapping.yaml")
        report = import_markdown(args.lists / f"{name}.README.md", catalog_root,
                                 mapping=mapping, dry_run=args.dry_run)
        papers = {p.id: p for p in load(catalog_root)} if not args.dry_run else {}
        mismatched = [o for o in report.lines.values() if o.outcome in ("merged", "duplicate")
                      and o.id in papers and o.title
                      and not same_title(o.title, papers[o.id].title)]
        for o in mismatched:  # one paper by a shared id, but the titles differ: show for review
            print(f"  {name}:{o.line}: '{o.title}' -> {o.id} '{papers[o.id].title}' ({o.reason})",
                  file=sys.stderr)
        counts = report.counts
        print(f"| {mapping.list} | {report.entries} | "
              + " | ".join(str(counts[o]) for o in OUTCOMES) + f" | {len(mismatched)} |")
    after = len(list((catalog_root / "papers").glob("*.yaml")))
    print(f"\ncatalog: {before} entries before, {after} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
