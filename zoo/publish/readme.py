"""Rendering the repository README (the awesome list) from the catalog with Jinja2.

Each paper line keeps the seed's format, ``- 2019-CVPRo-[Title](link) [[Code](link)]``, so the
list stays familiar and ``aladin import`` can read it back. Within a section papers follow
:func:`zoo.catalog.reading_order` (newest year first, then title). A paper with a zoo
implementation gets `` · [zoo: `name`](zoo/…/module.py#L12)`` after its code links, and a GitHub
repository that ``aladin enrich`` has data for gets `` · ★1.2k`` (flagged ``archived`` or with its
last push when stale) — annotations after the links, which ``aladin import`` skips.

GitHub stops rendering a README at about 500 KB. When the full list would pass
:data:`README_BUDGET`, every section keeps its ``K`` most important papers (:func:`importance`),
``K`` the largest that fits, and links to the complete section on the website; the README says so.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import jinja2

from ..catalog import Catalog, Paper, reading_order
from ..network.enrichment import RepoInfo, load_enrichment
from ..registry import MethodRecord
from ..schema import field_rows
from .markdown import md_text, md_url

_TEMPLATES = Path(__file__).parent / "templates"
README_BUDGET = 400_000  # bytes; GitHub stops rendering at about 500 KB


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


def importance(paper: Paper, implemented: Mapping[str, object]) -> tuple:
    """Which papers a shortened README keeps first (larger is kept first): a zoo implementation,
    an award, an entry written by hand rather than imported, an oral or spotlight, code, then
    the newest."""
    return (paper.id in implemented, paper.award is not None, not paper.sources,
            paper.presentation is not None, bool(paper.code), paper.year, paper.month or 0)


def site_url(catalog: Catalog) -> str:
    """The website's address from ``site/mkdocs.yml`` beside the catalog ('' without one)."""
    config = catalog.root.parent / "site" / "mkdocs.yml"
    text = config.read_text(encoding="utf-8") if config.is_file() else ""
    found = re.search(r"^site_url:\s*['\"]?(https?://[^\s'\"]+)", text, flags=re.M)
    return found[1].rstrip("/") + "/" if found else ""


def render_readme(
    catalog: Catalog, methods_by_paper: Mapping[str, Sequence[MethodRecord]] | None = None,
    budget: int = README_BUDGET,
) -> str:
    """The README text. ``methods_by_paper`` defaults to the zoo registry's index; past
    ``budget`` bytes each section is shortened (see the module docstring)."""
    if methods_by_paper is None:
        from ..registry import by_paper

        methods_by_paper = by_paper()
    known = {k: v for k, v in methods_by_paper.items() if k in catalog}
    repos = load_enrichment(catalog.root)
    # Papers listed directly under each (category, subcategory), most important first.
    ranked: dict[tuple[str, str | None], list[Paper]] = {}
    for paper in catalog:
        for place in {(p.category, p.subcategory) for p in paper.placements}:
            ranked.setdefault(place, []).append(paper)
    for papers in ranked.values():
        papers.sort(key=reading_order)
        papers.sort(key=lambda p: importance(p, known), reverse=True)  # stable: ties in order
    template = _environment().get_template("README.md.j2")
    base = site_url(catalog)
    years = Counter(p.year for p in catalog)
    context = dict(
        catalog=catalog, taxonomy=catalog.taxonomy, total=len(catalog),
        with_code=sum(1 for p in catalog if p.code), with_zoo=len(known),
        methods=sum(len(v) for v in known.values()), years=sorted(years.items()),
        fields=field_rows(),
        method_table=sorted((m for ms in known.values() for m in ms), key=taxonomy_order(catalog)),
    )

    def render(limit: int | None) -> str:
        def section(category: str, sub: str | None = None) -> dict:
            papers = ranked.get((category, sub), [])
            shown = sorted(papers[:limit], key=reading_order)
            uri = f"categories/{category}/{sub}/" if sub else f"categories/{category}/"
            return {
                "lines": [paper_line(p, catalog, known.get(p.id, ()), repos) for p in shown],
                "hidden": len(papers) - len(shown), "total": len(papers),
                "url": base + uri if base else "",
            }

        return template.render(section=section, limit=limit, **context)

    full = render(None)
    if len(full.encode()) <= budget:
        return full
    # The largest per-section count that fits: the size grows with it, so bisect.
    low, high = 0, max(map(len, ranked.values()), default=0)
    while low < high:
        middle = (low + high + 1) // 2
        if len(render(middle).encode()) <= budget:
            low = middle
        else:
            high = middle - 1
    return render(low)
