"""The MkDocs hook that turns the catalog into pages (``site/hooks.py`` imports these events).

* ``on_config``: load the catalog (or take the one :func:`pinned` by ``build_site``) and expand
  the ``categories/index.md`` entry of the nav into the taxonomy, in its order.
* ``on_files``: add every generated page (papers, categories, venues, years, zoo API) and the
  downloads (papers.json/.bib/.csv, feed.xml). Only taxonomy pages enter the navigation:
  listing thousands of paper pages there makes the build quadratic.
* ``on_page_content``: fill the ``<!-- aladin:NAME -->`` markers of hand-written pages.
* ``on_post_page``: drop the template's indentation and blank lines (a third of each page).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import CombinedEvent, event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from ..catalog import Catalog, CatalogError, load
from ..publish.exports import to_bibtex, to_csv, to_json
from ..registry import by_paper
from .apidocs import method_doc
from .benchmarks import PAGE_URI as BENCH_PAGE
from .benchmarks import BenchView, ResultsError, load_bench_view
from .feed import atom_feed
from .i18n import EXPLORER_STRINGS
from .lm_benchmarks import LanguageView, load_language_view
from .model import SiteModel, category_uri, method_uri, paper_uri, venue_uri, year_uri
from .pages import PrebuiltPage, Stopwatch, add_page, add_static
from .render import Renderer, url_of

log = logging.getLogger("mkdocs.hooks.aladin")

CATEGORIES_ENTRY = "categories/index.md"
# Search ranks a category page above the many papers that mention its name, and a venue's page
# above papers that merely appeared there.
SECTION_BOOST, VENUE_BOOST = 10, 3
# A method's API page ranks below the paper it implements when both match ("FPGM").
API_BOOST = 0.2
_MARKER = re.compile(r"<!--\s*aladin:([a-z-]+)\s*-->")
_BLOCKS = {"stats", "categories", "years", "newest", "methods", "explorer", "ids"}
_PRE = re.compile(r"(<pre\b.*?</pre>|<textarea\b.*?</textarea>)", re.S)
_INDENT = re.compile(r"\n\s+")


@dataclass
class BuildStats:
    """What the last build did; ``generation_seconds`` is time in this package's code."""

    generation: Stopwatch = field(default_factory=Stopwatch)
    pages: int = 0
    papers: int = 0

    @property
    def generation_seconds(self) -> float:
        return self.generation.seconds


@dataclass
class _Inputs:
    catalog: Catalog | None = None  # set by build_site: use this catalog object as it is
    catalog_root: Path | None = None  # set by serve: reload from here on every rebuild


_inputs = _Inputs()
_state: dict[str, Any] = {}
last_stats = BuildStats()


@contextmanager
def pinned(catalog: Catalog | None = None, catalog_root: Path | None = None) -> Iterator[None]:
    """Within the block, builds use ``catalog`` (or the catalog at ``catalog_root``)."""
    saved = (_inputs.catalog, _inputs.catalog_root)
    _inputs.catalog, _inputs.catalog_root = catalog, catalog_root
    try:
        yield
    finally:
        _inputs.catalog, _inputs.catalog_root = saved


def _catalog(config: MkDocsConfig) -> Catalog:
    if _inputs.catalog is not None:
        return _inputs.catalog
    if _inputs.catalog_root is not None:
        # A live preview: implementations may have been added since the last build. The registry
        # caches its source scan, so rescan (it is a few milliseconds of AST parsing).
        from .. import registry

        registry.refresh()
    root = _inputs.catalog_root or Path(config.config_file_path).resolve().parent.parent / "catalog"
    try:
        return load(root)
    except CatalogError as exc:
        raise PluginError(f"the catalog at {root} is invalid:\n{exc}") from exc


def _bench_view(config: MkDocsConfig, catalog: Catalog) -> BenchView | None:
    """The committed benchmark results of the repository the site belongs to, if any."""
    repo_root = Path(config.config_file_path).resolve().parent.parent
    try:
        return load_bench_view(repo_root, frozenset(p.id for p in catalog.papers))
    except ResultsError as exc:
        raise PluginError(str(exc)) from exc


def _language_view(config: MkDocsConfig, catalog: Catalog) -> LanguageView:
    """The committed language-model results (either file may be absent), rows linked to the
    papers of the zoo methods they run."""
    from ..registry import list_methods

    repo_root = Path(config.config_file_path).resolve().parent.parent
    papers = {r.name: r.paper for r in list_methods() if r.paper in catalog}
    try:
        return load_language_view(repo_root, papers)
    except ResultsError as exc:
        raise PluginError(str(exc)) from exc


def _text(value: str) -> str:
    """A plain string made safe for places the theme prints raw (titles, nav, attributes)."""
    return html.escape(" ".join(value.split()), quote=True)


# --- events ---------------------------------------------------------------------------------

def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global last_stats
    _quiet_jieba()
    lang = str(config.theme.get("language") or "en")
    if lang == "en":  # the Chinese interface is built right after, into zh/: its figures add up
        last_stats = BuildStats()
    with last_stats.generation:
        catalog = _catalog(config)
        options = config.extra.get("aladin", {})
        model = SiteModel(
            catalog, by_paper(), repo_url=config.repo_url or "",
            branch=str(options.get("branch", "main")),
        )
        bench = _bench_view(config, catalog)
        renderer = Renderer(model, config.use_directory_urls, bench, lang=lang,
                            lm=_language_view(config, catalog))
        _state.update(model=model, renderer=renderer)
        config.nav = _expand_nav(config.nav or [], model, lang)
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    model: SiteModel = _state["model"]
    renderer: Renderer = _state["renderer"]
    clock = last_stats.generation
    catalog = model.catalog
    t = renderer.t
    with clock:
        def page(uri: str, title: str, render: Any, *, in_nav: bool = False, **meta: Any) -> None:
            add_page(files, config, uri, meta={"title": _text(title), **meta}, render=render,
                     stopwatch=clock, in_nav=in_nav)
            last_stats.pages += 1

        for paper in catalog.papers:
            page(
                paper_uri(paper.id), paper.title, lambda p=paper: renderer.paper(p),
                tags=list(paper.tags),
                description=_text(f"{catalog.label(paper)} · {', '.join(paper.authors[:6])}"),
            )
        last_stats.papers = len(catalog)
        page(CATEGORIES_ENTRY, t("Categories"), renderer.categories, in_nav=True)
        for section in model.sections:
            page(section.uri, _names(section.node, renderer.lang),
                 lambda s=section: renderer.section(s), in_nav=True,
                 search={"boost": SECTION_BOOST})
        page("venues/index.md", t("Venues"), renderer.venues, in_nav=True)
        for venue, _ in model.by_venue:
            page(venue_uri(venue.id), f"{venue.id}: {venue.name}",
                 lambda v=venue.id: renderer.venue(v), search={"boost": VENUE_BOOST})
        page("years/index.md", t("Years"), renderer.years, in_nav=True)
        for year, _ in model.by_year:
            page(year_uri(year), t("Papers of {year}", year=year), lambda y=year: renderer.year(y))
        # No sidebar (the header tabs navigate): the results table needs the width.
        page(BENCH_PAGE, t("Benchmarks"), renderer.benchmarks, in_nav=True,
             hide=["navigation"])
        page("api/index.md", t("Zoo API reference"), renderer.api_index, in_nav=True)
        for record in model.all_methods:
            doc = method_doc(record)
            page(method_uri(record.name), f"{record.name}: {record.summary}",
                 lambda r=record, d=doc: renderer.method(r, d), search={"boost": API_BOOST})

        add_static(files, config, "papers.json", to_json(catalog))
        add_static(files, config, "papers.bib", to_bibtex(catalog))
        add_static(files, config, "papers.csv", to_csv(catalog))
        site_url = config.site_url or ""
        add_static(files, config, "feed.xml", atom_feed(
            catalog, site_url, lambda pid: site_url + url_of(paper_uri(pid),
                                                             config.use_directory_urls),
            title=config.site_name,
        ))
    return files


def on_page_content(html_text: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if isinstance(page, PrebuiltPage) or "aladin:" not in html_text:
        return html_text
    renderer: Renderer = _state["renderer"]

    def block(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in _BLOCKS:
            log.warning(f"{page.file.src_uri}: unknown marker <!-- aladin:{name} --> "
                        f"(known: {', '.join(sorted(_BLOCKS))})")
            return match.group(0)
        extra = {"config": _explorer_config(renderer)} if name == "explorer" else {}
        return renderer.block(name, page.file.src_uri, **extra)

    with last_stats.generation:
        return _MARKER.sub(block, html_text)


@event_priority(100)
def _index_search_digest(context: dict, page: Page, **kwargs: Any) -> dict:
    """Before the search plugin reads ``page.content``, show it the page's search digest."""
    if isinstance(page, PrebuiltPage) and page.search_html is not None:
        page.search_html, page.content = page.content, page.search_html
    return context


@event_priority(-100)
def _restore_content(context: dict, page: Page, **kwargs: Any) -> dict:
    """After every plugin has seen the page, put its full HTML back for the theme."""
    if isinstance(page, PrebuiltPage) and page.search_html is not None:
        page.content, page.search_html = page.search_html, None
    return context


on_page_context = CombinedEvent(_index_search_digest, _restore_content)


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    with last_stats.generation:
        return minify(output)


# --- helpers --------------------------------------------------------------------------------

def _quiet_jieba() -> None:
    """Material's search segments Chinese with jieba (when installed), which announces loading
    its dictionary on stderr at every build."""
    try:
        import jieba
    except ModuleNotFoundError:
        return
    jieba.setLogLevel(logging.WARNING)


def minify(page_html: str) -> str:
    """Collapse the indentation and blank lines the theme leaves, except inside <pre>."""
    parts = _PRE.split(page_html)
    # Odd parts are <pre>/<textarea> elements: whitespace there is content.
    return "".join(p if i % 2 else _INDENT.sub("\n", p) for i, p in enumerate(parts))


def _names(node: Any, lang: str) -> str:
    """A category's two names, the interface's language first (page titles, the nav)."""
    return _text(f"{node.zh} {node.en}" if lang == "zh" else f"{node.en} {node.zh}")


def _expand_nav(nav: list[Any], model: SiteModel, lang: str = "en") -> list[Any]:
    """Replace the ``categories/index.md`` entry with the taxonomy tree."""
    def tree(title: str) -> dict[str, list[Any]]:
        items: list[Any] = [CATEGORIES_ENTRY]
        for cat in model.catalog.categories:
            if cat.subcategories:
                children = [category_uri(cat.id)]
                children += [category_uri(cat.id, s.id) for s in cat.subcategories]
                items.append({_names(cat, lang): children})
            else:
                items.append(category_uri(cat.id))
        return {title: items}

    out: list[Any] = []
    for item in nav:
        if isinstance(item, dict):
            ((title, value),) = item.items()
            if value == CATEGORIES_ENTRY:
                out.append(tree(title))
            elif isinstance(value, list):
                out.append({title: _expand_nav(value, model, lang)})
            else:
                out.append(item)
        else:
            out.append(tree("Categories") if item == CATEGORIES_ENTRY else item)
    return out


def _explorer_config(renderer: Renderer) -> dict[str, Any]:
    """What the explorer needs besides papers.json: names for the filters, the zoo index, the
    GitHub stars of each paper's most-starred repository (``[stars, note, flag]`` by paper id,
    only for papers ``aladin enrich`` has data for, so the page stays small without it) and the
    strings its script prints, in the page's language."""
    model = renderer.model
    catalog = model.catalog
    tops = ((p.id, model.top_repo(p)) for p in catalog.papers)
    return {
        "categories": [
            {"id": c.id, "en": c.en, "zh": c.zh,
             "subcategories": [{"id": s.id, "en": s.en, "zh": s.zh} for s in c.subcategories]}
            for c in catalog.categories
        ],
        "venues": [{"id": v.id, "name": v.name} for v, _ in model.by_venue],
        "years": [y for y, _ in model.by_year],
        "zoo": sorted(model.methods_by_paper),
        "stars": {pid: [info.stars, info.note(), model.repo_flag(info)]
                  for pid, info in tops if info},
        "total": len(catalog),
        "lang": renderer.lang,
        "text": {s: renderer.t(s) for s in EXPLORER_STRINGS},
    }
