"""Exports escape properly: BibTeX specials, CSV quoting and formula cells, valid JSON."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from zoo.catalog import load
from zoo.publish.exports import bibtex_entry, to_csv, to_json


def hostile_catalog(repo: Path):
    path = repo / "catalog/papers/2019-iclr-snip.yaml"
    text = path.read_text().replace(
        "title: 'SNIP: Single-shot Network Pruning based on Connection Sensitivity'",
        "title: 'SNIP: 100% {braces} & $money_#1 ~^\\ \"quoted\", =cmd'",
    )
    path.write_text(text.replace("- Namhoon Lee", "- '=HYPERLINK(\"x\")'"))
    return load(repo / "catalog")


def test_bibtex_escapes_latex_specials(repo: Path) -> None:
    catalog = hostile_catalog(repo)
    entry = bibtex_entry(catalog.paper("2019-iclr-snip"), catalog)
    assert (r"title         = {{SNIP: 100\% \{braces\} \& \$money\_\#1 "
            r"\textasciitilde{}\textasciicircum{}\textbackslash{} "
            '"quoted", =cmd}}') in entry
    assert entry.startswith("@inproceedings{2019-iclr-snip,\n")
    assert "booktitle     = {International Conference on Learning Representations (ICLR)}" in entry
    # Balanced braces: the entry closes where it should.
    body = entry.replace(r"\{", "").replace(r"\}", "")
    assert body.count("{") == body.count("}")


def test_csv_quotes_and_neutralises_formulas(repo: Path) -> None:
    catalog = hostile_catalog(repo)
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(to_csv(catalog)))}
    assert len(rows) == len(catalog)
    snip = rows["2019-iclr-snip"]
    assert snip["title"] == "SNIP: 100% {braces} & $money_#1 ~^\\ \"quoted\", =cmd"
    assert snip["authors"].startswith("'=HYPERLINK(\"x\")")


def test_json_round_trips_every_paper() -> None:
    catalog = load()
    document = json.loads(to_json(catalog))
    assert document["count"] == len(catalog)
    fpgm = next(p for p in document["papers"] if p["id"].endswith("geometric-median"))
    assert fpgm["label"] == "2019-CVPRo" and fpgm["url"] == "https://arxiv.org/abs/1811.00250"
