"""Rendering the repository README (the awesome list) from the catalog with Jinja2.

Each paper line keeps the seed's format, ``- 2019-CVPRo-[Title](link) [[Code](link)]``, so the
list stays familiar and ``aladin import`` can read it back. Within a section papers follow
:func:`zoo.catalog.reading_order` (newest year first, then title). A paper with a zoo
implementation gets `` · [zoo: `name`](zoo/…/module.py#L12)`` after its code links, and a GitHub
repository that ``aladin enrich`` has data for gets `` · ★1.2k`` (flagged ``archived`` or with its
last push when stale) — annotations after the links, which ``aladin import`` skips.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import jinja2

from ..catalog import Catalog, Paper
from ..network.enrichment import RepoInfo, load_enrichment
from ..registry import MethodRecord
from ..schema import field_rows
from .markdown import md_text, md_url

_TEMPLATES = Path(__file__).parent / "templates"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=False,  # Markdown, not HTML: every catalog string goes through md_text/md_url
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(md=md_text, url=md_url)
    return env


def paper_line(
    paper: Paper, catalog: Catalog, methods: Sequence[MethodRecord] = (),
    repos: Mapping[str, RepoInfo] | None = None,
) -> str:
    """One awesome-list line for ``paper``; ``repos`` is the enrichment data by code URL."""
    title = md_text(paper.title)
    link = paper.links.best
    line = f"- {catalog.label(paper)}-" + (f"[{title}]({md_url(link)})" if link else title)
    line += "".join(f" [[{md_text(c.label)}]({md_url(c.url)})]" for c in paper.code)
    enriched = [(c, repos[c.url]) for c in paper.code if repos and c.url in repos]
    # With several repositories the label says which one the stars belong to.
    line += "".join(f" · {md_text(c.label) + ' ' if len(paper.code) > 1 else ''}{info.note()}"
                    for c, info in enriched)
    line += "".join(f" · [zoo: `{m.name}`]({m.source}#L{m.line})" for m in methods)
    return line


def taxonomy_order(catalog: Catalog) -> Callable[[MethodRecord], tuple[int, str]]:
    """Sort key putting methods in the taxonomy's display order, then by name."""
    rank = {(c.id, s): i for i, (c, s) in enumerate(
        (c, s) for c in catalog.categories for s in [None, *(s.id for s in c.subcategories)])}
    return lambda m: (rank.get((m.category, m.subcategory), len(rank)), m.name)


def render_readme(
    catalog: Catalog, methods_by_paper: Mapping[str, Sequence[MethodRecord]] | None = None
) -> str:
    """The full README text. ``methods_by_paper`` defaults to the zoo registry's index."""
    if methods_by_paper is None:
        from ..registry import by_paper

        methods_by_paper = by_paper()
    known = {k: v for k, v in methods_by_paper.items() if k in catalog}
    repos = load_enrichment(catalog.root)

    def lines(category: str, sub: str | None = None) -> list[str]:
        return [
            paper_line(p, catalog, known.get(p.id, ()), repos)
            for p in catalog.section(category, sub)
            if any(pl.category == category and pl.subcategory == sub for pl in p.placements)
        ]

    years = Counter(p.year for p in catalog)
    return _environment().get_template("README.md.j2").render(
        catalog=catalog,
        taxonomy=catalog.taxonomy,
        lines=lines,
        total=len(catalog),
        with_code=sum(1 for p in catalog if p.code),
        with_zoo=len(known),
        methods=sum(len(v) for v in known.values()),
        years=sorted(years.items()),
        fields=field_rows(),
        method_table=sorted((m for ms in known.values() for m in ms), key=taxonomy_order(catalog)),
    )
