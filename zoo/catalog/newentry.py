"""Building a new entry from command-line values, with the same checks as ``aladin check``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .catalog import Catalog
from .loader import Checker, parse_model
from .models import Paper
from .yamlsource import Document

_EMPTY = Document({}, {})


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(";") if part.strip()]


def build_entry(
    values: Mapping[str, Any],
    catalog: Catalog,
    *,
    added: dt.date,
    make_id: Callable[[int, str, str], str],
) -> tuple[Paper | None, list]:
    """A validated :class:`Paper` from flag values, or the problems (as ``aladin check`` words
    them) that stop it — including a duplicate of a paper already in ``catalog``."""
    venues = {a.casefold(): v.id for v in catalog.venue_table.venues for a in (v.id, *v.aliases)}
    venue = str(values.get("venue") or "")
    venue = venues.get(venue.casefold(), venue)
    title = " ".join(str(values.get("title") or "").split())
    try:
        paper_id = make_id(int(values.get("year") or 0), venue, title)
    except ValueError:
        paper_id = "0000-x-invalid"  # the year's own problem is reported by the model below
    flags = [kind for kind in ("oral", "spotlight") if values.get(kind)]
    data = {
        "id": paper_id,
        "title": title,
        "authors": _split(values.get("authors")),
        "year": values.get("year"),
        "month": values.get("month"),
        "venue": venue,
        "workshop": values.get("workshop"),
        "presentation": flags[0] if flags else None,
        "category": values.get("category"),
        "subcategory": values.get("subcategory") or None,
        "links": {k: values.get(k) for k in ("url", "arxiv", "openreview", "pdf")
                  if values.get(k)},
        "code": [{"url": url} for url in values.get("code") or ()],
        "tags": list(values.get("tags") or ()),
        "added": added,
    }
    data["links"] = {("paper" if k == "url" else k): v for k, v in data["links"].items()}
    data = {k: v for k, v in data.items() if v not in (None, [], {})}
    display = f"catalog/papers/{paper_id}.yaml"
    paper, problems = parse_model(Paper, Document(data, {}), display)
    if paper is None:
        return None, problems
    checker = Checker(catalog.taxonomy, catalog.venue_table)
    checker.paper(paper, _EMPTY, Path(display), display)
    checker.duplicates(
        [(p, _EMPTY, catalog.sources[p.id]) for p in catalog] + [(paper, _EMPTY, display)]
    )
    return (None if checker.problems else paper), checker.problems
