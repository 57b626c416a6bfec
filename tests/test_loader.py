"""Every bad input gets its exact message, with file, line and field, all in one run."""

from __future__ import annotations

from pathlib import Path

import pytest

from zoo.catalog import CatalogError, collect, load
from zoo.catalog.yamlsource import MAX_BYTES

GOOD = """\
id: 2024-neurips-tiny-method
title: Tiny Method
authors: [Ada Lovelace]
year: 2024
venue: NeurIPS
category: pruning
subcategory: structured
links:
  arxiv: 2401.00001
added: 2026-11-26
"""


def problems_for(repo: Path, name: str, content: str | bytes) -> list[str]:
    path = repo / "catalog" / "papers" / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    catalog, problems = collect(repo / "catalog")
    assert catalog is None
    return [str(p) for p in problems]


def test_the_real_catalog_is_valid() -> None:
    catalog = load()
    assert len(catalog) >= 64
    fpgm = catalog.paper("2019-cvpr-filter-pruning-geometric-median")
    assert fpgm.presentation == "oral" and fpgm.links.arxiv == "1811.00250"


def test_good_entry_loads_and_arxiv_id_stays_text(repo: Path) -> None:
    (repo / "catalog/papers/2024-neurips-tiny-method.yaml").write_text(GOOD)
    catalog = load(repo / "catalog")
    # Unquoted 2401.00001 would be the float 2401.00001 -> "2401.00001"; 1811.00250 would lose
    # its trailing zero. The loader keeps scalars as written.
    assert catalog.paper("2024-neurips-tiny-method").links.arxiv == "2401.00001"


F = "catalog/papers/2024-neurips-tiny-method.yaml"
CASES = [
    ("empty", "", [f"{F}:1: -: empty file, expected a mapping of fields"]),
    ("comments only", "# nothing\n", [f"{F}:1: -: empty file, expected a mapping of fields"]),
    ("list", "- a\n- b\n", [f"{F}:1: -: expected a mapping of fields, found a list"]),
    ("scalar", "just text\n", [f"{F}:1: -: expected a mapping of fields, found a single value"]),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00", [f"{F}:1: -: binary file, expected YAML text"]),
    ("latin-1", GOOD.replace("Ada", "Ad\u00e9").encode("latin-1"),
     [f"{F}:3: -: not UTF-8 text (byte 0xe9)"]),
    ("tabs", GOOD.replace("  arxiv", "\tarxiv"),
     [f"{F}:9: -: tab character; indent YAML with spaces"]),
    ("malformed", GOOD.replace("[Ada Lovelace]", "[Ada Lovelace"),
     [f"{F}:4: -: invalid YAML: did not find expected ',' or ']'"]),
    ("two documents", GOOD + "---\ntitle: x\n",
     [f"{F}:11: -: several YAML documents in one file, expected one"]),
    ("anchor and alias", GOOD.replace("title: Tiny Method", "title: &t Tiny Method")
     + "note: *t\n", [f"{F}:2: title: YAML anchors are not allowed (&t); write the value out",
                      f"{F}:11: note: YAML aliases are not allowed (*t); write the value out"]),
    ("duplicate key", GOOD + "year: 2023\n", [f"{F}:11: year: duplicate key"]),
    ("unknown key", GOOD.replace("title:", "titel:"),
     [f"{F}:1: title: required field is missing",
      f"{F}:2: titel: unknown field; did you mean 'title'? allowed: id, title, aliases, authors, "
      "year, month, venue, workshop, presentation, award, category, subcategory, also_in, links, "
      "code, resources, tags, note, review, sources, added"]),
    ("unknown nested key", GOOD.replace("  arxiv:", "  arxív:"),
     [f"{F}:9: links.arxív: unknown field; did you mean 'arxiv'? allowed: paper, arxiv, "
      "openreview, pdf"]),
    ("id differs from file name",
     GOOD.replace("id: 2024-neurips-tiny-method", "id: 2024-neurips-other"),
     [f"{F}:1: id: must equal the file name '2024-neurips-tiny-method'"]),
    ("bad id", GOOD.replace("id: 2024-neurips-tiny-method", "id: Tiny_Method"),
     [f"{F}:1: id: must be lowercase 'year-venue-name', e.g. "
      "2019-cvpr-filter-pruning-geometric-median"]),
    ("bad arXiv id", GOOD.replace("2401.00001", "arXiv:2401.00001v2"),
     [f"{F}:9: links.arxiv: not a well-formed arXiv id (expected e.g. 1811.00250, without "
      "'arXiv:' or version)"]),
    ("javascript link", GOOD + "code:\n  - url: javascript:alert(1)\n",
     [f"{F}:12: code[0].url: must be an http(s) URL"]),
    ("year", GOOD.replace("year: 2024", "year: 1850"),
     [f"{F}:4: year: must be between 1943 and 2027"]),
    ("year not a number", GOOD.replace("year: 2024", "year: soon"),
     [f"{F}:4: year: Input should be a valid integer, unable to parse string as an integer"]),
    ("venue alias", GOOD.replace("venue: NeurIPS", "venue: NIPS"),
     [f"{F}:5: venue: unknown venue 'NIPS'; write 'NeurIPS'"]),
    ("unknown venue", GOOD.replace("venue: NeurIPS", "venue: SIGBOVIK"),
     [f"{F}:5: venue: unknown venue 'SIGBOVIK'; add it to catalog/venues.yaml"]),
    ("unknown category", GOOD.replace("category: pruning", "category: pruninng"),
     [f"{F}:6: category: unknown category 'pruninng' (known: pruning, quantization, "
      "architecture, low-rank, distillation)"]),
    ("unknown subcategory", GOOD.replace("subcategory: structured", "subcategory: binary"),
     [f"{F}:7: subcategory: unknown subcategory 'binary' of 'pruning' (known: structured, "
      "unstructured)"]),
    ("missing subcategory", GOOD.replace("subcategory: structured\n", ""),
     [f"{F}:6: category: subcategory is required for 'pruning' (one of: structured, "
      "unstructured)"]),
    ("oral preprint", GOOD.replace("venue: NeurIPS", "venue: arXiv") + "presentation: oral\n",
     [f"{F}:11: presentation: a preprint has no oral or spotlight"]),
    ("duplicate paper", GOOD.replace("2401.00001", "1811.00250"),
     [f"{F}:9: links.arxiv: duplicate paper: same arXiv id as "
      "catalog/papers/2019-cvpr-filter-pruning-geometric-median.yaml"]),
    ("wrong type", GOOD.replace("authors: [Ada Lovelace]", "authors: {name: Ada}"),
     [f"{F}:3: authors: Input should be a valid list"]),
    ("resource kind", GOOD + "resources:\n  - {url: 'https://x.org/s', kind: slide}\n",
     [f"{F}:12: resources[0].kind: Input should be 'project', 'slides', 'video', 'poster', "
      "'talk', 'discussion', 'blog', 'other-version', 'supplement', 'dataset' or 'other'"]),
    ("source", GOOD + "sources:\n  - {list: he-y, commit: 45ac58b4389a, line: 0}\n",
     [f"{F}:12: sources[0].list: must be a GitHub repository written 'owner/repo', e.g. "
      "he-y/Awesome-Pruning",
      f"{F}:12: sources[0].line: Input should be greater than or equal to 1"]),
]


@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_entry_message(repo: Path, content: str | bytes, expected: list[str]) -> None:
    assert problems_for(repo, "2024-neurips-tiny-method.yaml", content) == expected


def test_provenance_resources_award_and_review_load(repo: Path) -> None:
    extra = """award: Best Paper
resources:
  - {url: 'https://x.org/slides.pdf', kind: slides}
  - {url: 'https://x.org/v2', kind: other-version, label: 2018 TPAMI version}
review: classified by keyword 'prun*'
sources:
  - {list: he-y/Awesome-Pruning, commit: 45ac58b4389a, line: 184}
"""
    (repo / "catalog/papers/2024-neurips-tiny-method.yaml").write_text(GOOD + extra)
    paper = load(repo / "catalog").paper("2024-neurips-tiny-method")
    assert paper.award == "Best Paper" and paper.review == "classified by keyword 'prun*'"
    assert [r.name for r in paper.resources] == ["Slides", "2018 TPAMI version"]
    assert paper.sources[0].url == (
        "https://github.com/he-y/Awesome-Pruning/blob/45ac58b4389a/README.md#L184")


def test_huge_file(repo: Path) -> None:
    content = GOOD + "note: " + "x" * MAX_BYTES + "\n"
    size = len(content.encode())
    assert problems_for(repo, "2024-neurips-tiny-method.yaml", content) == [
        f"{F}:1: -: file is too large ({size:,} bytes; an entry must stay under {MAX_BYTES:,})"
    ]


def test_every_problem_in_every_file_in_one_run(repo: Path) -> None:
    papers = repo / "catalog" / "papers"
    (papers / "2024-neurips-tiny-method.yaml").write_text(GOOD.replace("year: 2024", "year: 1"))
    (papers / "notes.txt").write_text("scratch")
    fpgm = papers / "2019-cvpr-filter-pruning-geometric-median.yaml"
    text = fpgm.read_text().replace("venue: CVPR", "venue: CVRP")
    fpgm.write_text(text.replace("\n  ", "\n\t", 1))
    with pytest.raises(CatalogError) as caught:
        load(repo / "catalog")
    message = str(caught.value)
    assert message.startswith("3 problems in the catalog:")
    assert f"{F}:4: year: must be between" in message
    assert "catalog/papers/notes.txt:1: -: not an entry" in message
    # The tab stops that file from being read at all, so its bad venue cannot be reported yet.
    assert "2019-cvpr-filter-pruning-geometric-median.yaml:16: -: tab character" in message


def test_taxonomy_and_venue_tables_are_checked(repo: Path) -> None:
    venues = repo / "catalog" / "venues.yaml"
    venues.write_text(venues.read_text().replace("aliases: [NIPS]", "aliases: [NIPS, CVPR]"))
    _, problems = collect(repo / "catalog")
    assert [str(p) for p in problems] == [
        "catalog/venues.yaml:1: venues: venue name 'cvpr' is used twice"
    ]
