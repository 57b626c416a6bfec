"""Machine-readable exports of the catalog: JSON, BibTeX and CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from ..catalog import Catalog, Paper

SCHEMA_VERSION = 1

_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_BIBTEX_RE = re.compile("|".join(re.escape(c) for c in _BIBTEX_SPECIAL))
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def paper_record(paper: Paper, catalog: Catalog) -> dict[str, Any]:
    """One paper as plain JSON-ready data, with the derived fields publications need."""
    return {
        **paper.model_dump(mode="json"),
        "label": catalog.label(paper),
        "venue_name": catalog.venue(paper.venue).name,
        "url": paper.links.best,
        "source": catalog.sources[paper.id],
    }


def to_json(catalog: Catalog) -> str:
    """The whole catalog as a JSON document (stable order: by id)."""
    papers = [paper_record(p, catalog) for p in sorted(catalog, key=lambda p: p.id)]
    document = {"schema_version": SCHEMA_VERSION, "count": len(papers), "papers": papers}
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def bibtex_escape(text: str) -> str:
    """Escape LaTeX's special characters so any string is safe inside ``{...}``."""
    return _BIBTEX_RE.sub(lambda m: _BIBTEX_SPECIAL[m.group()], " ".join(text.split()))


def bibtex_entry(paper: Paper, catalog: Catalog) -> str:
    """A BibTeX entry for ``paper``; the key is the catalog id."""
    venue = catalog.venue(paper.venue)
    fields: list[tuple[str, str]] = [
        # Double braces keep the title's capitalisation (acronyms such as CNN) in every style.
        ("title", "{" + bibtex_escape(paper.title) + "}"),
        ("author", " and ".join(bibtex_escape(a) for a in paper.authors)),
    ]
    if venue.kind == "preprint":
        kind = "misc"
        if paper.links.arxiv:
            fields += [("eprint", paper.links.arxiv), ("archiveprefix", "arXiv")]
        fields.append(("howpublished", bibtex_escape(venue.name)))
    else:
        kind = "article" if venue.kind == "journal" else "inproceedings"
        where = f"{paper.workshop}, {venue.name}" if paper.workshop else venue.name
        fields.append(("journal" if kind == "article" else "booktitle",
                       bibtex_escape(f"{where} ({venue.id})")))
        if paper.links.arxiv:
            fields += [("eprint", paper.links.arxiv), ("archiveprefix", "arXiv")]
    fields.append(("year", str(paper.year)))
    if paper.award:
        fields.append(("note", bibtex_escape(paper.award)))
    if url := paper.links.best:
        # Braces and backslashes would end or escape the field: percent-encode them.
        fields.append(("url", url.translate({ord("{"): "%7B", ord("}"): "%7D", ord("\\"): "%5C"})))
    body = ",\n".join(f"  {name:<13} = {{{value}}}" for name, value in fields if value)
    return f"@{kind}{{{paper.id},\n{body}\n}}\n"


def to_bibtex(catalog: Catalog) -> str:
    return "\n".join(bibtex_entry(p, catalog) for p in sorted(catalog, key=lambda p: p.id))


CSV_COLUMNS = (
    "id", "title", "authors", "year", "month", "venue", "workshop", "presentation", "category",
    "subcategory", "also_in", "paper", "arxiv", "openreview", "pdf", "code", "tags", "added",
    # Added with the import of awesome lists; appended so existing column positions hold.
    "award", "resources", "review", "sources",
)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ is run as a formula by spreadsheets: neutralise it.
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(catalog: Catalog) -> str:
    """One row per paper; lists are joined with '; ' (authors, code URLs, tags, ``kind url`` of
    resources, ``owner/repo@commit:line`` of sources)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in sorted(catalog, key=lambda p: p.id):
        row = {
            **p.model_dump(include={"id", "title", "year", "month", "venue", "workshop",
                                    "presentation", "category", "subcategory", "added",
                                    "award", "review"}),
            **p.links.model_dump(),
            "authors": "; ".join(p.authors),
            "also_in": "; ".join(f"{a.category}/{a.subcategory or ''}".rstrip("/")
                                 for a in p.also_in),
            "code": "; ".join(c.url for c in p.code),
            "tags": "; ".join(p.tags),
            "resources": "; ".join(f"{r.kind} {r.url}" for r in p.resources),
            "sources": "; ".join(f"{s.list}@{s.commit}:{s.line}" for s in p.sources),
        }
        writer.writerow([_cell(row[c]) for c in CSV_COLUMNS])
    return out.getvalue()


FORMATS = {"json": to_json, "bibtex": to_bibtex, "csv": to_csv}
